import * as assert from 'node:assert/strict';
import { analyze, type Report } from '../../../../src/engine';
import { intervalBound } from '../../../../src/engine/graph/ops/multiplyMeanField';
import { assertClose } from '../../../repo';

/** The median over seeds of a sampled value. */
function median(reports: Report[], f: (r: Report) => number): number {
  const s = reports.map(f).sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** A relu conv and a squeeze-and-excitation gate on it, then `after`. */
function squeezeExcitation(after: object[]): string {
  return JSON.stringify({ input: { shape: [16, 8, 8] }, batch_size: 32, layers: [
    { type: 'conv2d', filters: 16, kernel_size: 3, padding: 'same', activation: 'relu', init: 'he_normal' },
    { type: 'multiply', branches: [[], [{ type: 'global_avg_pool' }, { type: 'dense', units: 4, activation: 'relu', init: 'he_normal' },
      { type: 'dense', units: 16, activation: 'sigmoid', init: 'xavier_uniform' }]] },
    ...after] });
}

suite('multiply: branches that read the same input, predicted as independent and bounded by their dependence', () => {
  test('intervalBound: the farthest std and mean (relative to the std) when E[y] is within m ± c₁ and E[y²] within s ± c₂', () => {
    // m = 0, s = 1: stds between √(1 − 0.2 − 0.1²) and √1.2; the mean up to 0.1 away.
    assertClose(intervalBound(0, 1, 0.1, 0.2), Math.max(0.1 / Math.sqrt(0.79), Math.sqrt(1.2) - 1, 1 / Math.sqrt(0.79) - 1), 1e-12);
    assert.ok(Number.isNaN(intervalBound(1, 1.5, 0.3, 0.2)), 'the std may reach 0');
  });

  test('a squeeze-and-excitation gate: E[y] = E[x]·E[g], E[y²] = E[x²]·E[g²], within a finite bound of a seeded run; a global average after it reads the gate\'s per-sample scale', () => {
    const text = squeezeExcitation([{ type: 'global_avg_pool' }, { type: 'dense', units: 10, init: 'xavier_normal' }]);
    const reports = [0, 1, 2].map((seed) => analyze(text, { mode: 'both', seed }));
    const p = reports[0].layers.map((l) => l.predicted!);
    const second = (i: number): number => p[i].activationStd ** 2 + p[i].activationMean ** 2;
    // Layers: conv 0, the gate's global average 1 and dense 2, 3, the multiply 4, the global average 5.
    assertClose(p[4].activationMean, p[0].activationMean * p[3].activationMean, 1e-12);
    assertClose(second(4), second(0) * second(3), 1e-12);
    assert.ok(Number.isFinite(p[4].approximateBy!) && p[4].approximateBy! < 0.5, String(p[4].approximateBy));
    const std = median(reports, (r) => r.layers[4].activation!.std);
    const mean = median(reports, (r) => r.layers[4].activation!.mean);
    assert.ok(Math.abs(p[4].activationStd - std) <= p[4].approximateBy! * std && Math.abs(p[4].activationMean - mean) <= p[4].approximateBy! * std);
    // One gate value scales a channel's 64 positions alike: the channel average keeps (63/64)·E[x]²·Var(g) more.
    assertClose(p[5].activationStd, median(reports, (r) => r.layers[5].activation!.std), 0.1);
  });

  test('the gate\'s gradient sums its channel\'s positions: coherent when a global average sends the same gradient to all of them', () => {
    const text = squeezeExcitation([{ type: 'global_avg_pool' }, { type: 'dense', units: 10, init: 'xavier_normal' }]);
    const reports = [0, 1, 2].map((seed) => analyze(text, { mode: 'both', seed }));
    const p = reports[0].layers.map((l) => l.predicted!);
    // The gate's output (layer 3) and its input's (the conv, layer 0) gradients, and through the identity branch.
    for (const i of [0, 3]) assertClose(p[i].gradientStd, median(reports, (r) => r.layers[i].gradient!.std), 0.1, 0, `layer ${i}`);
    // Independent gradients would give the gate 1 + 63·E[x]²/E[x²] times less variance: more than 4 times less std here.
    const flat = analyze(squeezeExcitation([{ type: 'flatten' }, { type: 'dense', units: 10, init: 'xavier_normal' }]), { mode: 'analytic' }).layers.map((l) => l.predicted!);
    assert.ok(p[3].gradientStd / p[4].gradientStd > 4 * (flat[3].gradientStd / flat[4].gradientStd));
  });

  test('two branches read element by element (a gated pair): Cauchy–Schwarz bounds the product, and covers a seeded run', () => {
    const text = JSON.stringify({ input: { shape: [12, 16] }, batch_size: 16, layers: [
      { type: 'multiply', branches: [[{ type: 'dense', units: 16, activation: 'tanh', init: 'xavier_normal' }], [{ type: 'dense', units: 16, activation: 'sigmoid', init: 'xavier_normal' }]] },
      { type: 'dense', units: 8, init: 'xavier_normal' }] });
    const reports = [0, 1, 2].map((seed) => analyze(text, { mode: 'both', seed }));
    const p = reports[0].layers[2].predicted!;
    assert.equal(reports[0].layers[2].name, 'multiply');
    assert.ok(Number.isFinite(p.approximateBy!) && p.approximate, String(p.approximateBy));
    const std = median(reports, (r) => r.layers[2].activation!.std);
    const mean = median(reports, (r) => r.layers[2].activation!.mean);
    assert.ok(Math.abs(p.activationStd - std) <= p.approximateBy! * std && Math.abs(p.activationMean - mean) <= p.approximateBy! * std);
  });
});
