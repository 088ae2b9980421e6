import { type Activation, activate, derivative } from '../math/activation';
import { activationMoments } from '../math/activationMoments';
import { normalCdf, normalPdf, normalQuantile } from '../math/gaussian';
import { type ProbabilityRule, steepNormalRule } from '../math/compositeRule';
import { standardNormalRule } from '../math/gaussHermite';
import { maxOfNormalsCdf, maxOfNormalsRule } from '../math/maxOfNormals';

// The law of one element of a layer's output as the mean field sees it at init: x = value(s, e) with two independent
// sources of randomness, s ~ N(0, 1) shared by every element of a unit (a dense unit over the batch, a conv channel
// over the batch and every position: its weights' draw) and e the element's own (a standard normal, or after a max
// pooling the max of `window` of them). A linear map of many inputs gives x = μ + σ_s·s + σ_e·e (Gaussian); a
// nonlinearity, a normalization or a max pooling maps that law to another, exactly, so chains like conv → relu →
// maxpool → conv, or relu → batchnorm → relu keep exact marginals where moments alone would need a Gaussian guess.

/** The law of an element: x = value(s, e), s ~ N(0, 1) shared by a unit, e the element's own. */
export interface ElementLaw {
  value(s: number, e: number): number;
  /** Whether value depends on s (false: the outer quadrature is skipped). */
  readonly shared: boolean;
  /** e is the max of `window` independent standard normals (1: e ~ N(0, 1)). */
  readonly window: number;
  /** Whether value is nondecreasing in e, so that a max over e's is the max over the elements. */
  readonly monotone: boolean;
  /** Set when value = mean + sharedStd·s + individualStd·e and window is 1 (closed forms apply). */
  readonly gaussian?: { mean: number; sharedStd: number; individualStd: number };
}

/** Gauss–Hermite nodes for the shared s: E[· | s] is smoothed by the own part's spread, so few nodes suffice. */
const SHARED_NODES = 32;

/** The Gaussian law x = mean + √(shared)·s + √(individual)·e. */
export function gaussianLaw(mean: number, sharedVariance: number, individualVariance: number): ElementLaw {
  const sharedStd = Math.sqrt(Math.max(0, sharedVariance));
  const individualStd = Math.sqrt(Math.max(0, individualVariance));
  // An offset a thousandth of the own spread (a mean that rounding left) moves nothing the quadratures resolve.
  return { value: (s, e) => mean + sharedStd * s + individualStd * e, shared: sharedStd > 1e-3 * individualStd, window: 1, monotone: true, gaussian: { mean, sharedStd, individualStd } };
}

/** Whether φ is nondecreasing (everything but gelu and silu, which dip below 0, and a leaky_relu with negative slope). */
export function isMonotone(act: Activation): boolean {
  switch (act.name) {
    case 'linear': case 'tanh': case 'relu': case 'sigmoid': case 'elu': case 'selu': case 'softplus': return true;
    case 'leaky_relu': return act.negativeSlope >= 0;
    default: return false;
  }
}

/** The law of φ(x) for x of law `law`: value′ = φ∘value, monotone when both are. */
export function activationLaw(law: ElementLaw, act: Activation): ElementLaw {
  if (act.name === 'linear') return law;
  return { value: (s, e) => activate(act, law.value(s, e)), shared: law.shared, window: law.window, monotone: law.monotone && isMonotone(act) };
}

/** The law of a·x + b (a > 0 keeps it monotone). */
export function affineLaw(law: ElementLaw, scale: number, shift: number): ElementLaw {
  if (law.gaussian) {
    const g = law.gaussian;
    return gaussianLaw(scale * g.mean + shift, (scale * g.sharedStd) ** 2, (scale * g.individualStd) ** 2);
  }
  return { value: (s, e) => scale * law.value(s, e) + shift, shared: law.shared, window: law.window, monotone: law.monotone && scale >= 0 };
}

/**
 * The law of the max over a window of k elements of one unit whose own parts are independent: for a monotone law,
 * max_j value(s, e_j) = value(s, max_j e_j), so the window multiplies (Gaussian order statistics, see
 * `maxOfNormalsRule`). Undefined for a law that is not monotone (gelu, silu): no exact law then.
 */
export function maxLaw(law: ElementLaw, k: number): ElementLaw | undefined {
  if (!law.monotone) return undefined;
  return { value: (s, e) => law.value(s, e), shared: law.shared, window: law.window * k, monotone: true };
}

