import { maxOfNormalsRule } from '../../../src/engine/math/maxOfNormals';
import { wideGaussianExpectation } from '../../../src/engine/math/compositeRule';
import { activationMoments } from '../../../src/engine/math/activationMoments';
import { assertClose } from '../../repo';

/** E[f(M)] under a probability rule. */
function expect(rule: { nodes: Float64Array; weights: Float64Array }, f: (t: number) => number): number {
  let sum = 0;
  for (let i = 0; i < rule.nodes.length; i++) sum += rule.weights[i] * f(rule.nodes[i]);
  return sum;
}

/** E[f(Z)], Z ~ N(μ, σ²), by the trapezoid rule on a fine grid over ±12σ (an independent oracle). */
function trapezoid(f: (z: number) => number, mu: number, sigma: number): number {
  const n = 400000;
  const h = (24 * sigma) / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const z = mu - 12 * sigma + i * h;
    const w = i === 0 || i === n ? 0.5 : 1;
    sum += w * f(z) * Math.exp(-0.5 * ((z - mu) / sigma) ** 2);
  }
  return (sum * h) / (sigma * Math.sqrt(2 * Math.PI));
}

suite('the max of k normals and the composite Gaussian rule', () => {
  test('E[max of k standard normals] is 0, 1/√π, 3/(2√π), 1.02938, 1.16296 for k = 1…5 and 1.48501 for k = 9 (Harter, 1961)', () => {
    // Bose & Gupta (1959); Harter (1961), "Expected values of normal order statistics".
    const expected: [number, number][] = [[1, 0], [2, 1 / Math.sqrt(Math.PI)], [3, 3 / (2 * Math.sqrt(Math.PI))], [4, 1.0293753730], [5, 1.1629644736], [9, 1.4850131594]];
    for (const [k, e] of expected) {
      assertClose(expect(maxOfNormalsRule(k), (t) => t), e, 0, 1e-8, `k=${k}`);
    }
  });

  test('max² of two normals has mean 1 (max² + min² = z₁² + z₂²), and the weights sum to 1', () => {
    assertClose(expect(maxOfNormalsRule(2), (t) => t * t), 1, 0, 1e-10);
    for (const k of [1, 2, 4, 9]) assertClose(expect(maxOfNormalsRule(k), () => 1), 1, 0, 1e-12, `k=${k}`);
  });

  test('E[tanh′(Z)²] at σ = 4 and 8: the composite rule matches a fine trapezoid where 64-node Gauss–Hermite missed by 24% and 88%', () => {
    const sech4 = (z: number): number => 1 / Math.cosh(z) ** 4;
    for (const sigma of [2.7, 4, 8]) {
      const expected = trapezoid(sech4, 0.3, sigma);
      assertClose(wideGaussianExpectation(sech4, 0.3, sigma), expected, 1e-7, 0, `σ=${sigma}`);
      assertClose(activationMoments({ name: 'tanh', negativeSlope: 0 }, 0.3, sigma).derivativeSecondMoment, expected, 1e-7, 0, `activationMoments σ=${sigma}`);
    }
  });
});
