import * as assert from 'node:assert/strict';
import { activationLaw, derivativeSecondMoment, gaussianLaw, lawMoments, maxLaw } from '../../../src/engine/meanField/elementLaw';
import { windowMaxMixtureLaw, windowMeanMixtureLaw } from '../../../src/engine/meanField/windowMixture';
import { Rng } from '../../../src/engine/random/rng';
import { assertClose } from '../../repo';

const RELU = { name: 'relu', negativeSlope: 0 } as const;
const TANH = { name: 'tanh', negativeSlope: 0 } as const;

// A 7×7 map pooled 3×3 by 2 with padding "same": 4 windows of 4 inputs, 8 of 6, 4 of 9.
const COUNTS = new Map([[4, 4], [6, 8], [9, 4]]);

suite('window mixtures: the law of a pooling\'s output when its windows hold different numbers of inputs', () => {
  test('max: moments, the unit\'s mean (shared variance) and E[relu′²] are the mixtures of those of the max of 4, 6 and 9', () => {
    const law = activationLaw(gaussianLaw(0.2, 0.3, 1), RELU);
    const mixed = lawMoments(windowMaxMixtureLaw(law, COUNTS)!);
    let mean = 0, second = 0;
    for (const [n, count] of COUNTS) {
      const m = lawMoments(maxLaw(law, n)!);
      mean += (count / 16) * m.mean;
      second += (count / 16) * m.second;
    }
    // The inverse transform moves relu's kink off the rule's panel breaks: about 1e-5.
    assertClose(mixed.mean, mean, 1e-4);
    assertClose(mixed.second, second, 1e-4);
    const plain = lawMoments(windowMaxMixtureLaw(gaussianLaw(0, 0, 1), COUNTS)!);
    assertClose(plain.mean, (4 * 1.0293754 + 8 * 1.2672064 + 4 * 1.4850132) / 16, 1e-6);
    // The unit's mean over positions is Σ f_n·E[max of n | s]; without a shared part it does not vary.
    assertClose(lawMoments(windowMaxMixtureLaw(gaussianLaw(0, 0, 1), COUNTS)!).sharedVariance, 0, 0, 1e-12);
    assert.ok(mixed.sharedVariance > 0);
    // A relu after the max of n normals: E[relu′²] = 1 − 2⁻ⁿ, mixed.
    const pre = gaussianLaw(0, 0, 1);
    assertClose(derivativeSecondMoment(windowMaxMixtureLaw(pre, COUNTS)!, RELU), (4 * (1 - 2 ** -4) + 8 * (1 - 2 ** -6) + 4 * (1 - 2 ** -9)) / 16, 1e-4);
  });

  test('max: a tanh after it, and a second max pooling of it, against a seeded simulation of the mixture', () => {
    const law = windowMaxMixtureLaw(gaussianLaw(0, 0, 1), COUNTS)!;
    const twice = lawMoments(maxLaw(activationLaw(law, TANH), 4)!);
    const rng = new Rng(3, 4);
    const draw = (): number => {
      const u = rng.uniform() * 16;
      const n = u < 4 ? 4 : u < 12 ? 6 : 9;
      let m = -Infinity;
      for (let i = 0; i < n; i++) m = Math.max(m, rng.normal());
      return Math.tanh(m);
    };
    let sum = 0, sumSq = 0;
    const trials = 100000;
    for (let t = 0; t < trials; t++) {
      const y = Math.max(draw(), draw(), draw(), draw());
      sum += y;
      sumSq += y * y;
    }
    const mean = sum / trials;
    // std of the max of 4 tanh values ≈ 0.08: the mean is known to 3·10⁻⁴, the std to about 0.3%.
    assertClose(twice.mean, mean, 0, 1e-3);
    assertClose(Math.sqrt(twice.second - twice.mean ** 2), Math.sqrt(sumSq / trials - mean * mean), 0.01);
  });

  test('average: a scale mixture of normals, Var(own) = σ_e²·Σ_n f_n/n, its fourth moment 3σ_e⁴·Σ_n f_n/n² (not Gaussian)', () => {
    const g = { mean: 0.5, sharedStd: 0.4, individualStd: 1.5 };
    const m = lawMoments(windowMeanMixtureLaw(g, COUNTS));
    const inverse = (4 / 4 + 8 / 6 + 4 / 9) / 16;
    const inverseSquare = (4 / 16 + 8 / 36 + 4 / 81) / 16;
    assertClose(m.mean, 0.5, 0, 1e-6);
    assertClose(m.second - 0.25, 0.16 + 2.25 * inverse, 1e-5);
    assertClose(m.sharedVariance, 0.16, 1e-5);
    // E[(x − μ)⁴] of s_shared + own: 3σ_s⁴ + 6σ_s²·E[own²] + E[own⁴], E[own⁴] = 3σ_e⁴·Σ f/n².
    assertClose(m.centralFourth, 3 * 0.16 ** 2 + 6 * 0.16 * 2.25 * inverse + 3 * 2.25 ** 2 * inverseSquare, 1e-4);
    // One window size: the Gaussian law itself.
    assert.deepEqual(windowMeanMixtureLaw(g, new Map([[9, 5]])).gaussian, { mean: 0.5, sharedStd: 0.4, individualStd: 0.5 });
  });
});
