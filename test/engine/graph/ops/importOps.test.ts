import * as assert from 'node:assert/strict';
import { analyze } from '../../../../src/engine';
import { relativePositionBucket } from '../../../../src/engine/math/relativePosition';

/** A network of one or more layers on a sequence, run with the reference backend. */
function run(doc: object, mode: 'both' | 'analytic' = 'both'): ReturnType<typeof analyze> {
  const report = analyze(JSON.stringify({ seed: 3, batch_size: 4, ...doc }), { mode });
  assert.deepEqual(report.problems, []);
  return report;
}

suite('the ops imported models need', () => {
  test('T5\'s relative position buckets, as transformers\' _relative_position_bucket gives them (32 buckets, distance 128)', () => {
    const distances = [-200, -128, -100, -20, -9, -8, -7, -1, 0, 1, 7, 8, 9, 20, 100, 128, 200];
    // From transformers' formula run in Python (bidirectional: keys after the query in buckets 16 to 31).
    assert.deepEqual(distances.map((d) => relativePositionBucket(d, true, 32, 128)), [15, 15, 15, 10, 8, 8, 7, 1, 0, 17, 23, 24, 24, 26, 31, 31, 31]);
    assert.deepEqual([-200, -128, -100, -20, -17, -16, -15, -1, 0, 1, 5].map((d) => relativePositionBucket(d, false, 32, 128)), [31, 31, 30, 17, 16, 16, 15, 1, 0, 0, 0]);
  });

  test('a position bias alone (q and k zero) makes the logits the bias table: their std is the table\'s, sampled and predicted', () => {
    const report = run({ input: { shape: [24, 8] }, layers: [{ type: 'attention', heads: 2, init: 'zeros', bias: false,
      position_bias: { buckets: 32, max_distance: 64, init: { scheme: 'normal', std: 0.7 } } }] });
    const a = report.layers[0].attention!;
    assert.ok(Math.abs(a.predictedLogitStd! - 0.7) < 1e-12);
    // 2 heads × 32 buckets drawn, 24² pairs each reading one: the sampled std within its spread.
    assert.ok(Math.abs(a.logitStd! / 0.7 - 1) < 0.3, `${a.logitStd}`);
    assert.ok(a.entropy! < 1, 'the bias makes the attention non-uniform');
  });

  test('"shared" reuses the first attention\'s table (the same logits), and the table counts once', () => {
    const layer = (bias: object | string): object => ({ type: 'attention', heads: 2, init: 'zeros', bias: false, position_bias: bias });
    const own = { buckets: 8, max_distance: 16, init: { scheme: 'normal', std: 1 } };
    const report = run({ input: { shape: [6, 4] }, layers: [layer(own), layer('shared')] });
    assert.equal(report.layers[1].attention!.logitStd, report.layers[0].attention!.logitStd);
    assert.equal(report.cost!.parameterCount, 2 * 4 * (4 * 4) + 8 * 2);
    const none = analyze(JSON.stringify({ input: { shape: [6, 4] }, layers: [{ type: 'attention', heads: 2, position_bias: 'shared' }] }), { mode: 'analytic' });
    assert.match(none.problems[0].message, /shares a position bias, but no attention before it has one/);
  });

  test('a tied embedding reads its owner\'s table: the same rows for the same ids, and no parameters of its own', () => {
    const report = run({ input: { tokens: 6, vocab: 10 }, layers: [
      { type: 'encoder', layers: [{ type: 'embedding', vocab: 10, units: 8, init: { scheme: 'normal', std: 0.5 } }] },
      { type: 'embedding', vocab: 10, units: 8, tied: true },
    ] });
    assert.equal(report.layers[2].activation!.std, report.layers[0].activation!.std);
    assert.equal(report.layers[2].activation!.mean, report.layers[0].activation!.mean);
    assert.equal(report.cost!.parameterCount, 80);
  });

  test('class_token and first_token: [T, F] → [T + 1, F] → [F]; the class token\'s row is its init\'s draw', () => {
    const report = run({ input: { shape: [5, 16] }, layers: [{ type: 'class_token', init: { scheme: 'constant', value: 3 } }, { type: 'first_token' }] });
    assert.deepEqual(report.layers[0].outputShape, [6, 16]);
    assert.deepEqual(report.layers[1].outputShape, [16]);
    assert.equal(report.layers[1].activation!.mean, 3);
    assert.equal(report.layers[1].activation!.std, 0);
    assert.equal(report.cost!.parameterCount, 16);
  });

  test('cross_attention outside an encoder\'s reach is refused at the layer', () => {
    const report = analyze(JSON.stringify({ input: { shape: [4, 8] }, layers: [{ type: 'cross_attention', heads: 2 }] }), { mode: 'analytic' });
    assert.match(report.problems[0].message, /the cross_attention at \/layers\/0 reads an encoder's output: put an \{ "type": "encoder", "layers": \[…\] \} before it/);
  });

  test('cross-attention over an encoder\'s memory: uniform attention at small logits averages the memory\'s values, as predicted', () => {
    const report = run({ input: { shape: [16, 32] }, layers: [
      { type: 'encoder', layers: [{ type: 'dense', units: 32, init: { scheme: 'normal', std: 0.2 } }] },
      { type: 'cross_attention', heads: 4, init: { scheme: 'normal', std: 0.05 }, bias: false },
    ] });
    const cross = report.layers[2];
    assert.ok(cross.attention!.entropy! > 0.99, `${cross.attention!.entropy}`);
    assert.ok(Math.abs(cross.activation!.std / cross.predicted!.activationStd - 1) < 0.15, `${cross.activation!.std} vs ${cross.predicted!.activationStd}`);
    // The encoder's row is its memory, whose gradient comes from the cross-attention.
    assert.ok(report.layers[1].gradient!.std > 0 && Math.abs(report.layers[1].gradient!.std / report.layers[1].predicted!.gradientStd - 1) < 0.3,
      `${report.layers[1].gradient!.std} vs ${report.layers[1].predicted!.gradientStd}`);
  });
});
