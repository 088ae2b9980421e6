import * as assert from 'node:assert/strict';
import { activationMoments } from '../../../src/engine/math/activationMoments';
import { normalCdf } from '../../../src/engine/math/gaussian';
import { activationLaw, gaussianLaw, lawMoments, maxLaw } from '../../../src/engine/meanField/elementLaw';
import { compressMarginal, gaussianMarginal, lawMarginal, marginalMoments, productMarginal, sumMarginal } from '../../../src/engine/meanField/marginal';
import { Rng } from '../../../src/engine/random/rng';
import { assertClose } from '../../repo';

const RELU = { name: 'relu', negativeSlope: 0 } as const;
const SIGMOID = { name: 'sigmoid', negativeSlope: 0 } as const;

suite('marginals: the law of one element as point masses and Gaussian bumps', () => {
  test('a Gaussian law is its bumps: mean and E[x²] exactly, E[x⁴] = μ⁴ + 6μ²σ² + 3σ⁴ up to merging the tails\' bumps, no point mass', () => {
    const m = marginalMoments(lawMarginal(gaussianLaw(0.4, 0.3, 0.7)));
    assertClose(m.mean, 0.4, 1e-12);
    assertClose(m.second, 0.16 + 1, 1e-12);
    assertClose(m.fourth, 0.4 ** 4 + 6 * 0.16 + 3, 1e-3);
    assert.equal(lawMarginal(gaussianLaw(0.4, 0.3, 0.7)).bottom, 0);
  });

  test('relu of N(μ, σ²): its zeros one point mass of Φ(−μ/σ), its moments those of relu (closed form)', () => {
    const [mu, sigma] = [0.3, 1.3];
    const marginal = lawMarginal(activationLaw(gaussianLaw(mu, 0, sigma * sigma), RELU));
    assertClose(marginal.bottom, normalCdf(-mu / sigma), 1e-9);
    assert.equal(marginal.means[0], 0);
    const expected = activationMoments(RELU, mu, sigma);
    const m = marginalMoments(marginal);
    // The tails beyond probability 10⁻⁹ are left out.
    assertClose(m.mean, expected.mean, 1e-5);
    assertClose(m.second, expected.secondMoment, 1e-5);
  });

  test('a law with units and windows (relu after a max of 4, units offset): moments as the law\'s own quadrature', () => {
    const law = maxLaw(activationLaw(gaussianLaw(-0.2, 0.5, 1), RELU), 4)!;
    const expected = lawMoments(law);
    const m = marginalMoments(lawMarginal(law));
    assertClose(m.mean, expected.mean, 1e-4);
    assertClose(m.second, expected.second, 1e-4);
    assertClose(m.fourth, expected.fourth, 1e-3);
  });

  test('a product of independent factors: E[xy] = E[x]E[y], E[(xy)²] = E[x²]E[y²], the zeros of either kept', () => {
    const relu = lawMarginal(activationLaw(gaussianLaw(0, 0, 2), RELU));
    const gate = lawMarginal(activationLaw(gaussianLaw(0.1, 0, 0.2), SIGMOID));
    const [a, b, p] = [relu, gate, productMarginal(relu, gate)].map(marginalMoments);
    assertClose(p.mean, a.mean * b.mean, 1e-9);
    assertClose(p.second, a.second * b.second, 1e-9);
    assertClose(productMarginal(relu, gate).bottom, 0.5, 1e-6);
    // E[(xy)⁴] = E[x⁴]E[y⁴] up to the bumps' shapes (a product of bumps is taken as a bump).
    assertClose(p.fourth, a.fourth * b.fourth, 0.05);
  });

  test('a sum of independent laws: means and variances add; against a seeded simulation of relu + N(0, 0.5²) at its quartiles', () => {
    const relu = lawMarginal(activationLaw(gaussianLaw(0, 0, 1), RELU));
    const sum = sumMarginal(relu, gaussianMarginal(0.1, 0.25));
    const r = marginalMoments(relu), s = marginalMoments(sum);
    assertClose(s.mean, r.mean + 0.1, 1e-9);
    assertClose(s.second - s.mean ** 2, r.second - r.mean ** 2 + 0.25, 1e-9);
    const cdf = (t: number): number => { let p = 0; sum.means.forEach((m, i) => { p += sum.weights[i] * (sum.stds[i] > 0 ? normalCdf((t - m) / sum.stds[i]) : m <= t ? 1 : 0); }); return p; };
    const rng = new Rng(5, 1);
    const draws = Float64Array.from({ length: 200_000 }, () => Math.max(0, rng.normal()) + 0.1 + 0.5 * rng.normal()).sort();
    // The empirical quartiles' CDF values: 0.25, 0.5, 0.75 within 3σ of a binomial proportion (σ ≈ 0.001).
    for (const q of [0.25, 0.5, 0.75]) assertClose(cdf(draws[Math.floor(q * draws.length)]), q, 0, 0.004);
  });

  test('compression keeps the mean and E[x²], merges equal points and keeps heavy ones as point masses', () => {
    const rng = new Rng(2, 2);
    const means = Array.from({ length: 5000 }, (_, i) => (i < 2000 ? 0 : rng.normal()));
    const weights = means.map(() => 1 / 5000);
    const c = compressMarginal(means, new Float64Array(means.length), weights, 32);
    assert.ok(c.means.length < 80, String(c.means.length));
    assertClose(c.bottom, 0, 0, 1e-12);
    const zero = c.means.findIndex((m, i) => m === 0 && c.stds[i] === 0);
    assertClose(c.weights[zero], 0.4, 1e-12);
    let mean = 0, second = 0;
    means.forEach((m) => { mean += m / 5000; second += (m * m) / 5000; });
    const cm = marginalMoments(c);
    assertClose(cm.mean, mean, 1e-9, 1e-12);
    assertClose(cm.second, second, 1e-9);
  });
});
