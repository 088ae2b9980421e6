import * as assert from 'node:assert/strict';
import { referenceBackend } from '../../../src/engine/backend/reference/referenceBackend';
import { momentsStd } from '../../../src/engine/backend/tensorMoments';
import { parseNetwork } from '../../../src/engine/format/parseNetwork';
import { buildPlan } from '../../../src/engine/graph/buildPlan';
import { sampleInit } from '../../../src/engine/init/sampleInit';
import { resolveInit } from '../../../src/engine/init/resolveInit';
import type { InitScheme } from '../../../src/engine/init/initSpec';
import { FILL_CHUNK, fillNormalChunks, streamKey } from '../../../src/engine/random/fill';
import { runSampled } from '../../../src/engine/sampled/runSampled';
import { drawWeightRows, isStreamable, STREAM_MIN_FLOATS, streamedInputGradient, streamedProject, streamedWeightMoments, type WeightSource } from '../../../src/engine/sampled/streamedWeight';

/** A Llama-ish stack whose every big weight is streamed with small blocks: an embedding with a padding row, GQA attention, a gated MLP, an untied head; then a tied one. */
function network(tied: boolean): string {
  return JSON.stringify({
    input: { tokens: 9, vocab: 50 }, batch_size: 2, seed: 11,
    layers: [
      { type: 'embedding', name: 'embed', vocab: 50, units: 24, padding_idx: 3, init: { scheme: 'normal', std: 0.5 } },
      { type: 'residual', layers: [{ type: 'rmsnorm' }, { type: 'attention', heads: 4, kv_heads: 2, causal: true, rotary: {}, init: { scheme: 'normal', std: 0.2 }, bias: false }] },
      { type: 'residual', layers: [{ type: 'rmsnorm' }, { type: 'gated_mlp', hidden: 40, init: { scheme: 'uniform', low: -0.3, high: 0.3 }, bias: false }] },
      { type: 'dense', units: 24, activation: 'tanh', init: { scheme: 'normal', std: 0.3 } },
      { type: 'rmsnorm' },
      tied ? { type: 'lm_head', vocab: 50, tied: true } : { type: 'lm_head', vocab: 50, init: { scheme: 'normal', std: 0.1 }, bias: 'zeros' },
    ],
  });
}

function run(text: string, options: { cacheWeights: boolean; streamBlockFloats?: number }) {
  const { network, problems } = parseNetwork(text);
  assert.deepEqual(problems, []);
  const { plan } = buildPlan(network!);
  return runSampled(plan!, referenceBackend, { input: network!.input, ...options });
}