/**
 * The law of inverted dropout's output (torch.nn.Dropout in training mode): 0 with probability `rate`, else x/keep,
 * the mask independent of x. With u = Φ(e): value′(s, e) = 0 for u < rate, else value(s, Φ⁻¹((u − rate)/keep))/keep,
 * which has exactly that law (the own draw split by its quantile). Only for laws whose lowest value is 0 (relu's,
 * dropout's): value′ is then continuous at the split, so the quadratures stay accurate, and monotone, so a max pooling
 * or a normalization after it still has an exact law; undefined otherwise, and for windows above 1.
 */
export function dropoutLaw(law: ElementLaw, rate: number): ElementLaw | undefined {
  if (law.window !== 1 || !law.monotone) return undefined;
  if (rate === 0) return law;
  const keep = 1 - rate;
  for (const s of sharedRule(law).nodes) if (law.value(s, -12) !== 0) return undefined;
  return {
    value: (s, e) => {
      const u = normalCdf(e);
      return u < rate ? 0 : law.value(s, normalQuantile(Math.min(1 - 1e-16, (u - rate) / keep))) / keep;
    },
    shared: law.shared, window: 1, monotone: true,
  };
}

/**
 * P(value(s, e) = value(s, −∞)): the mass of a monotone law's lowest value (relu's zeros, dropout's), by bisection on
 * e for the last point still at it, then P(max of `window` normals ≤ e*); 0 for a law that is not monotone.
 */
export function bottomMass(law: ElementLaw, s: number): number {
  if (!law.monotone) return 0;
  const bottom = law.value(s, -12);
  if (law.value(s, -11.9) !== bottom) return 0;
  let lo = -12, hi = 12;
  if (law.value(s, hi) === bottom) return 1;
  for (let i = 0; i < 60; i++) {
    const mid = 0.5 * (lo + hi);
    if (law.value(s, mid) === bottom) lo = mid; else hi = mid;
  }
  return maxOfNormalsCdf(lo, law.window);
}

/** The same law with e the max of `window` normals instead of the law's own (the overlapping-window covariance needs it). */
export function withWindow(law: ElementLaw, window: number): ElementLaw {
  return { value: (s, e) => law.value(s, e), shared: law.shared, window, monotone: law.monotone };
}

/** The quadrature rule of s (a single node at 0 when the law does not depend on it). */
export function sharedRule(law: ElementLaw): ProbabilityRule {
  return law.shared ? standardNormalRule(SHARED_NODES) : { nodes: new Float64Array([0]), weights: new Float64Array([1]) };
}

/** The quadrature rule of e: the max of `window` standard normals (composite, for kinks and narrow features). */
export function ownRule(law: ElementLaw): ProbabilityRule {
  return maxOfNormalsRule(law.window);
}

/** E[x | s], E[x² | s], E[x³ | s] and E[x⁴ | s] over the element's own e: the moments within one unit. */
export function unitMoments(law: ElementLaw, s: number): { mean: number; second: number; third: number; fourth: number } {
  const { nodes, weights } = ownRule(law);
  let mean = 0, second = 0, third = 0, fourth = 0;
  for (let i = 0; i < nodes.length; i++) {
    const x = law.value(s, nodes[i]);
    const x2 = x * x;
    mean += weights[i] * x;
    second += weights[i] * x2;
    third += weights[i] * x2 * x;
    fourth += weights[i] * x2 * x2;
  }
  return { mean, second, third, fourth };
}

/** Var(x | s) and the kurtosis E[(x − E[x|s])⁴ | s]/Var(x | s)² within one unit (3 for a Gaussian). */
export function unitSpread(law: ElementLaw, s: number): { variance: number; kurtosis: number } {
  if (law.gaussian) return { variance: law.gaussian.individualStd ** 2, kurtosis: 3 };
  const { nodes, weights } = ownRule(law);
  const mean = unitMoments(law, s).mean;
  let second = 0, fourth = 0;
  for (let i = 0; i < nodes.length; i++) {
    const d = law.value(s, nodes[i]) - mean;
    second += weights[i] * d * d;
    fourth += weights[i] * d ** 4;
  }
  return { variance: second, kurtosis: second > 0 ? fourth / (second * second) : 3 };
}

/** Moments of a law over both sources. */
export interface LawMoments {
  mean: number;
  /** E[x²] */
  second: number;
  /** E[x⁴] */
  fourth: number;
  /** E[(x − E x)⁴] */
  centralFourth: number;
  /** Var_s(E[x | s]): the variance of a unit's mean around the global mean. */
  sharedVariance: number;
}

