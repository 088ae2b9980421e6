import { compoundBounds } from '../../meanField/approximation';
import { type Marginal, marginalMoments, productMarginal } from '../../meanField/marginal';
import { marginalOf, type Signal, variance } from '../../meanField/signal';
import type { PredictContext } from '../layerOp';
import { sizeOf } from '../plan';
import type { Broadcast, MultiplyNode } from './multiply';

// The mean field of `multiply`: a product of branches that all read the same input, so not independent of each other,
// predicted as if they were and bounded by how far their dependence can move the product's moments.

/**
 * Per node, what the backward needs from the forward: E[F_k²] of each branch's output, and each branch's ratio of
 * its factor for a gradient uniform over the positions to its factor for independent ones (`uniformRatios`).
 */
const branchMoments = new WeakMap<MultiplyNode, { seconds: number[]; uniform: number[]; vanishing: boolean[] }>();

/** Per node, how the gradient coming back weighs the product's values (`Signal.valueWeightedGradient`). */
const valueWeights = new WeakMap<MultiplyNode, number>();

/** How many positions of the product one value of a branch covers (1 element by element; the map's or the sequence's positions broadcast). */
export function coveredPositions(node: MultiplyNode, broadcast: Broadcast): number {
  return broadcast === 'full' ? 1 : broadcast === 'channel' ? sizeOf(node.outShape) / node.outShape[0] : node.outShape[0];
}

/**
 * Mean field of y = F₁(x) ⊙ F₂(x) ⊙ …: for independent branches E[y] = Π E[F_k], E[y²] = Π E[F_k²], a unit's mean
 * Π E[F_k | unit] (shared variance Π (m_k² + σ²_k,shared) − Π m_k²), two positions of one unit in a sample
 * E[y_p·y_q] = Π_k (E[F_k²] for a broadcast branch, whose one value covers both, else its cross-moment, m_k² plus its
 * shared variance where it carries none: `Signal.cross`), and the marginal the product of theirs (`productMarginal`):
 * a normalization after it reads its groups' zeros from it.
 *
 * The branches all read x (a gate reads its channel's average), so for two branches a and b the product's moments
 * are off by Cov(a, b) and Cov(a², b²). By Cauchy–Schwarz |Cov(a, b)| ≤ √(Var a·Var b) and
 * |Cov(a², b²)| ≤ √(Var a²·Var b²) (Var a² = E[a⁴] − E[a²]², from the marginals). Where a is elementwise in x (the
 * input itself, or activations of it) and b one value per channel over P positions (broadcast), b depends on a's
 * element at position p only through what it reads of position p: with x's positions independent (the mean field's
 * own assumption), the Efron–Stein inequality Σ_p Var E[b | x_p] ≤ Var b gives, averaged over the positions,
 * |Cov(a_p, b)| ≤ √(Var a·Var b/P) (likewise for a², b²). With E[y] = m ± c₁ and E[y²] = s ± c₂, the bound is the
 * farthest std and mean in those intervals from the prediction (`intervalBound`); with more than two branches, or a
 * fourth moment unknown, unknown.
 */
