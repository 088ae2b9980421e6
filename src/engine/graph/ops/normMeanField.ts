import { affineLaw, bottomMass, type ElementLaw, gaussianLaw, lawMoments, normalizePerUnit, sharedRule, unitSpread } from '../../meanField/elementLaw';
import { compoundBounds } from '../../meanField/approximation';
import { scatterBound } from '../../meanField/finiteSize';
import { inverseGroupMoments, weightedInverseGroupMoments } from '../../meanField/groupVariance';
import { affineMarginal, lawMarginal, type Marginal, marginalMoments } from '../../meanField/marginal';
import { lawOf, type Signal, variance } from '../../meanField/signal';
import { type PlanNode, sizeOf } from '../plan';
import type { PredictContext } from '../layerOp';

/** What the mean field of a normalization needs to know about it. */
export interface NormalizationGeometry {
  /** batchnorm: each unit (feature or channel) over the batch and positions; layernorm and rmsnorm: each group (a sample, a token) over its features. */
  kind: 'batchnorm' | 'layernorm' | 'rmsnorm';
  /** N, the number of elements normalized together. */
  groupSize: number;
  eps: number;
  /** The gain g per feature at init (mean and std of its init; ones: 1 and 0). */
  gain: { mean: number; std: number };
}

/**
 * Mean field of batchnorm, layernorm and rmsnorm at init, for an input of law value(s, e) (`elementLaw.ts`; the
 * Gaussian of the input's moments stands in where the law is unknown, and a batchnorm of a non-Gaussian input whose
 * units differ is then approximate).
 *
 * Forward:
 * - batchnorm: x̂ = (x − E[x|s])/√(Var(x|s) + eps) per unit (`normalizePerUnit`): mean 0, no shared variance,
 *   E[x̂²] = E_s[Var(x|s)/(Var(x|s) + eps)].
 * - layernorm: x̂ = (x − m)/√(v + eps) with the group's mean and variance, which for groups of many independent
 *   elements are the signal's own: the law maps affinely (without a law, the marginal a sum or a product left, so
 *   that the next normalization's gradient bound keeps it), units keep their differences (scaled).
 * - rmsnorm: y = g·x/√(E[x²] + eps); a random gain g (independent of x) multiplies E[y²] by E[g²], E[y] by E[g].
 * The pre-activation std reported is that of x̂ (what the sampled run records before the gain).
 *
 * Backward, dx = (1/σ̂)·P(dy) with P the projection that removes the group mean of dy and its component along x̂
 * (centred norms: rank N − 2) or along x̂ only (rmsnorm: rank N − 1): for dy independent of x, E|P dy|² = (N − r)/N·E|dy|²,
 * and E[1/σ̂²] over the group's own estimate ≈ N/((N − κ)·σ²) (κ the kurtosis; exact for a Gaussian, where
 * N·σ̂²/σ² ~ χ²_{N−1}). So Var(dx)/Var(dy) = (N − 2)/(N − κ)·E_s[1/(Var(x|s) + eps)] for batchnorm (averaged over
 * units), (N − 2)/(N − κ)/(v + eps) for layernorm and E[g²]·(N − 1)/(N − κ₂ + 1)/(E[x²] + eps) for rmsnorm
 * (κ₂ = E[x⁴]/E[x²]²). A group whose elements are all equal (all at a relu's zero: `constantGroupProbability`)
 * gives x̂ = 0 and passes its centred gradient times 1/√eps: those groups are mixed in with their probability.
 * References: Ioffe & Szegedy (2015), Ba et al. (2016), Zhang & Sennrich (2019).
 */