/**
 * E[x], E[x²], E[x⁴], E[(x − E x)⁴] and Var_s E[x | s] by a product rule: Gauss–Hermite in s (24 nodes), the max-of-normals rule
 * in e (64 nodes). Gaussian laws use the closed forms.
 */
export function lawMoments(law: ElementLaw): LawMoments {
  if (law.gaussian) {
    const { mean, sharedStd, individualStd } = law.gaussian;
    const v = sharedStd ** 2 + individualStd ** 2;
    return { mean, second: mean * mean + v, fourth: mean ** 4 + 6 * mean * mean * v + 3 * v * v, centralFourth: 3 * v * v, sharedVariance: sharedStd ** 2 };
  }
  const { nodes, weights } = sharedRule(law);
  let mean = 0, second = 0, third = 0, fourth = 0, meanSquare = 0;
  for (let i = 0; i < nodes.length; i++) {
    const u = unitMoments(law, nodes[i]);
    mean += weights[i] * u.mean;
    second += weights[i] * u.second;
    third += weights[i] * u.third;
    fourth += weights[i] * u.fourth;
    meanSquare += weights[i] * u.mean * u.mean;
  }
  const centralFourth = fourth - 4 * mean * third + 6 * mean * mean * second - 3 * mean ** 4;
  return { mean, second, fourth, centralFourth: Math.max(0, centralFourth), sharedVariance: Math.max(0, meanSquare - mean * mean) };
}

/**
 * The law of batchnorm's output at init (γ = 1, β = 0): each unit normalized by its own mean and variance over
 * the batch (and positions), x̂ = (x − E[x | s])/√(Var(x | s) + eps) (Ioffe & Szegedy, 2015). The unit's statistics
 * are taken as their expectations, exact as the batch grows. A Gaussian law becomes N(0, σ_e²/(σ_e² + eps)).
 */
export function normalizePerUnit(law: ElementLaw, eps: number): ElementLaw {
  if (law.gaussian) {
    const v = law.gaussian.individualStd ** 2;
    return gaussianLaw(0, 0, v / (v + eps));
  }
  const cache = new Map<number, { mean: number; inv: number }>();
  const stats = (s: number): { mean: number; inv: number } => {
    let c = cache.get(s);
    if (!c) {
      const u = unitMoments(law, s);
      c = { mean: u.mean, inv: 1 / Math.sqrt(Math.max(0, u.second - u.mean * u.mean) + eps) };
      cache.set(s, c);
    }
    return c;
  };
  return { value: (s, e) => { const c = stats(s); return (law.value(s, e) - c.mean) * c.inv; }, shared: law.shared, window: law.window, monotone: law.monotone };
}

/**
 * P(value(s, e) > threshold | s) for a monotone law: the root e* of value(s, e) = threshold by bisection on
 * [−12, 12], then 1 − P(max of `window` normals ≤ e*) = 1 − Φ(e*)^window. Exact where quadrature of an indicator
 * would be off by a node's weight (≈ 10% at 64 Gauss–Hermite nodes).
 */
export function probabilityAbove(law: ElementLaw, s: number, threshold: number): number {
  let lo = -12, hi = 12;
  if (law.value(s, hi) <= threshold) return 0;
  if (law.value(s, lo) > threshold) return 1;
  for (let i = 0; i < 60; i++) {
    const mid = 0.5 * (lo + hi);
    if (law.value(s, mid) > threshold) hi = mid; else lo = mid;
  }
  return 1 - maxOfNormalsCdf(0.5 * (lo + hi), law.window);
}

/**
 * E[φ′(x)²] for x of law `law`: for relu and leaky_relu (slope a) a² + (1 − a²)·P(x > 0), with P exact for a
 * monotone law (`probabilityAbove`); for the smooth activations by quadrature.
 */
export function derivativeSecondMoment(law: ElementLaw, act: Activation): number {
  const { nodes, weights } = sharedRule(law);
  const piecewise = act.name === 'relu' || act.name === 'leaky_relu';
  const a = act.name === 'leaky_relu' ? act.negativeSlope : 0;
  let sum = 0;
  for (let i = 0; i < nodes.length; i++) {
    const s = nodes[i];
    if (piecewise && law.monotone) {
      sum += weights[i] * (a * a + (1 - a * a) * probabilityAbove(law, s, 0));
    } else {
      const own = ownRule(law);
      let inner = 0;
      for (let j = 0; j < own.nodes.length; j++) inner += own.weights[j] * derivative(act, law.value(s, own.nodes[j])) ** 2;
      sum += weights[i] * inner;
    }
  }
  return sum;
}