export function predictMultiply(node: MultiplyNode, s: Signal, ctx: PredictContext): Signal {
  const outs = node.branches.map((branch) => (branch.length === 0 ? s : ctx.predictNodes(branch, s)));
  let mean = 1, second = 1, unitSquare = 1, cross = 1;
  for (const [k, out] of outs.entries()) {
    mean *= out.mean;
    second *= out.second;
    unitSquare *= out.mean * out.mean + Math.min(variance(out), out.sharedVariance);
    cross *= node.broadcasts[k] === 'full' ? positionCross(out) : out.second;
  }
  const marginals = outs.map(marginalOf);
  const uniform = uniformRatios(node, outs);
  // Branch k's gradient is multiplied by the other factors: it vanishes where one of them sits at a point mass at 0,
  // where a normalization after it sends its largest gradients.
  const zeros = marginals.map((m) => m !== undefined && m.bottom > 0 && m.means[0] === 0);
  const vanishing = outs.map((_, k) => zeros.some((z, j) => z && j !== k));
  branchMoments.set(node, { seconds: outs.map((o) => o.second), uniform, vanishing });
  valueWeights.delete(node);
  const std = Math.sqrt(Math.max(0, second - mean * mean));
  const marginal = marginals.every((m) => m !== undefined) ? (marginals as Marginal[]).reduce((a, b) => productMarginal(a, b)) : undefined;
  const own = dependenceBound(node, outs, marginals);
  // Each factor's own bound carries into the product: compounded.
  const inBound = outs.reduce((b, o) => compoundBounds(b, o.approximateBy ?? 0), 0);
  // E[F_j²] enters the gradient of every other branch: in std, √2 times that path's forward bound (a mean and a std
  // each off by β·σ move √(m² + σ²) by at most √2·β of it).
  let gradientOwn = 0;
  outs.forEach((_, k) => {
    let b = 0;
    outs.forEach((o, j) => { if (j !== k) b = compoundBounds(b, Math.SQRT2 * (o.approximateBy ?? 0)); });
    gradientOwn = Math.max(gradientOwn, b);
  });
  ctx.record(node, { preActivationStd: std, activationMean: mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0,
    approximate: !(own === 0), approximateBy: compoundBounds(inBound, own), gradientApproximateBy: gradientOwn }, 1);
  const broadcast = node.broadcasts.some((b) => b !== 'full');
  // A global average after it sends the same gradient to every position: the walker tells `predictMultiplyBackward`
  // by rescaling the node's post-derivative by this ratio, which marks it.
  const largest = Math.max(...uniform);
  return { mean, second, gaussian: false, sharedVariance: Math.max(0, unitSquare - mean * mean), cross, ...(marginal ? { marginal } : {}),
    ...(largest > 1 ? { uniformGradientRatio: largest } : {}),
    ...(zeros.some((z) => z) ? { valueWeightedGradient: (ratio: number): void => { valueWeights.set(node, ratio); } } : {}),
    // One gate value scales all of a channel's positions in a sample: they are not independent.
    ...(broadcast || s.dependentNeighbours ? { dependentNeighbours: 'correlated' as const } : {}) };
}

/**
 * Backward of `predictMultiply`: dF_k = dy ⊙ Π_{j≠k} F_j, summed over the positions a broadcast branch covers, so
 * Var(dF_k) = Var(dy)·Π_{j≠k} E[F_j²]·(positions covered), the gradient independent of the branches' values (the
 * recursion's gradient independence); the branches' input gradients add. A gradient the same at every position (a
 * global average after it) sums coherently into a broadcast branch: its factor times `uniformRatios`. A gradient
 * that is not independent of the product's values (a layernorm after it passes large gradients to its groups all or
 * nearly at zero) reaches a branch multiplied by the factor whose zeros those are (a relu branch) weighted as
 * E[dy²·y²]/(E[dy²]·E[y²]) (`Signal.valueWeightedGradient`), the other factors taken as independent of dy.
 */
export function predictMultiplyBackward(node: MultiplyNode, g: number, ctx: PredictContext): number {
  const { seconds, uniform, vanishing } = branchMoments.get(node) ?? { seconds: node.branches.map(() => 1), uniform: node.branches.map(() => 1), vanishing: node.branches.map(() => false) };
  const uniformIncoming = ctx.factors(node).postDerivative !== 1;
  const weight = valueWeights.get(node) ?? 1;
  let total = 0;
  node.branches.forEach((branch, k) => {
    let others = 1;
    seconds.forEach((e, j) => { if (j !== k) others *= e; });
    const own = g * others * coveredPositions(node, node.broadcasts[k]) * (uniformIncoming ? uniform[k] : 1) * (vanishing[k] ? weight : 1);
    total += branch.length === 0 ? own : ctx.backwardNodes(branch, own);
  });
  return total;
}