export function predictNormalization(node: PlanNode, s: Signal, ctx: PredictContext, g: NormalizationGeometry): Signal {
  const n = g.groupSize;
  const v = variance(s);
  const shared = Math.min(v, s.sharedVariance);
  const known = lawOf(s);
  const law: ElementLaw = known ?? gaussianLaw(s.mean, shared, v - shared);
  const inBound = s.approximateBy ?? 0;
  // Without a law, the marginal a product or a sum of branches left, where there is one.
  const marginal = known ? undefined : s.marginal;
  let normalized: ElementLaw;
  let factor: number;
  let exact = true;
  // Where the input carries a marginal and no law: the output's, by the same affine map as the law's (below).
  let normalizedMarginal: Marginal | undefined;
  if (g.kind === 'batchnorm') {
    normalized = normalizePerUnit(law, g.eps);
    const rule = sharedRule(law);
    factor = 0;
    for (let i = 0; i < rule.nodes.length; i++) {
      const u = unitSpread(law, rule.nodes[i]);
      factor += rule.weights[i] * projectionFactor(n, 2, u.kurtosis) / (u.variance + g.eps);
    }
    // Units whose spread differs (a non-Gaussian input with unit offsets) need the law to average 1/σ² right.
    exact = known !== undefined || s.gaussian || shared === 0;
  } else {
    const center = g.kind === 'layernorm';
    const m = marginal ? marginalMoments(marginal) : lawMoments(law);
    const scale = center ? 1 / Math.sqrt(v + g.eps) : 1 / Math.sqrt(s.second + g.eps);
    normalized = affineLaw(law, scale, center ? -s.mean * scale : 0);
    if (marginal && (center || g.gain.std === 0)) normalizedMarginal = affineMarginal(marginal, center ? scale : scale * g.gain.mean, center ? -s.mean * scale : 0);
    const kurtosis = center ? (v > 0 ? m.centralFourth / (v * v) : 3) : (s.second > 0 ? m.fourth / (s.second * s.second) : 3);
    factor = center ? projectionFactor(n, 2, kurtosis) / (v + g.eps) : projectionFactor(n, 1, kurtosis - 1) / (s.second + g.eps);
  }
  // A group whose elements are all equal (every one at a relu's or dropout's zero) normalizes to x̂ = 0, and its
  // gradient is dy's centred part times 1/√eps.
  const constant = known ? constantGroupProbability(known, g.kind, n) : marginal ? marginal.bottom ** n : 0;
  const constantFactor = (g.kind === 'rmsnorm' ? 1 : (n - 1) / n) / g.eps;
  if (constant > 0) factor = (1 - constant) * factor + constant * constantFactor;
  // How far the factor may be off where the groups' law is not Gaussian (`groupFactorBound`), and how the gradient
  // weighs the values, for an op below that multiplies by them (`valueWeightedGradient`).
  const groups = (ctx.batch * sizeOf(node.inShape)) / n;
  const nonGaussian = g.kind !== 'batchnorm' && !s.gaussian && !known?.gaussian;
  const groupMarginal = nonGaussian || (g.kind !== 'batchnorm' && s.valueWeightedGradient) ? (known ? lawMarginal(known) : marginal) : undefined;
  const groupBound = nonGaussian ? groupFactorBound(groupMarginal, s, g, factor, groups) : 0;
  if (groupMarginal && s.valueWeightedGradient) s.valueWeightedGradient(valueWeight(groupMarginal, g, factor));
  const x = scaleMoments(lawMoments(normalized), 1 - constant);
  const gainSecond = g.gain.mean ** 2 + g.gain.std ** 2;
  // The marginal goes on as the law does: not where constant groups (x̂ = 0) are mixed in.
  const carried = normalizedMarginal && constant < 1e-9 ? { marginal: normalizedMarginal } : {};
  const out: Signal = g.kind === 'rmsnorm'
    ? { mean: g.gain.mean * x.mean, second: gainSecond * x.second, gaussian: s.gaussian && g.gain.std === 0, sharedVariance: Math.max(0, gainSecond * (x.mean ** 2 + x.sharedVariance) - (g.gain.mean * x.mean) ** 2),
      law: known && g.gain.std === 0 && constant < 1e-9 ? affineLaw(normalized, g.gain.mean, 0) : undefined, ...carried }
    : { mean: x.mean, second: x.second, gaussian: s.gaussian, sharedVariance: g.kind === 'batchnorm' ? 0 : x.sharedVariance, law: known && constant < 1e-9 ? normalized : undefined,
      ...carried };
  const outStd = Math.sqrt(variance(out));
  // The output is normalized whatever the input's scale: only rmsnorm's mean carries the input's error on to it.
  const own = exact ? 0 : NaN;
  const forwardBound = g.kind === 'rmsnorm' && out.mean !== 0 ? (1 + inBound) * (1 + own) - 1 : own;
  ctx.record(node, {
    preActivationStd: Math.sqrt(Math.max(0, x.second - x.mean * x.mean)), activationMean: out.mean, activationStd: outStd,
    chi: null, saturatedFraction: 0, deadFraction: 0, approximate: !exact, approximateBy: forwardBound,
    gradientApproximateBy: compoundBounds(inBound, compoundBounds(own, groupBound)),
  }, (g.kind === 'rmsnorm' ? gainSecond : 1) * factor);
  // Normalizing per unit or per sample rescales own parts alike: their correlations stay. Two tokens of a sequence
  // are divided by about the same std (the token's), so their correlation stays: layernorm's centred, rmsnorm's not.
  const cross = s.cross === undefined || g.kind === 'batchnorm' ? undefined
    : g.kind === 'layernorm' ? (s.cross - s.mean * s.mean) / (v + g.eps) : gainSecond * s.cross / (s.second + g.eps);
  return { ...out, lagCorrelationVariance: s.lagCorrelationVariance, ...(cross !== undefined ? { cross } : {}), ...(s.dependentNeighbours ? { dependentNeighbours: s.dependentNeighbours } : {}) };
}

