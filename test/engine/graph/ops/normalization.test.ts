import * as assert from 'node:assert/strict';
import { analyze } from '../../../../src/engine';
import { normalizationGroups } from '../../../../src/engine/graph/ops/normalization';
import { assertClose } from '../../../repo';

/** The median of values. */
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

suite('normalizations: groups, the pre-activation they report, the gradient through them, rmsnorm', () => {
  test('groups: batchnorm per channel over batch and positions, layernorm per sample or per token, rmsnorm per row of the last axis', () => {
    assert.deepEqual(normalizationGroups('batchnorm', 4, [3, 5, 5]), { groups: 3, segments: 4, length: 25, groupStride: 25, segmentStride: 75 });
    assert.deepEqual(normalizationGroups('batchnorm', 4, [10]), { groups: 10, segments: 4, length: 1, groupStride: 1, segmentStride: 10 });
    assert.deepEqual(normalizationGroups('layernorm', 4, [3, 5, 5]), { groups: 4, segments: 1, length: 75, groupStride: 75, segmentStride: 0 });
    assert.deepEqual(normalizationGroups('layernorm', 4, [10]), { groups: 4, segments: 1, length: 10, groupStride: 10, segmentStride: 0 });
    // nn.LayerNorm(F) on a [T, F] sequence: each of the B·T tokens over its F features.
    assert.deepEqual(normalizationGroups('layernorm', 4, [7, 16]), { groups: 28, segments: 1, length: 16, groupStride: 16, segmentStride: 0 });
    assert.deepEqual(normalizationGroups('rmsnorm', 4, [7, 16]), { groups: 28, segments: 1, length: 16, groupStride: 16, segmentStride: 0 });
    assert.deepEqual(normalizationGroups('rmsnorm', 4, [10]), { groups: 4, segments: 1, length: 10, groupStride: 10, segmentStride: 0 });
  });

  test('batchnorm and layernorm predict the std of the normalized input as the pre-activation, eps included (issue 12)', () => {
    // Input std 0.001, eps 1e-5: x̂ has std √(1e-6/(1e-6 + 1e-5)) = 0.302, not 1.
    for (const type of ['batchnorm', 'layernorm']) {
      const report = analyze(JSON.stringify({ input: { shape: [256], std: 0.001 }, batch_size: 64, layers: [{ type }] }), { mode: 'both' });
      const l = report.layers[0];
      assertClose(l.predicted!.preActivationStd, Math.sqrt(1e-6 / 1.1e-5), 1e-6, 0, `${type} predicted`);
      assertClose(l.preActivation!.std, l.predicted!.preActivationStd, 0.01, 0, `${type} sampled`);
    }
  });

  test('the gradient through batchnorm over a batch of 8: E[1/σ̂²] and the projection, (N − 2)/(N − 3)/σ², against 24 seeds', () => {
    // dense → batchnorm → dense: the gradient ratio across the batchnorm (its dy independent of x̂), median over seeds.
    const text = JSON.stringify({ input: { shape: [128] }, batch_size: 8, layers: [
      { type: 'dense', units: 128, init: { scheme: 'normal', std: 0.25 } }, { type: 'batchnorm' }, { type: 'dense', units: 128, init: 'xavier_normal' }] });
    const predicted = analyze(text, { mode: 'analytic' }).layers;
    const ratio = predicted[0].predicted!.gradientStd / predicted[1].predicted!.gradientStd;
    const sampled = median(Array.from({ length: 24 }, (_, seed) => {
      const r = analyze(text, { mode: 'sampled', seed }).layers;
      return r[0].gradient!.std / r[1].gradient!.std;
    }));
    // 1/σ with σ = 0.25·√128·1 = 2.83, times √((N − 2)/(N − 3)) = √(6/5) for N = 8: 0.387, where 1/σ alone is 0.354.
    assertClose(ratio, Math.sqrt(6 / 5) / (0.25 * Math.sqrt(128)), 0.01);
    assertClose(sampled, ratio, 0.04);
  });

  test('rmsnorm: output std √(E[g²]) from its gain, 1 with the default ones, as sampled; a gain init without a fan is refused', () => {
    const net = (weight?: unknown): string => JSON.stringify({ input: { shape: [512], mean: 0.5 }, batch_size: 32,
      layers: [{ type: 'rmsnorm', ...(weight ? { weight } : {}) }, { type: 'dense', units: 64, init: 'xavier_normal' }] });
    const ones = analyze(net(), { mode: 'both' }).layers[0];
    // x/√(E[x²]): E[y²] = 1, mean 0.5/√1.25.
    assertClose(ones.predicted!.activationMean, 0.5 / Math.sqrt(1.25), 1e-6);
    assertClose(Math.hypot(ones.predicted!.activationMean, ones.predicted!.activationStd), 1, 1e-5);
    assertClose(ones.activation!.std, ones.predicted!.activationStd, 0.02);
    const random = analyze(net({ scheme: 'normal', mean: 1, std: 0.5 }), { mode: 'both' }).layers[0];
    assertClose(Math.hypot(random.predicted!.activationMean, random.predicted!.activationStd), Math.sqrt(1.25), 1e-5);
    // 512 gains: their sample second moment scatters by about √(2/512)·… ≈ 5%.
    assertClose(random.activation!.std, random.predicted!.activationStd, 0.08);
    const refused = analyze(JSON.stringify({ input: { shape: [8] }, layers: [{ type: 'rmsnorm', weight: 'xavier_normal' }] }));
    assert.match(refused.problems[0].message, /weight init/);
  });
});