/**
 * Per branch, the ratio of its backward factor for a gradient d the same at the P positions one of its values
 * covers to the factor for independent ones: dF_k = d·Σ_p Π_{j≠k} F_j,p, so
 * E[dF_k²]/(Var d·P·E[Π²]) = 1 + (P − 1)·E[Π_p·Π_q]/E[Π²], with E[Π_p·Π_q] = Π_{j≠k} (E[F_j²] for a broadcast
 * branch, the cross-moment of two positions, m_j² + σ²_j,shared where it carries none, else); 1 for a branch read
 * element by element.
 */
function uniformRatios(node: MultiplyNode, outs: Signal[]): number[] {
  return outs.map((_, k) => {
    const p = coveredPositions(node, node.broadcasts[k]);
    if (p === 1) return 1;
    let cross = 1, second = 1;
    outs.forEach((o, j) => {
      if (j === k) return;
      second *= o.second;
      cross *= node.broadcasts[j] === 'full' ? positionCross(o) : o.second;
    });
    return second > 0 ? 1 + ((p - 1) * cross) / second : 1;
  });
}

/** E[x_p·x_q] of two positions of one unit in a sample: the signal's cross-moment, else m² plus the unit's shared variance. */
function positionCross(s: Signal): number {
  return s.cross ?? s.mean * s.mean + Math.min(variance(s), s.sharedVariance);
}

/** The bound of the product's moments from its two branches' dependence (see `predictMultiply`); NaN where not known. */
function dependenceBound(node: MultiplyNode, outs: Signal[], marginals: (Marginal | undefined)[]): number {
  if (outs.length !== 2) return NaN;
  const fourths = marginals.map((m) => (m ? marginalMoments(m).fourth : NaN));
  const [a, b] = outs;
  // Positions a broadcast branch's one value covers, where the other branch is elementwise in x.
  let positions = 1;
  for (const k of [0, 1]) {
    const other = 1 - k;
    if (node.broadcasts[k] !== 'full' && node.broadcasts[other] === 'full' && elementwise(node.branches[other])) positions = coveredPositions(node, node.broadcasts[k]);
  }
  const c1 = Math.sqrt((variance(a) * variance(b)) / positions);
  const c2 = Math.sqrt((Math.max(0, fourths[0] - a.second ** 2) * Math.max(0, fourths[1] - b.second ** 2)) / positions);
  return intervalBound(a.mean * b.mean, a.second * b.second, c1, c2);
}

/** Whether a branch's output at a position depends on the input at that position only (the input itself, or activations of it). */
function elementwise(branch: MultiplyNode['branches'][number]): boolean {
  return branch.every((n) => n.op === 'activation');
}

/**
 * How far a tensor of mean m and second moment s may be from them when its mean lies in m ± c₁ and its second moment
 * in s ± c₂, as `approximateBy` reads (the mean relative to the std): std between √(s − c₂ − max m′²) and
 * √(s + c₂ − min m′²) over m′ in m ± c₁; the largest of the std's ratios and c₁ over the smallest std. NaN when the
 * smallest std may be 0 or a moment is unknown.
 */
export function intervalBound(m: number, s: number, c1: number, c2: number): number {
  const std = Math.sqrt(Math.max(0, s - m * m));
  const far = Math.max((m - c1) ** 2, (m + c1) ** 2);
  const near = Math.abs(m) <= c1 ? 0 : Math.min((m - c1) ** 2, (m + c1) ** 2);
  const low = Math.sqrt(Math.max(0, s - c2 - far));
  const high = Math.sqrt(Math.max(0, s + c2 - near));
  if (!(low > 0) || !(std > 0)) return NaN;
  return Math.max(c1 / low, high / std - 1, std / low - 1);
}