suite('weights streamed by rows (sampled/streamedWeight.ts)', () => {
  test('a fill from any start gives the values of the whole fill at those indices, bit for bit', () => {
    const key = streamKey(5, 77);
    const whole = new Float32Array(3 * FILL_CHUNK + 123);
    fillNormalChunks(key, whole, 0.25, 2);
    for (const [start, length] of [[0, 10], [FILL_CHUNK, FILL_CHUNK], [FILL_CHUNK - 3, 11], [2 * FILL_CHUNK + 7, FILL_CHUNK + 100], [1, 3 * FILL_CHUNK + 122]]) {
      const part = new Float32Array(length);
      referenceBackend.fillNormal(key, part, 0.25, 2, start);
      assert.deepEqual(part, whole.subarray(start, start + length), `[${start}, ${start + length})`);
    }
  });

  test('blocks of rows are the rows of the whole weight; x·Wᵀ is bit for bit the whole product, dx = dy·W within float32 rounding', () => {
    const rows = 37, cols = 29, m = 5;
    const init = resolveInit({ scheme: 'normal', options: { std: 0.7 }, multiplier: 1.5, path: '', source: 'layer' }, [rows, cols], 'weight');
    const whole = new Float32Array(rows * cols);
    sampleInit(init, 9, 1234, referenceBackend, whole, rows, cols);
    whole.fill(0, 4 * cols, 5 * cols);
    const src: WeightSource = { stream: 1234, init, rows, cols, zeroRow: 4, blockFloats: 3 * cols + 5 };
    assert.ok(isStreamable(init, rows, cols, src.blockFloats));
    const x = Float32Array.from({ length: m * cols }, (_, i) => Math.sin(i));
    const expected = new Float32Array(m * rows);
    referenceBackend.gemm(false, true, m, rows, cols, x, whole, expected, false);
    const y = new Float32Array(m * rows);
    const moments = streamedProject(referenceBackend, 9, src, x, m, y);
    assert.deepEqual(y, expected);
    const wholeStd = momentsStd(referenceBackend.moments(whole));
    assert.ok(Math.abs(momentsStd(moments) - wholeStd) <= 1e-12 * wholeStd);
    assert.ok(Math.abs(momentsStd(streamedWeightMoments(referenceBackend, 9, src)) - wholeStd) <= 1e-12 * wholeStd);
    const row = new Float32Array(cols);
    for (const r of [0, 4, 17, 36]) {
      drawWeightRows(referenceBackend, 9, src, r, row);
      assert.deepEqual(row, whole.subarray(r * cols, (r + 1) * cols), `row ${r}`);
    }
    const dy = Float32Array.from({ length: m * rows }, (_, i) => Math.cos(3 * i));
    const dxWhole = new Float32Array(m * cols);
    referenceBackend.gemm(false, false, m, cols, rows, dy, whole, dxWhole, false);
    const dx = new Float32Array(m * cols);
    streamedInputGradient(referenceBackend, 9, src, dy, m, dx, false);
    dx.forEach((v, i) => assert.ok(Math.abs(v - dxWhole[i]) <= 1e-5 * (1 + Math.abs(dxWhole[i])), `dx[${i}] ${v} vs ${dxWhole[i]}`));
  });

  test('inits that need the whole matrix, and weights of 16 MiB or less (by default), are not streamed', () => {
    const shape = [64, 64];
    const of = (scheme: InitScheme, options: Record<string, number> = {}) => resolveInit({ scheme, options, multiplier: 1, path: '', source: 'layer' }, shape, 'weight');
    assert.ok(isStreamable(of('normal'), 64, 64, 100));
    assert.ok(isStreamable(of('kaiming_uniform'), 64, 64, 100));
    assert.ok(!isStreamable(of('orthogonal'), 64, 64, 100));
    assert.ok(!isStreamable(of('truncated_normal', { std: 0.02 }), 64, 64, 100));
    assert.ok(!isStreamable(of('normal'), 64, 64, 64 * 64));
    assert.equal(STREAM_MIN_FLOATS, 4 * 2 ** 20);
    assert.ok(!isStreamable(of('normal'), 2048, 2048));
    assert.ok(isStreamable(of('normal'), 2049, 2048));
  });

  for (const tied of [false, true]) {
    test(`a run that streams every weight gives the statistics of one that holds them (${tied ? 'tied' : 'untied'} head)`, () => {
      const text = network(tied);
      const whole = run(text, { cacheWeights: true });
      const streamed = run(text, { cacheWeights: false, streamBlockFloats: 100 });
      assert.equal(streamed.length, whole.length);
      streamed.forEach((s, i) => {
        const w = whole[i];
        // The forward pass is the same bit for bit (each output sums the same terms in the same order).
        assert.equal(s.activation.std, w.activation.std, `layer ${i} output std`);
        assert.equal(s.preActivation.std, w.preActivation.std, `layer ${i} pre-activation std`);
        // The weight's moments merged over blocks (Chan et al.): float64 rounding of another order.
        assert.equal(s.weightStd === null, w.weightStd === null, `layer ${i} weight std`);
        if (w.weightStd !== null) assert.ok(Math.abs(s.weightStd! - w.weightStd) <= 1e-12 * w.weightStd, `layer ${i} weight std ${s.weightStd} vs ${w.weightStd}`);
        if (s.loss !== undefined) assert.equal(s.loss, w.loss, `layer ${i} loss`);
        // dx = dy·W adds its blocks one after the other: float32 rounding of another order.
        assert.ok(Math.abs(s.gradientStd - w.gradientStd) <= 1e-5 * w.gradientStd, `layer ${i} gradient std ${s.gradientStd} vs ${w.gradientStd}`);
      });
    });
  }
});