suite('normalizations of sparse inputs', () => {
  test('layernorm of samples that are all zeros after a relu (and dropout): x̂ = 0 there, and their gradient is × 1/√eps', () => {
    // relu(N(0, 2) − 3) over 32 features: P(a sample is all zeros) ≈ 0.98³² ≈ 0.5, more after dropout.
    const text = JSON.stringify({ input: { shape: [32] }, batch_size: 64, layers: [
      { type: 'dense', units: 32, activation: 'relu', init: { scheme: 'kaiming_normal', nonlinearity: 'relu' }, bias: { scheme: 'constant', value: -3 } },
      { type: 'dropout', rate: 0.2 }, { type: 'layernorm' }, { type: 'dense', units: 16, init: 'xavier_normal' }] });
    const predicted = analyze(text, { mode: 'analytic' }).layers.map((l) => l.predicted!);
    const reports = Array.from({ length: 9 }, (_, seed) => analyze(text, { mode: 'sampled', seed }));
    const sampledStd = median(reports.map((r) => r.layers[2].activation!.std));
    const sampledRatio = median(reports.map((r) => r.layers[1].gradient!.std / r.layers[2].gradient!.std));
    // Without the all-zero samples the std would be 1 and the ratio about 1/σ(input).
    assert.ok(predicted[2].activationStd < 0.9);
    assertClose(predicted[2].activationStd, sampledStd, 0.1);
    assertClose(predicted[1].gradientStd / predicted[2].gradientStd, sampledRatio, 0.3);
  });
});

suite('normalizations of groups whose law is not Gaussian: bounds on the gradient through 1/σ̂', () => {
  test('layernorm over tokens of 8 relu·gate features: its all-zero tokens (2⁻⁸ of them) in the prediction, a finite bound that covers seeded runs', () => {
    const text = JSON.stringify({ input: { shape: [8, 6, 6] }, batch_size: 16, layers: [
      { type: 'conv2d', filters: 8, kernel_size: 3, padding: 'same', activation: 'relu', init: 'he_normal' },
      { type: 'multiply', branches: [[], [{ type: 'global_avg_pool' }, { type: 'dense', units: 4, activation: 'relu', init: 'he_normal' },
        { type: 'dense', units: 8, activation: 'sigmoid', init: 'xavier_uniform' }]] },
      { type: 'reshape', shape: [36, 8], order: 'channels_last' }, { type: 'layernorm' }, { type: 'dense', units: 8, init: 'xavier_normal' }] });
    const reports = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((seed) => analyze(text, { mode: 'both', seed }));
    const p = reports[0].layers.map((l) => l.predicted!);
    // Layers: conv 0, the gate 1–3, multiply 4, reshape 5, layernorm 6. A group all at zero passes (7/8)/eps of Var(dy).
    const factor = (p[5].gradientStd / p[6].gradientStd) ** 2;
    assert.ok(factor > 2 ** -8 * (7 / 8) / 1e-5, String(factor));
    const bound = p[5].gradientApproximateBy!;
    assert.ok(Number.isFinite(bound) && p[5].approximate, String(bound));
    const sampled = median(reports.map((r) => r.layers[5].gradient!.std));
    assert.ok(Math.max(p[5].gradientStd / sampled, sampled / p[5].gradientStd) - 1 <= bound, `${p[5].gradientStd} ${sampled} ${bound}`);
    // The gate's gradient sums dy·x over its channel: the large gradients of groups at or near zero meet x ≈ 0 there.
    // Taken independent of x it would be 2.6 times the sampled one; weighted by E[f(Q)·x²], within a third of it.
    assertClose(p[3].gradientStd, median(reports.map((r) => r.layers[3].gradient!.std)), 0.35);
  });

  test('layernorm of a law it cannot know (a relu branch beside a linear one): gradient bound between Jensen\'s and f(0) = (N − 1)/(N·eps), not 0', () => {
    const text = JSON.stringify({ input: { shape: [16] }, batch_size: 32, layers: [
      { type: 'concatenate', branches: [[{ type: 'dense', units: 8, activation: 'relu', init: 'he_normal' }], [{ type: 'dense', units: 8, init: 'xavier_normal' }]] },
      { type: 'layernorm' }, { type: 'dense', units: 4, init: 'xavier_normal' }] });
    const p = analyze(text, { mode: 'analytic' }).layers.map((l) => l.predicted!);
    // Layers: the two branches 0, 1, concatenate 2, layernorm 3.
    const factor = (p[2].gradientStd / p[3].gradientStd) ** 2;
    const atZero = (15 / 16) / 1e-5;
    assert.ok(p[2].gradientApproximateBy! >= Math.sqrt(atZero / factor) - 1, String(p[2].gradientApproximateBy));
    assert.ok(Number.isFinite(p[2].gradientApproximateBy!));
  });
});