/**
 * The bound of a layernorm's or rmsnorm's backward factor F = Var(dx)/Var(dy) (before rmsnorm's gain) on groups of N
 * elements whose law is not Gaussian, in std, under the gradient independence the whole recursion takes (dy
 * independent of x). A group of spread Q (the biased variance; rmsnorm's mean square) passes
 * f(Q) = (N − 2)/(N·(Q + eps)) + eps/(N·(Q + eps)²) (rmsnorm: N − 1 for N − 2), exactly: the projection of dy off the
 * group mean and x̂ keeps (N − 1 − |x̂|²/N)/N of E|dy|², |x̂|² = N·Q/(Q + eps). So F = E[f(Q)]: with the groups'
 * marginal known, from the inverse moments of Q (`inverseGroupMoments`, groups of independent elements), F_exact and
 * Var f(Q); F_exact without its constant groups (probability p₀ = P(x = min x)ᴺ, f = f(0)), F₀, what a layer below
 * sees that multiplies the gradient by values vanishing on them (a relu's zeros: its gradient there is not
 * independent of x). The predicted F (Gaussian groups of the law's kurtosis, constant groups mixed in) is bounded by
 * the range of F_exact and F₀, √(max(high/F, F/low)) − 1, compounded with the scatter of the mean of f over the
 * run's M groups, Var f/(M·F_exact²) (`scatterBound`, 3σ: nearly constant groups are rare and large). Without a
 * marginal, only f(Q) ≤ f(0) and Jensen's E[1/(Q + eps)] ≥ 1/(E[Q] + eps), E[Q] ≤ Var x (rmsnorm: E[x²]), bound it:
 * between (N − 2)/(N·(Var x + eps)) and f(0).
 */
