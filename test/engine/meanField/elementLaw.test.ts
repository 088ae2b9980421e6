import * as assert from 'node:assert/strict';
import { activationLaw, derivativeSecondMoment, gaussianLaw, lawMoments, maxLaw, normalizePerUnit, sharedVarianceAfter } from '../../../src/engine/meanField/elementLaw';
import { clippedMaxPoolCorrelationOffsetVariance, maxPoolCorrelationOffsetVariance, overlappingMaxCovariance, sameArgmaxProbability } from '../../../src/engine/meanField/windowMax';
import { Rng } from '../../../src/engine/random/rng';
import { activationMoments } from '../../../src/engine/math/activationMoments';
import { assertClose } from '../../repo';

const RELU = { name: 'relu', negativeSlope: 0 } as const;
const TANH = { name: 'tanh', negativeSlope: 0 } as const;

/** Monte Carlo over units (shared s) and elements (own e), seeded: the oracle for the quadratures. */
function simulate(units: number, perUnit: number, draw: (rng: Rng, s: number) => number[]): { mean: number; std: number; sharedStd: number } {
  const rng = new Rng(12, 34);
  let sum = 0, sumSq = 0, n = 0, unitSum = 0, unitSumSq = 0;
  for (let u = 0; u < units; u++) {
    const s = rng.normal();
    const unitStart = n;
    let m = 0;
    for (let i = 0; i < perUnit; i++) {
      for (const x of draw(rng, s)) { sum += x; sumSq += x * x; n++; m += x; }
    }
    m /= n - unitStart;
    unitSum += m;
    unitSumSq += m * m;
  }
  const mean = sum / n;
  const unitMean = unitSum / units;
  return { mean, std: Math.sqrt(sumSq / n - mean * mean), sharedStd: Math.sqrt(unitSumSq / units - unitMean * unitMean) };
}

