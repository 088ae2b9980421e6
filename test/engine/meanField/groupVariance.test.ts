import * as assert from 'node:assert/strict';
import { normalPdf } from '../../../src/engine/math/gaussian';
import { activationLaw, gaussianLaw } from '../../../src/engine/meanField/elementLaw';
import { inverseGroupMoments, weightedInverseGroupMoments } from '../../../src/engine/meanField/groupVariance';
import { gaussianMarginal, lawMarginal } from '../../../src/engine/meanField/marginal';
import { Rng } from '../../../src/engine/random/rng';
import { assertClose } from '../../repo';

const RELU = { name: 'relu', negativeSlope: 0 } as const;

/** f(Q) = (N − 2)/(N·(Q + eps)) + eps/(N·(Q + eps)²): what a layernorm group of variance Q passes of Var(dy). */
function layernormFactor(q: number, n: number, eps: number): number {
  return (n - 2) / (n * (q + eps)) + eps / (n * (q + eps) ** 2);
}

suite('inverse moments of a normalization group\'s spread, by the Laplace transform of the group variance', () => {
  test('Gaussian groups: N·Q/σ² is χ²(N − 1), so E[1/Q] = N/((N − 3)σ²) and E[1/Q²] = N²/((N − 3)(N − 5)σ⁴); rmsnorm\'s N·R/σ² is χ²(N)', () => {
    for (const n of [8, 32]) {
      const sigma2 = 0.7;
      const [i1, i2] = inverseGroupMoments(gaussianMarginal(0.3, sigma2), n, 1e-12, true);
      assertClose(i1, n / ((n - 3) * sigma2), 2e-3, 0, `E[1/Q], N = ${n}`);
      assertClose(i2, (n * n) / ((n - 3) * (n - 5) * sigma2 * sigma2), 5e-3, 0, `E[1/Q²], N = ${n}`);
      const [r1] = inverseGroupMoments(gaussianMarginal(0, sigma2), n, 1e-12, false);
      assertClose(r1, n / ((n - 2) * sigma2), 2e-3, 0, `E[1/R], N = ${n}`);
    }
    // A Gaussian law with unit offsets: the groups' elements are independent draws of the same marginal.
    const [i1] = inverseGroupMoments(lawMarginal(gaussianLaw(0, 0.4, 0.6)), 16, 1e-12, true);
    assertClose(i1, 16 / 13, 2e-3);
  });

  test('weighted by one element\'s square: E[x₁²/R] = 1 (Σ x_i²/R = N), and for Gaussian groups E[x₁²/Q] = 1 + E[x̄²]·E[1/Q] (x̄ independent of Q)', () => {
    const [r1] = weightedInverseGroupMoments(gaussianMarginal(0.3, 0.8), 8, 1e-12, false);
    assertClose(r1, 1, 2e-3);
    const [n, mu, sigma2] = [8, 0.5, 1];
    const [q1] = weightedInverseGroupMoments(gaussianMarginal(mu, sigma2), n, 1e-12, true);
    assertClose(q1, 1 + (mu * mu + sigma2 / n) * n / ((n - 3) * sigma2), 2e-3);
  });

  test('relu groups of 8: groups all at zero give 1/eps, those with one non-zero element most of the rest (exact by groups, against a seeded simulation)', () => {
    const n = 8, eps = 1e-5, sigma = Math.SQRT2;
    const [i1, i2] = inverseGroupMoments(lawMarginal(activationLaw(gaussianLaw(0, 0, sigma * sigma), RELU)), n, eps, true);
    const actual = ((n - 2) / n) * i1 + (eps / n) * i2;
    // All zero: probability 2⁻⁸, f(0) = (N − 1)/(N·eps).
    const none = 2 ** -n * (n - 1) / (n * eps);
    // One non-zero value y (density φ(y/σ)/σ): Q = (N − 1)·y²/N², by the trapezoid rule in ln y.
    let one = 0;
    const lo = Math.log(1e-9), hi = Math.log(12 * sigma), steps = 20000, h = (hi - lo) / steps;
    for (let k = 0; k <= steps; k++) {
      const y = Math.exp(lo + k * h);
      one += (k === 0 || k === steps ? 0.5 : 1) * h * y * (normalPdf(y / sigma) / sigma) * layernormFactor(((n - 1) * y * y) / (n * n), n, eps);
    }
    one *= n * 2 ** -(n - 1);
    // Two or more: a seeded simulation (no near-constant groups left to make it heavy-tailed).
    const rng = new Rng(7, 1);
    const x = new Float64Array(n);
    let rest = 0;
    const groups = 200_000;
    for (let g = 0; g < groups; g++) {
      let positive = 0, mean = 0;
      for (let i = 0; i < n; i++) { x[i] = Math.max(0, sigma * rng.normal()); if (x[i] > 0) positive++; mean += x[i] / n; }
      if (positive < 2) continue;
      let q = 0;
      for (let i = 0; i < n; i++) q += (x[i] - mean) ** 2 / n;
      rest += layernormFactor(q, n, eps) / groups;
    }
    assert.ok(none > 300 && one > 15 && rest > 2, `${none} ${one} ${rest}`);
    assertClose(actual, none + one + rest, 0.01);
  });
});
