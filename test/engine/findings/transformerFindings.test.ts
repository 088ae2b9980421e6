import * as assert from 'node:assert/strict';
import { analyze, applyFixes, type Finding, type Mode } from '../../../src/engine';
import { fixEdits } from '../../../src/engine/edit/applyFix';
import { readRepoFile } from '../../repo';

/** A small pre-LN or post-LN stack over a [tokens, width] input. */
function stack(options: { blocks: number; width?: number; out?: unknown; fc?: unknown; act?: string; attention?: Record<string, unknown>; post?: boolean;
  head?: Record<string, unknown>; embedding?: unknown; }): string {
  const width = options.width ?? 32;
  const n = (std: number): unknown => ({ scheme: 'normal', std });
  const attention = { type: 'attention', heads: 4, causal: true, init: n(0.02), out_init: options.out ?? n(0.02), bias: false, ...options.attention };
  const mlp = [{ type: 'dense', units: 4 * width, activation: options.act ?? 'gelu_new', init: options.fc ?? n(0.02), bias: false },
    { type: 'dense', units: width, init: options.out ?? n(0.02), bias: false }];
  const block = options.post
    ? [{ type: 'residual', layers: [attention] }, { type: 'layernorm' }, { type: 'residual', layers: mlp }, { type: 'layernorm' }]
    : [{ type: 'residual', layers: [{ type: 'layernorm' }, attention] }, { type: 'residual', layers: [{ type: 'layernorm' }, ...mlp] }];
  return JSON.stringify({
    input: { tokens: 16, vocab: 64 }, batch_size: 2, seed: 0,
    layers: [{ type: 'embedding', vocab: 64, units: width, init: options.embedding ?? n(0.02) }, { type: 'repeat', times: options.blocks, layers: block },
      ...(options.head ? [{ type: 'layernorm' }, { type: 'lm_head', vocab: 64, ...options.head }] : [])],
  }, null, 2);
}

function find(text: string, code: string, mode: Mode = 'both'): Finding | undefined {
  return analyze(text, { mode }).findings.find((f) => f.code === code);
}