function groupFactorBound(marginal: Marginal | undefined, s: Signal, g: NormalizationGeometry, factor: number, groups: number): number {
  const n = g.groupSize;
  const centred = g.kind === 'layernorm';
  const rank = centred ? (n - 2) / n : (n - 1) / n;
  const atZero = (centred ? (n - 1) / n : 1) / g.eps;
  if (!(factor > 0)) return 0;
  if (!marginal) {
    const low = rank / ((centred ? variance(s) : s.second) + g.eps);
    return Math.sqrt(Math.max(atZero / factor, factor / low)) - 1;
  }
  const [i1, i2, i3, i4] = inverseGroupMoments(marginal, n, g.eps, centred);
  const e = g.eps / n;
  const exactMean = rank * i1 + e * i2;
  const exactSecond = rank * rank * i2 + 2 * rank * e * i3 + e * e * i4;
  const p0 = marginal.bottom ** n;
  const withoutConstant = p0 < 1 ? Math.max(0, exactMean - p0 * atZero) / (1 - p0) : exactMean;
  const low = Math.min(factor, exactMean, withoutConstant);
  const high = Math.max(factor, exactMean);
  const range = low > 0 ? Math.sqrt(Math.max(high / factor, factor / low)) - 1 : NaN;
  const relativeVariance = exactMean > 0 ? Math.max(0, exactSecond - exactMean * exactMean) / (exactMean * exactMean * groups) : 0;
  return compoundBounds(range, scatterBound(relativeVariance));
}

/**
 * E[dy_in²·x²]/(E[dy_in²]·E[x²]) at a layernorm's or rmsnorm's input, for dy at its output independent of x: a group of
 * spread Q passes f(Q) (see `groupFactorBound`) to each of its elements, so E[f(Q)·x₁²]/(F·E[x²]), with
 * E[x₁²·(Q + eps)^−k] from the groups' marginal (`weightedInverseGroupMoments`) and F the predicted factor. Well below
 * 1 where nearly constant groups, whose values are small, carry much of F.
 */
function valueWeight(marginal: Marginal, g: NormalizationGeometry, factor: number): number {
  const n = g.groupSize;
  const centred = g.kind === 'layernorm';
  const rank = centred ? (n - 2) / n : (n - 1) / n;
  const [j1, j2] = weightedInverseGroupMoments(marginal, n, g.eps, centred);
  const second = marginalMoments(marginal).second;
  return factor > 0 && second > 0 ? (rank * j1 + (g.eps / n) * j2) / (factor * second) : 1;
}

/**
 * The probability that all N elements of a group sit at the law's lowest value (`bottomMass` π(s) per unit): for
 * batchnorm's groups, one unit over the batch, E_s[π(s)^N]; for layernorm's and rmsnorm's, N elements of different
 * units, E over their offsets of Π π(s_i) ≈ exp(N·E_s[ln π(s)]).
 */
function constantGroupProbability(law: ElementLaw, kind: NormalizationGeometry['kind'], n: number): number {
  if (!law.monotone) return 0;
  const rule = sharedRule(law);
  let perUnit = 0, logMean = 0;
  for (let i = 0; i < rule.nodes.length; i++) {
    const p = bottomMass(law, rule.nodes[i]);
    perUnit += rule.weights[i] * p ** n;
    logMean += rule.weights[i] * Math.log(Math.max(p, 1e-300));
  }
  return kind === 'batchnorm' ? perUnit : Math.exp(n * logMean);
}

/** The moments of a law mixed with a point mass at 0: E[x], E[x²], … times the weight kept. */
function scaleMoments(m: ReturnType<typeof lawMoments>, kept: number): ReturnType<typeof lawMoments> {
  if (kept === 1) return m;
  const mean = kept * m.mean;
  const meanSquare = kept * (m.sharedVariance + m.mean * m.mean);
  return { mean, second: kept * m.second, fourth: kept * m.fourth, centralFourth: kept * m.centralFourth, sharedVariance: Math.max(0, meanSquare - mean * mean) };
}

/** (N − r)/(N − κ): the projection's share of E|dy|² times E[σ²/σ̂²] (see `predictNormalization`), for N > κ + 1. */
function projectionFactor(n: number, rank: number, kurtosis: number): number {
  return Math.max(0, n - rank) / Math.max(n - kurtosis, 1);
}