suite('element laws: the shared and own parts through nonlinearities, normalizations and max pooling', () => {
  test('relu of N(μ, σ_s² + σ_e²): moments and the variance of a unit\'s mean match a seeded simulation', () => {
    const [mu, sharedStd, ownStd] = [0.3, 0.8, 0.6];
    const law = activationLaw(gaussianLaw(mu, sharedStd ** 2, ownStd ** 2), RELU);
    const m = lawMoments(law);
    // The marginal is relu of N(μ, σ_s² + σ_e²): closed forms.
    const closed = activationMoments(RELU, mu, Math.hypot(sharedStd, ownStd));
    // Quadrature of relu's kink: to about 1e-4.
    assertClose(m.mean, closed.mean, 2e-4);
    assertClose(m.second, closed.secondMoment, 2e-4);
    // 20000 units of 50 elements: a unit's mean is known to σ_e/√50, the shared std to about 1/√(2·20000) ≈ 0.5%.
    const mc = simulate(20000, 50, (rng, s) => [Math.max(0, mu + sharedStd * s + ownStd * rng.normal())]);
    const ownNoise = 0.25 * ownStd ** 2 / 50;
    assertClose(Math.sqrt(m.sharedVariance + ownNoise), mc.sharedStd, 0.02);
    assertClose(sharedVarianceAfter(RELU, mu, sharedStd ** 2, ownStd ** 2), m.sharedVariance, 1e-4);
  });

  test('the max of 4 relu outputs of one unit: moments, and E[relu′²] at the window max (1 − P(all ≤ 0))', () => {
    const [mu, sharedStd, ownStd] = [-0.2, 0.5, 1];
    const pre = gaussianLaw(mu, sharedStd ** 2, ownStd ** 2);
    const maxed = maxLaw(activationLaw(pre, RELU), 4)!;
    const m = lawMoments(maxed);
    const mc = simulate(20000, 20, (rng, s) => [Math.max(0, ...[0, 1, 2, 3].map(() => mu + sharedStd * s + ownStd * rng.normal()))]);
    // The mean over 20000 unit draws of σ_s = 0.5 is known to ≈ 0.5/√20000 = 0.0035.
    assertClose(m.mean, mc.mean, 0, 0.012);
    assertClose(Math.sqrt(m.second - m.mean ** 2), mc.std, 0.015);
    // P(max > 0 | s) = 1 − Φ(−(μ + σ_s s)/σ_e)^4, averaged over s: the max pooling's reweighting of relu′.
    const atMax = derivativeSecondMoment(maxLaw(pre, 4)!, RELU);
    const mcAtMax = simulate(20000, 20, (rng, s) => [Math.max(...[0, 1, 2, 3].map(() => mu + sharedStd * s + ownStd * rng.normal())) > 0 ? 1 : 0]).mean;
    assertClose(atMax, mcAtMax, 0, 0.01);
  });

  test('batchnorm of relu outputs normalizes each unit: mean 0, no shared variance, unit variance up to eps; relu after it is exact', () => {
    const law = normalizePerUnit(activationLaw(gaussianLaw(0.1, 0.5, 1), RELU), 1e-5);
    const m = lawMoments(law);
    assertClose(m.mean, 0, 0, 1e-9);
    assertClose(m.sharedVariance, 0, 0, 1e-9);
    assertClose(m.second, 1, 1e-4);
    // relu(x̂) for x̂ the standardized relu(N) of each unit, against a simulation that normalizes each unit by its own
    // sample mean and std (2000 elements a unit): not the Gaussian guess √(1/2 − 1/2π) = 0.584.
    const after = lawMoments(activationLaw(law, RELU));
    const mc = simulate(3000, 1, (rng, s) => {
      const xs = Array.from({ length: 2000 }, () => Math.max(0, 0.1 + Math.sqrt(0.5) * s + rng.normal()));
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length + 1e-5);
      return xs.map((x) => Math.max(0, (x - m) / sd));
    });
    assertClose(after.mean, mc.mean, 0.01);
    assertClose(Math.sqrt(after.second - after.mean ** 2), mc.std, 0.01);
    assert.ok(Math.abs(mc.std - Math.sqrt(0.5 - 0.5 / Math.PI)) > 0.05);
  });

  test('a tanh law is monotone and keeps E[tanh′²] by quadrature', () => {
    const law = gaussianLaw(0, 0, 4);
    assertClose(derivativeSecondMoment(law, TANH), derivativeSecondMoment(activationLaw(law, { name: 'linear', negativeSlope: 0 }), TANH), 1e-12);
    assert.equal(activationLaw(law, TANH).monotone, true);
    assert.equal(activationLaw(law, { name: 'gelu', negativeSlope: 0 }).monotone, false);
    assert.equal(maxLaw(activationLaw(law, { name: 'gelu', negativeSlope: 0 }), 4), undefined);
  });

  test('two windows of k₁ and k₂ elements sharing j have the same argmax with probability j/(k₁ + k₂ − j), and covariance by quadrature', () => {
    const rng = new Rng(5, 6);
    const trials = 100000;
    // Equal windows, then windows of different sizes (clipped at the edges): 4 and 6 sharing 2, and a window of 2
    // inside one of 4.
    for (const [k1, k2, j] of [[4, 4, 2], [4, 4, 1], [9, 9, 3], [4, 6, 2], [2, 4, 2], [6, 9, 3]]) {
      let same = 0, sumA = 0, sumB = 0, sumAB = 0;
      for (let t = 0; t < trials; t++) {
        const shared = Array.from({ length: j }, () => rng.normal());
        const a = [...shared, ...Array.from({ length: k1 - j }, () => rng.normal())];
        const b = [...shared, ...Array.from({ length: k2 - j }, () => rng.normal())];
        const ma = Math.max(...a), mb = Math.max(...b);
        if (ma === mb && shared.includes(ma)) same++;
        sumA += ma; sumB += mb; sumAB += ma * mb;
      }
      // Binomial error of the frequency: √(p(1 − p)/n) ≤ 0.0016; covariance to about 0.01.
      assertClose(same / trials, sameArgmaxProbability(k1, k2, j), 0, 0.006, `P(same argmax) k=${k1},${k2} j=${j}`);
      const cov = sumAB / trials - (sumA / trials) * (sumB / trials);
      assertClose(overlappingMaxCovariance(gaussianLaw(0, 0, 1), k1, k2, j), cov, 0, 0.015, `covariance k=${k1},${k2} j=${j}`);
    }
    // Symmetric in the two windows.
    const law = activationLaw(gaussianLaw(0.1, 0.2, 1), RELU);
    assertClose(overlappingMaxCovariance(law, 4, 6, 2), overlappingMaxCovariance(law, 6, 4, 2), 1e-12);
  });

  test('the neighbour-correlation offset over windows of several shapes: one full shape is the full-window offset, a 1×1 window adds no pair', () => {
    const law = gaussianLaw(0, 0, 1);
    const lag = (dy: number, dx: number): number => 0.01 / (1 + dy + Math.abs(dx));
    assertClose(clippedMaxPoolCorrelationOffsetVariance(law, [{ rows: 3, cols: 3, count: 5 }], lag), maxPoolCorrelationOffsetVariance(law, 3, 3, lag), 1e-12);
    // Half the positions 1×2 (one pair, c₂ = 1/(2√π)), half 1×1: the unit's shift halves, its variance quarters.
    assertClose(clippedMaxPoolCorrelationOffsetVariance(law, [{ rows: 1, cols: 2, count: 3 }, { rows: 1, cols: 1, count: 3 }], () => 0.01), 0.01 / (16 * Math.PI), 1e-6);
  });

  test('a filter\'s neighbour correlation ρ moves the mean of its maxima by −c_k·Σρ: c_k = E[M_k]/(k(k − 1)) (equicorrelated max √(1 − ρ)·M_k)', () => {
    const law = gaussianLaw(0, 0, 1);
    // One pair (a 1×2 window): Var = Var ρ·c₂², c₂ = E[M₂]/2 = 1/(2√π).
    assertClose(maxPoolCorrelationOffsetVariance(law, 1, 2, () => 0.01), 0.01 / (4 * Math.PI), 1e-6);
    // 2×2: lags (0, 1) and (1, 0) twice each, (1, ±1) once; with equal Var ρ the 6 pairs' shifts add with those counts.
    const c4 = 1.0293754 / 12;
    assertClose(maxPoolCorrelationOffsetVariance(law, 2, 2, () => 0.01), 0.01 * c4 * c4 * (4 + 4 + 1 + 1), 1e-5);
  });
});