/** E_s[P(x ≤ 0 | s)^batch]: the probability that a unit is ≤ 0 on every sample of the batch (dead), monotone laws. */
export function deadProbability(law: ElementLaw, batch: number): number {
  const { nodes, weights } = sharedRule(law);
  let sum = 0;
  for (let i = 0; i < nodes.length; i++) sum += weights[i] * (1 - probabilityAbove(law, nodes[i], 0)) ** batch;
  return sum;
}

/**
 * The rule over a unit's shared s for functions of μ + σ_s·s smoothed by the own spread σ_e (a unit's mean after φ, the
 * probability that it is ≤ 0): refined around s* = −μ/σ_s, where relu's kink sits, to the width max(σ_e, w)/σ_s,
 * w = 0 for the relu family and 1 for the smooth activations (`steepNormalRule`).
 */
export function unitOffsetRule(act: Activation, mean: number, sharedStd: number, individualStd: number): ProbabilityRule {
  const piecewise = act.name === 'relu' || act.name === 'leaky_relu';
  const width = Math.max(individualStd, piecewise ? 0 : 1, 1e-12 * sharedStd) / sharedStd;
  // Features half a standard deviation wide or wider are smooth enough for Gauss–Hermite.
  if (width >= 0.5) return standardNormalRule(SHARED_NODES);
  // A layer asks for the same rule several times (its dead fraction, the shared variance), and layers deep in a
  // network for nearly the same one. The breaks need not sit exactly at the kink: the width rounds to a power of 2
  // and the kink to an eighth of it (the finest panel), so that the rule is reused.
  const rounded = 2 ** Math.round(Math.log2(width));
  const kink = Math.round((-mean / sharedStd) / (rounded / 8)) * (rounded / 8);
  const hit = recentRules.find((r) => r.kink === kink && r.width === rounded);
  if (hit) return hit.rule;
  const rule = steepNormalRule(kink, rounded);
  recentRules.unshift({ kink, width: rounded, rule });
  recentRules.length = Math.min(recentRules.length, 4);
  return rule;
}

/** E relu(N(c, σ²)) = c·Φ(c/σ) + σ·φ(c/σ), σ > 0. */
function reluMean(c: number, sigma: number): number {
  const t = c / sigma;
  return c * normalCdf(t) + sigma * normalPdf(t);
}

/** The last few refined rules (a bounded cache: the engine runs on one thread per realm). */
const recentRules: { kink: number; width: number; rule: ProbabilityRule }[] = [];

/**
 * Var_s(E[φ(μ + σ_s·s + σ_e·e) | s]) for a Gaussian pre-activation: how much of φ's output varies from unit to unit
 * (its weights' draw) rather than from element to element. 0 when σ_s = 0. The inner mean E[φ(N(μ + σ_s·s, σ_e²))]
 * by `activationMoments` (closed forms for the relu family), the outer over s by `unitOffsetRule`: when σ_e ≪ σ_s
 * relu's unit means are nearly a kinked function of s, which 16-node Gauss–Hermite missed by a tenth.
 */
export function sharedVarianceAfter(act: Activation, mean: number, sharedVariance: number, individualVariance: number): number {
  if (!(sharedVariance > 0)) return 0;
  if (act.name === 'linear') return sharedVariance;
  const sharedStd = Math.sqrt(sharedVariance);
  const individualStd = Math.sqrt(Math.max(0, individualVariance));
  if (sharedStd < 1e-3 * individualStd) {
    // A tiny offset (a mean that rounding left): to first order the unit's mean moves by E[φ′(z)]·s.
    const rule = standardNormalRule(16);
    let slope = 0;
    for (let i = 0; i < rule.nodes.length; i++) slope += rule.weights[i] * derivative(act, mean + individualStd * rule.nodes[i]);
    return slope * slope * sharedVariance;
  }
  const { nodes, weights } = unitOffsetRule(act, mean, sharedStd, individualStd);
  let m = 0, m2 = 0;
  const a = act.name === 'leaky_relu' ? act.negativeSlope : 0;
  const piecewise = (act.name === 'relu' || act.name === 'leaky_relu') && individualStd > 0;
  for (let i = 0; i < nodes.length; i++) {
    const c = mean + sharedStd * nodes[i];
    // relu's mean in closed form, E relu(N(c, σ²)) = c·Φ(c/σ) + σ·φ(c/σ) (leaky: minus a times the mirrored one).
    const g = piecewise ? reluMean(c, individualStd) - a * reluMean(-c, individualStd) : activationMoments(act, c, individualStd).mean;
    m += weights[i] * g;
    m2 += weights[i] * g * g;
  }
  return Math.max(0, m2 - m * m);
}

