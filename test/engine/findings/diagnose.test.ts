import * as assert from 'node:assert/strict';
import { analyze, type Mode } from '../../../src/engine';
import { readRepoFile } from '../../repo';

function codes(file: string, mode: Mode): string[] {
  const report = analyze(readRepoFile('examples', file), { mode });
  return report.findings.map((f) => `${f.code}:${f.severity}`).sort();
}

suite('findings on the classic experiments', () => {
  // The 4096-wide networks are judged on the prediction (fast); the smaller ones on the sampled run too.
  const cases: [string, string[], Mode[]][] = [
    ['zero-init.net.json', ['zero-init-symmetry:error'], ['analytic', 'sampled']],
    ['tanh-0.01-randn.net.json', ['vanishing-activations:warning', 'vanishing-gradients:warning'], ['analytic']],
    ['tanh-0.05-randn.net.json', ['exploding-gradients:warning', 'saturated-activations:warning'], ['analytic']],
    ['xavier-tanh.net.json', [], ['analytic']],
    ['xavier-relu.net.json', ['init-activation-mismatch:warning', 'vanishing-activations:warning', 'vanishing-gradients:warning'], ['analytic']],
    ['kaiming-relu.net.json', [], ['analytic']],
    ['residual-kaiming.net.json', ['residual-variance-growth:warning'], ['analytic', 'sampled']],
    ['residual-zero-last.net.json', [], ['analytic', 'sampled']],
    ['small-cnn.net.json', [], ['analytic', 'sampled']],
  ];
  for (const [file, expected, modes] of cases) {
    for (const mode of modes) {
      test(`${file} (${mode}): ${expected.length ? expected.join(', ') : 'no finding'}`, () => {
        assert.deepEqual(codes(file, mode), expected);
      });
    }
  }

  test('findings carry numbers and a concrete fix with the std it implies', () => {
    const report = analyze(readRepoFile('examples', 'xavier-relu.net.json'), { mode: 'analytic' });
    const mismatch = report.findings.find((f) => f.code === 'init-activation-mismatch')!;
    assert.equal(mismatch.path, '/layers/0/layers/0/init');
    assert.deepEqual(mismatch.fix!.value, { scheme: 'kaiming_normal', nonlinearity: 'relu' });
    assert.equal(mismatch.fix!.std, Math.sqrt(2 / 4096));
    assert.equal(mismatch.copies, 6);
    const vanishing = report.findings.find((f) => f.code === 'vanishing-activations')!;
    assert.match(vanishing.message, /falls from 0\.584 to 0\.103 over 6 layers \(×0\.71 per layer\)/);
  });

  test('vanishing 0.01·randn: the diagnostic sits on the std number and offers the std the fan implies', () => {
    const report = analyze(readRepoFile('examples', 'tanh-0.01-randn.net.json'), { mode: 'analytic' });
    const f = report.findings.find((x) => x.code === 'vanishing-activations')!;
    assert.equal(f.path, '/layers/0/layers/0/init/std');
    assert.equal(f.fix!.value, 'xavier_normal');
    assert.deepEqual(f.alternatives.map((a) => [a.path, a.value]), [['/layers/0/layers/0/init/std', 0.01563]]);
  });

  test('residual growth points at the block and its fix zero-initializes the branch\'s last layer', () => {
    const report = analyze(readRepoFile('examples', 'residual-kaiming.net.json'), { mode: 'analytic' });
    const f = report.findings[0];
    assert.equal(f.path, '/layers/0/layers/0');
    assert.deepEqual([f.fix!.path, f.fix!.value], ['/layers/0/layers/0/layers/1/init', 'zeros']);
    assert.equal(f.related[0].path, '/layers/0/layers/0/layers/1/init');
    assert.match(f.message, /×3\.00 per residual block/);
  });

  test('applying each fix removes the finding', () => {
    for (const file of ['zero-init.net.json', 'tanh-0.01-randn.net.json', 'xavier-relu.net.json', 'residual-kaiming.net.json', 'tanh-0.05-randn.net.json']) {
      const doc = JSON.parse(readRepoFile('examples', file));
      const first = analyze(JSON.stringify(doc), { mode: 'analytic' }).findings[0];
      setPointer(doc, first.fix!.path, first.fix!.value);
      const after = analyze(JSON.stringify(doc), { mode: 'analytic' });
      assert.deepEqual(after.findings.map((f) => f.code), [], `${file} after fixing ${first.code}`);
    }
  });

  test('a zero-initialized output layer is only a note; constant init is an error', () => {
    const zeroOut = { input: { shape: [16] }, layers: [{ type: 'dense', units: 16, activation: 'tanh', init: 'xavier_normal' }, { type: 'dense', units: 4, init: 'zeros' }] };
    assert.deepEqual(analyze(JSON.stringify(zeroOut), { mode: 'analytic' }).findings.map((f) => `${f.code}:${f.severity}`), ['zero-init-symmetry:info']);
    const constant = { input: { shape: [16] }, layers: [{ type: 'dense', units: 16, activation: 'tanh', init: { scheme: 'constant', value: 0.1 } }, { type: 'dense', units: 4 }] };
    const r = analyze(JSON.stringify(constant), { mode: 'both' });
    assert.deepEqual(r.findings.map((f) => `${f.code}:${f.severity}`), ['constant-init-symmetry:error']);
    assert.equal(r.layers[0].activation!.distinctUnits, 1);
  });

  test('dead units from a negative bias point at the bias', () => {
    const net = { input: { shape: [64] }, batch_size: 32, layers: [{ type: 'dense', units: 64, activation: 'relu', init: { scheme: 'kaiming_normal', nonlinearity: 'relu' }, bias: { scheme: 'constant', value: -4 } }] };
    const r = analyze(JSON.stringify(net), { mode: 'both' });
    const f = r.findings.find((x) => x.code === 'dead-units')!;
    assert.equal(f.path, '/layers/0/bias');
    assert.ok(r.layers[0].activation!.deadFraction > 0.8);
  });
});

function setPointer(doc: Record<string, unknown>, pointer: string, value: unknown): void {
  const parts = pointer.slice(1).split('/');
  let node = doc as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
  node[parts[parts.length - 1]] = value;
}