suite('transformer findings and their fixes', () => {
  test('GPT-2 small without the output-projection scaling grows its residual stream; the fix is GPT-2\'s 1/√(2·12) and removes the finding', () => {
    const unscaled = readRepoFile('examples', 'gpt2-small-unscaled.net.json');
    const finding = find(unscaled, 'residual-stream-growth', 'analytic')!;
    assert.ok(finding, 'residual-stream-growth on the unscaled stack');
    assert.match(finding.message, /over 24 pre-norm blocks/);
    assert.equal(finding.fix!.path, '/layers/2/layers/0/layers/1/out_init');
    assert.deepEqual(finding.fix!.value, { scheme: 'normal', std: 0.004082 });
    assert.deepEqual(finding.fix!.also, [{ path: '/layers/2/layers/1/layers/2/init', value: { scheme: 'normal', std: 0.004082 } }]);
    assert.equal(finding.alternatives[0].value, 'zeros');
    const fixed = applyFixes(unscaled, [finding.fix!]);
    assert.equal(find(fixed, 'residual-stream-growth', 'analytic'), undefined);
    assert.equal(find(readRepoFile('examples', 'gpt2-small.net.json'), 'residual-stream-growth', 'analytic'), undefined);
    // The zero-init alternative too.
    assert.equal(find(applyFixes(unscaled, [finding.alternatives[0]]), 'residual-stream-growth', 'analytic'), undefined);
  });

  test('a fix with several values is one edit that spans them, and keeps the rest of the text', () => {
    const text = stack({ blocks: 3, out: { scheme: 'normal', std: 1 } });
    const finding = find(text, 'residual-stream-growth')!;
    assert.ok(finding, 'unit-variance output projections over 3 blocks');
    assert.match(finding.message, /grows from 0\.02 to [\d.]+ over 6 pre-norm blocks/);
    assert.equal(finding.fix!.also!.length, 1);
    const edits = fixEdits(text, finding.fix!);
    assert.equal(edits.length, 1);
    const after = text.slice(0, edits[0].offset) + edits[0].content + text.slice(edits[0].offset + edits[0].length);
    assert.equal(after, applyFixes(text, [finding.fix!]));
    assert.ok(edits[0].offset > 0 && edits[0].offset + edits[0].length < text.length);
    // Smaller updates than this are not judged as exploding activations: a pre-norm stack adds, it does not multiply.
    assert.deepEqual(analyze(stack({ blocks: 3, out: { scheme: 'normal', std: 0.5 } }), { mode: 'both' }).findings.map((f) => f.code), []);
  });

  test('attention with too large q and k inits collapses; the scale fix brings the logit std to about 1 and the entropy back', () => {
    const text = stack({ blocks: 1, width: 64, attention: { init: { scheme: 'normal', std: 0.5 } } });
    const report = analyze(text, { mode: 'both' });
    const attention = report.layers.find((l) => l.type === 'attention')!;
    assert.ok(attention.attention!.entropy! < 0.5, `entropy ${attention.attention!.entropy}`);
    const finding = report.findings.find((f) => f.code === 'attention-entropy-collapse')!;
    assert.ok(finding);
    assert.equal(finding.fix!.path, '/layers/1/layers/0/layers/1/scale');
    const fixed = analyze(applyFixes(text, [finding.fix!]), { mode: 'both' });
    const after = fixed.layers.find((l) => l.type === 'attention')!.attention!;
    assert.ok(Math.abs(after.logitStd! - 1) < 0.15, `logit std ${after.logitStd}`);
    assert.ok(after.entropy! > 0.5);
    assert.equal(fixed.findings.find((f) => f.code === 'attention-entropy-collapse'), undefined);
  });

  test('an output head with unit-variance weights starts far above ln(vocab); the fix brings the loss near ln(vocab)', () => {
    const text = stack({ blocks: 1, head: { init: { scheme: 'normal', std: 1 } } });
    const report = analyze(text, { mode: 'both' });
    const head = report.layers.find((l) => l.type === 'lm_head')!;
    // With logit std s ≈ 5.4 over 64 logits one logit dominates: the expected loss is near s·E[max of 64 normals],
    // far below ln(V) + s²/2 ≈ 19. The sampled mean over 32 rows carries ±s/√32 ≈ 1 of noise from the targets.
    const excess = head.loss!.sampled! - head.loss!.uniform;
    assert.ok(excess > 5, `excess ${excess}`);
    assert.ok(Math.abs(head.loss!.predicted! - head.loss!.sampled!) < 0.2 * excess, `predicted ${head.loss!.predicted}, sampled ${head.loss!.sampled}`);
    assert.ok(head.loss!.predicted! < head.loss!.uniform + head.activation!.std ** 2 / 2 - 3);
    const finding = report.findings.find((f) => f.code === 'output-loss-above-uniform')!;
    assert.ok(finding);
    const fixed = analyze(applyFixes(text, [finding.fix!]), { mode: 'both' });
    const after = fixed.layers.find((l) => l.type === 'lm_head')!.loss!;
    assert.ok(after.sampled! - after.uniform < 0.3, `excess after ${after.sampled! - after.uniform}`);
    assert.equal(fixed.findings.find((f) => f.code === 'output-loss-above-uniform'), undefined);
  });

  test('a tied head is fixed through its embedding', () => {
    const finding = find(stack({ blocks: 1, head: { tied: true }, embedding: { scheme: 'normal', std: 1 } }), 'output-loss-above-uniform')!;
    assert.ok(finding, 'the tied head with a unit-variance table');
    assert.equal(finding.fix!.path, '/layers/0/init');
    assert.deepEqual(finding.related.map((r) => r.path), ['/layers/0']);
  });

  test('a post-LN stack whose MLP saturates has gradients 30× larger at its first block than at its last; DeepNet\'s β narrows the gap; Hugging Face\'s 0.02 is balanced', () => {
    // Saturated tanh branches add variance forward but pass little gradient back: each normalization after a sum then
    // shrinks the gradient without the branch making up for it.
    const text = stack({ blocks: 6, post: true, out: { scheme: 'normal', std: 0.5 }, fc: { scheme: 'normal', std: 1 }, act: 'tanh' });
    const finding = find(text, 'post-ln-gradient-imbalance')!;
    assert.ok(finding);
    const gap = (f: Finding | undefined): number => f ? Math.abs(Math.log(Number(/\(×([\d.]+)\)/.exec(f.message)![1]))) : 0;
    assert.ok(gap(finding) > Math.log(10), finding.message);
    assert.match(finding.fix!.description, /β = \(8·6\)\^−¼ = 0\.38/);
    assert.ok(gap(find(applyFixes(text, [finding.fix!]), 'post-ln-gradient-imbalance')) < gap(finding));
    assert.equal(find(stack({ blocks: 18, post: true }), 'post-ln-gradient-imbalance'), undefined);
  });

  test('leaky_relu units below 0 for the whole batch are not called dead', () => {
    const text = JSON.stringify({ input: { shape: [16] }, batch_size: 4, layers: [
      { type: 'dense', units: 16, activation: 'leaky_relu', negative_slope: 0.1, init: 'kaiming_normal', bias: { scheme: 'constant', value: -3 } }] });
    const finding = find(text, 'dead-units', 'sampled')!;
    assert.equal(finding.severity, 'info');
    assert.match(finding.message, /are not dead \(leaky_relu passes 0\.1·z\), but their gradient is scaled by 0\.1, so they learn 10× slower/);
  });
});
