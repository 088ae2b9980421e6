import { type Activation, activate, canDie, derivative } from '../math/activation';
import { activationMoments } from '../math/activationMoments';
import { standardNormalRule } from '../math/gaussHermite';
import { type ElementLaw, ownRule, sharedRule } from './elementLaw';
import { type Marginal, sumMarginal } from './marginal';
import { applyActivation, lawOf, marginalOf, nonlinearity, type Signal, variance } from './signal';

/** What `residualOutput` returns: as `applyActivation`, and whether the moments are exact. */
export interface ResidualOutput {
  signal: Signal;
  derivativeSecond: number;
  saturated: number;
  dead: number;
  exact: boolean;
}

/** Outer Gauss–Hermite nodes for the Gaussian side's shared part, and inner ones for its own part (smooth φ only). */
const GAUSSIAN_SHARED_NODES = 16;
const GAUSSIAN_OWN_NODES = 24;

/**
 * φ(shortcut + branch) for a residual block's independent shortcut and branch signals (He et al., 2016), as exact as
 * their laws allow:
 * - one side identically 0 (a zero-initialized branch, SkipInit): φ of the other side (`applyActivation`, exact with
 *   its law: relu of a max pooling's output stays that output);
 * - both Gaussian: Gaussian, `nonlinearity`;
 * - one side of known law L(s, e), the other Gaussian μ + σ_s·s′ + σ_e·e′: the moments of φ(L + G) by quadrature
 *   over s, e (L's rules) and s′ (Gauss–Hermite), with e′ integrated in closed form for the relu family
 *   (`activationMoments` of N(L + μ + σ_s·s′, σ_e²)) or by Gauss–Hermite; E[φ′²] likewise. Exact moments; the
 *   output carries no law (a sum of two laws is not one law of one own variable), but without a nonlinearity the
 *   marginal of the sum (`pathsMarginal`);
 * - otherwise the Gaussian of the sum's moments, `exact` false.
 */
export function residualOutput(act: Activation, shortcut: Signal, branch: Signal, batch: number): ResidualOutput {
  const zero = (s: Signal): boolean => s.mean === 0 && variance(s) === 0;
  if (zero(branch)) return applyActivation(act, shortcut, batch);
  if (zero(shortcut)) return applyActivation(act, branch, batch);
  const mean = shortcut.mean + branch.mean;
  const sumVariance = variance(shortcut) + variance(branch);
  const shared = shortcut.sharedVariance + branch.sharedVariance;
  const gaussian = shortcut.gaussian && branch.gaussian;
  const standIn = nonlinearity(act, mean, sumVariance, shared, batch);
  if (gaussian || act.name === 'linear') {
    // A sum without a nonlinearity: the marginal of the sum of the two sides' (`sumMarginal`), where both are known.
    const marginal = gaussian ? undefined : pathsMarginal([shortcut, branch]);
    return { ...standIn, signal: act.name === 'linear' ? { ...standIn.signal, gaussian, ...(marginal ? { marginal } : {}) } : standIn.signal, exact: true };
  }
  const [lawSide, gaussianSide] = branch.gaussian ? [shortcut, branch] : shortcut.gaussian ? [branch, shortcut] : [undefined, undefined];
  const law = lawSide ? lawOf(lawSide) : undefined;
  if (!law || !gaussianSide) return { ...standIn, exact: false };
  const g = gaussianSide;
  const gShared = Math.min(variance(g), g.sharedVariance);
  const m = sumMoments(act, law, g.mean, Math.sqrt(gShared), Math.sqrt(variance(g) - gShared));
  return {
    signal: { mean: m.mean, second: m.second, gaussian: false, sharedVariance: m.sharedVariance },
    derivativeSecond: m.derivativeSecond,
    saturated: standIn.saturated,
    dead: canDie(act.name) ? standIn.dead : 0,
    exact: true,
  };
}

/** E φ(L + G), E φ(L + G)², Var of a unit's mean, and E φ′(L + G)², G = μ + σ_s·s′ + σ_e·e′ independent of L. */
function sumMoments(act: Activation, law: ElementLaw, mu: number, sharedStd: number, ownStd: number): { mean: number; second: number; sharedVariance: number; derivativeSecond: number } {
  const outerL = sharedRule(law);
  const outerG = sharedStd > 0 ? standardNormalRule(GAUSSIAN_SHARED_NODES) : { nodes: new Float64Array([0]), weights: new Float64Array([1]) };
  const own = ownRule(law);
  const inner = standardNormalRule(GAUSSIAN_OWN_NODES);
  const closed = act.name === 'relu' || act.name === 'leaky_relu' || ownStd === 0;
  let mean = 0, second = 0, meanSquare = 0, slope = 0;
  for (let i = 0; i < outerL.nodes.length; i++) {
    for (let j = 0; j < outerG.nodes.length; j++) {
      const w = outerL.weights[i] * outerG.weights[j];
      const shift = mu + sharedStd * outerG.nodes[j];
      let unitMean = 0, unitSecond = 0, unitSlope = 0;
      for (let k = 0; k < own.nodes.length; k++) {
        const center = law.value(outerL.nodes[i], own.nodes[k]) + shift;
        let y = 0, y2 = 0, d2 = 0;
        if (closed) {
          const am = activationMoments(act, center, ownStd);
          y = am.mean; y2 = am.secondMoment; d2 = am.derivativeSecondMoment;
        } else {
          for (let q = 0; q < inner.nodes.length; q++) {
            const z = center + ownStd * inner.nodes[q];
            const v = activate(act, z);
            y += inner.weights[q] * v;
            y2 += inner.weights[q] * v * v;
            d2 += inner.weights[q] * derivative(act, z) ** 2;
          }
        }
        unitMean += own.weights[k] * y;
        unitSecond += own.weights[k] * y2;
        unitSlope += own.weights[k] * d2;
      }
      mean += w * unitMean;
      second += w * unitSecond;
      meanSquare += w * unitMean * unitMean;
      slope += w * unitSlope;
    }
  }
  return { mean, second, sharedVariance: Math.max(0, meanSquare - mean * mean), derivativeSecond: slope };
}

/**
 * The marginal of a sum of independent paths (a residual block's shortcut and branch, a parallel block's paths): the
 * sum of their marginals (`sumMarginal`); undefined when one is not known.
 */
export function pathsMarginal(paths: Signal[]): Marginal | undefined {
  let sum: Marginal | undefined;
  for (const p of paths) {
    const m = marginalOf(p);
    if (!m) return undefined;
    sum = sum ? sumMarginal(sum, m) : m;
  }
  return sum;
}

/**
 * The bound of a sum of independent paths' outputs (a residual block's shortcut and branch, a parallel block's
 * branches) from theirs: to first order a path off by ε in std moves the sum's variance by 2ε·Var(path), so the
 * sum's std is off by at most Σ Var(path)·ε(path) / Σ Var(path). A path with an unknown bound (NaN) makes it unknown.
 */
export function sumBound(paths: Signal[]): number {
  let total = 0;
  let weighted = 0;
  for (const p of paths) {
    const v = variance(p);
    total += v;
    weighted += v * (p.approximateBy ?? 0);
  }
  return total > 0 ? weighted / total : Math.max(0, ...paths.map((p) => p.approximateBy ?? 0));
}
