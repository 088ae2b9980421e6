import { derivativeSecondMoment, gaussianLaw, isMonotone, lawMoments, maxLaw } from '../../meanField/elementLaw';
import { compoundBounds } from '../../meanField/approximation';
import { passThrough, type Signal, lawOf, variance } from '../../meanField/signal';
import { clippedMaxPairSums, clippedMaxPoolCorrelationOffsetVariance, maxPoolChannelAverageVariance, maxPoolCorrelationOffsetVariance, sameArgmaxPairs, windowPairs } from '../../meanField/windowMax';
import { windowMaxMixtureLaw, windowMeanMixtureLaw } from '../../meanField/windowMixture';
import type { PredictContext } from '../layerOp';
import type { PoolKind, PoolNode } from './pooling';
import { isClipped, windowCounts, windowPairCounts, windowShapes } from './poolWindows';

/**
 * Mean field of max, average and global average pooling over a [C, H, W] signal whose elements are value(s, e):
 * s shared by a channel, e independent from element to element (`elementLaw.ts`).
 *
 * - Average of k elements (avgpool k = kh·kw, global k = H·W): the channel's mean is kept, so
 *   Var(y) = σ²_shared + E_s Var(x | s)/k (independent e), or the `channelAverageVariance` an overlapping max
 *   pooling before a global average provides; a global average of positions with a cross-moment E[x_p·x_q]
 *   (`Signal.cross`) adds (k − 1)/k·(E[x_p·x_q] − m² − σ²_shared). A Gaussian law stays Gaussian with its own part
 *   divided by k.
 * - Max of k elements: for a monotone law, max_j value(s, e_j) = value(s, max_j e_j) with the max of k normals
 *   (Gaussian order statistics, `maxOfNormalsRule`): exact moments; a conv's per-filter neighbour correlations
 *   add a per-unit offset (`maxPoolCorrelationOffsetVariance`). Otherwise (gelu, silu, an unknown law) the
 *   Gaussian of the same moments stands in, marked approximate by as much as the max moves the moments.
 * - Backward, exact in expectation for independent gradients: Var(dx) = Var(dy)·n_windows/n_inputs for max pooling
 *   (each window's gradient lands on one input) and n_windows/(n_inputs·k) for average pooling (1/H²W² global);
 *   a max pooling makes the gradient reach its input only at window maxima, so the nonlinearity before it has its
 *   factor through φ′ rescaled from E[φ′(z)²] to E[φ′(z_max)²]. With overlapping windows and a gradient that is the
 *   same over a channel's positions (a global average after it), gradients sharing an input add coherently:
 *   max pooling E[Σ_p m_p²]/n_inputs with P(two windows sharing j of k have the same argmax) = j/(2k − j)
 *   (`sameArgmaxPairs`), average pooling Σ_p cover_p²/(k²·n_inputs).
 * - Windows clipped at the edges (padding "same"): `predictClippedPool`.
 * - An input whose neighbouring elements are dependent (`Signal.dependentNeighbours`: what an overlapping or clipped
 *   pooling left, through elementwise ops and normalizations): the windows group neighbours that share inputs, or
 *   that come from the same edge windows, where the rules above take independent elements. For positively dependent
 *   elements the truth lies between those rules and fully correlated windows, whose max or average is the element
 *   itself (for the max of Gaussians by Slepian's inequality, 1962: more correlation, a stochastically smaller max;
 *   for the average Var(mean of k) ≤ Var(x), Jensen). The walker predicts both scenarios (`PredictContext.windows`)
 *   and bounds every layer by their distance. With independent windows, the law of an average of dependent elements,
 *   between the input's (fully correlated) and the Gaussian of a long average of independent ones (the central
 *   limit), is taken as that Gaussian; the channel-average variance of the output is not known then (a global average
 *   of correlated positions is such a pooling too). With correlated windows the input passes through, and a max
 *   pooling leaves φ′ before it as it is (the max is any element).
 */
export function predictPool(kind: PoolKind, node: PoolNode, s: Signal, ctx: PredictContext): Signal {
  // A global average of a mixture over positions is exact (it averages them all); correlated positions are not.
  const dependentInput = kind === 'global_avg_pool' ? s.channelAverageVariance === undefined && s.cross === undefined && s.dependentNeighbours === 'correlated' : dependent(s);
  if (dependentInput) {
    ctx.dependentWindows();
    if (ctx.windows === 'correlated') return predictCorrelatedPool(kind, node, s, ctx);
  }
  if (kind === 'global_avg_pool') return predictFullPool(kind, node, s, ctx);
  return isClipped(node) ? predictClippedPool(kind, node, s, ctx) : predictFullPool(kind, node, s, ctx);
}

/** Whether a signal's neighbouring elements are dependent: flagged, or correlated as a channel-average variance says. */
function dependent(s: Signal): boolean {
  return s.dependentNeighbours !== undefined || s.channelAverageVariance !== undefined;
}

/** What a window pooling leaves: `correlated` where its windows overlap or its input is correlated, else `edges` where they are clipped or its input has edges. */
function dependenceAfter(s: Signal, overlapping: boolean, clipped: boolean): Signal['dependentNeighbours'] {
  if (overlapping || s.dependentNeighbours === 'correlated' || s.channelAverageVariance !== undefined) return 'correlated';
  return clipped || s.dependentNeighbours === 'edges' ? 'edges' : undefined;
}

/**
 * A pooling of fully correlated windows: each window's max or average is its element, so the input's moments and law
 * pass through; backward as for independent gradients (one input per max window, dy/n_p to each of an average
 * window's inputs).
 */
function predictCorrelatedPool(kind: PoolKind, node: PoolNode, s: Signal, ctx: PredictContext): Signal {
  const inputs = node.inShape[1] * node.inShape[2];
  let factor: number;
  if (kind === 'global_avg_pool') factor = 1 / (inputs * inputs);
  else {
    const windows = node.outShape[1] * node.outShape[2];
    let inverseCount = 0;
    for (const [n, count] of windowCounts(node)) inverseCount += count / n;
    factor = kind === 'maxpool2d' ? windows / inputs : inverseCount / inputs;
  }
  const out: Signal = { mean: s.mean, second: s.second, gaussian: s.gaussian, sharedVariance: s.sharedVariance, law: s.law,
    lagCorrelationVariance: s.lagCorrelationVariance, dependentNeighbours: 'correlated' };
  ctx.record(node, { ...passThrough(out, false), approximateBy: s.approximateBy ?? 0, gradientApproximateBy: 0 }, factor);
  return out;
}

/** `predictPool` for windows that hold all of their k inputs (no padding, or "same" that pads nothing). */
function predictFullPool(kind: PoolKind, node: PoolNode, s: Signal, ctx: PredictContext): Signal {
  const [, h, w] = node.inShape;
  const [kh, kw] = node.size;
  const [sh, sw] = node.stride;
  const k = kh * kw;
  const oh = kind === 'global_avg_pool' ? 1 : node.outShape[1];
  const ow = kind === 'global_avg_pool' ? 1 : node.outShape[2];
  const windows = oh * ow;
  const inputs = h * w;
  const overlapping = kind !== 'global_avg_pool' && (sh < kh || sw < kw);
  const pairs = overlapping ? windowPairs(oh, ow, kh, kw, sh, sw) : undefined;
  const v = variance(s);
  const shared = Math.min(v, s.sharedVariance);
  const inBound = s.approximateBy ?? 0;

  const inDependent = kind !== 'global_avg_pool' && dependent(s);

  if (kind === 'maxpool2d') {
    const law = lawOf(s) ?? gaussianLaw(s.mean, shared, v - shared);
    const known = lawOf(s) !== undefined;
    const maxed = maxLaw(law, k);
    const out: Signal = maxed
      ? { ...lawMoments(maxed), gaussian: false, law: maxed }
      : { mean: s.mean, second: s.second, gaussian: false, sharedVariance: shared };
    if (maxed && s.lagCorrelationVariance) {
      // One filter's neighbour correlations move its maxima's mean: a per-unit offset.
      const offset = maxPoolCorrelationOffsetVariance(law, node.size[0], node.size[1], s.lagCorrelationVariance);
      out.sharedVariance += offset;
      out.second += offset;
    }
    // Without the input's law the Gaussian of its moments stands in: off by at most as much as the max moves them.
    const own = known && maxed ? 0 : relativeChange(s, out);
    if (pairs && maxed) {
      // For independent inputs only: dependent ones share maxima more often than j/(2k − j) says.
      if (!inDependent) out.channelAverageVariance = maxPoolChannelAverageVariance(law, k, pairs);
      out.uniformGradientRatio = sameArgmaxPairs(k, pairs) / windows;
    }
    out.dependentNeighbours = dependenceAfter(s, overlapping, false);
    if (s.producer && s.rescaleBackward && isMonotone(s.producer.activation)) {
      const atMax = maxLaw(s.producer.pre, k);
      const plain = derivativeSecondMoment(s.producer.pre, s.producer.activation);
      if (atMax && plain > 0) s.rescaleBackward(derivativeSecondMoment(atMax, s.producer.activation) / plain);
    }
    ctx.record(node, { ...passThrough(out, own > 0), approximateBy: compoundBounds(inBound, own), gradientApproximateBy: own }, windows / inputs);
    return out;
  }

  // Average pooling: the channel's mean is kept, its own part averages down. The correlation an overlapping pooling
  // leaves is known for a global average right after it (`channelAverageVariance`).
  const known = kind === 'global_avg_pool' && s.channelAverageVariance !== undefined;
  // Positions with a cross-moment (`Signal.cross`): E_s Var(mean | s) = (Var − σ²_shared)/k + (k − 1)/k·(Cov − σ²_shared).
  const positionCovariance = kind === 'global_avg_pool' && !known && s.cross !== undefined ? Math.max(0, s.cross - s.mean * s.mean - shared) : 0;
  const own = known ? s.channelAverageVariance! : (v - shared) / k + ((k - 1) / k) * positionCovariance;
  const outVariance = shared + own;
  const law = lawOf(s);
  const out: Signal = { mean: s.mean, second: outVariance + s.mean * s.mean, gaussian: s.gaussian, sharedVariance: shared,
    law: law?.gaussian ? gaussianLaw(law.gaussian.mean, law.gaussian.sharedStd ** 2, law.gaussian.individualStd ** 2 / k) : undefined };
  const globalDependent = kind === 'global_avg_pool' && !known && s.dependentNeighbours === 'correlated';
  // The law of an average of dependent elements: the Gaussian stands in (see `predictPool`).
  if ((inDependent || globalDependent) && !out.law) out.law = gaussianLaw(out.mean, shared, outVariance - shared);
  if (pairs) {
    // Overlapping average windows share inputs: Σ_i cover_i² = Σ over ordered window pairs of their overlap.
    const covered = windows * k;
    let coverSquares = covered;
    for (const [j, count] of pairs.overlaps) coverSquares += count * j;
    if (!inDependent) out.channelAverageVariance = ((v - shared) * coverSquares) / (k * k * windows * windows);
    out.uniformGradientRatio = coverSquares / covered;
  }
  if (kind !== 'global_avg_pool') out.dependentNeighbours = dependenceAfter(s, overlapping, false);
  if (kind === 'global_avg_pool') s.uniformGradient?.(true);
  ctx.record(node, { ...passThrough(out, false), approximateBy: inBound, gradientApproximateBy: 0 }, windows / (inputs * k));
  return out;
}

/**
 * Mean field of a max or average pooling whose windows are clipped at the edges (padding "same": window p holds
 * n_p ≤ k inputs), the full-window rules above with each window's own n_p, over the output positions p, q (f_n the
 * fraction of positions whose window holds n, P the positions per channel):
 *
 * - Average: E[y] = E[x]; Var(y) = σ²_shared + E_s Var(x | s)·Σ_n f_n/n (each position the mean of its n_p inputs);
 *   a Gaussian law becomes the scale mixture of its own part over n (`windowMeanMixtureLaw`).
 *   Backward Var(dx) = Var(dy)·Σ_p (1/n_p)/n_inputs (each input gets dy_p/n_p from every window holding it); a
 *   global average after it: Σ_i (Σ_{p∋i} 1/n_p)² = Σ_{p,q} j_pq/(n_p·n_q) for the channel average and the coherent
 *   gradients.
 * - Max: the law of the max of n_p elements, mixed over positions (`windowMaxMixtureLaw`): E[y] = Σ_n f_n·E[max of
 *   n], E[y²] likewise, and the channel's mean Σ_n f_n·E[max of n | s]; the per-unit offset of the neighbour
 *   correlations per window shape (`clippedMaxPoolCorrelationOffsetVariance`). Backward Var(dx) = Var(dy)·P/n_inputs
 *   (one input per window); a nonlinearity before it is rescaled to Σ_n f_n·E[φ′(z_max of n)²]; a global average
 *   after it reads Σ_{p,q} Cov(y_p, y_q | s)/P² and Σ_{p,q} P(same argmax) with each pair's sizes and overlap
 *   (`clippedMaxPairSums`): unlike full windows, neighbouring maxima differ in mean, which a channel average does
 *   not see.
 */
function predictClippedPool(kind: 'maxpool2d' | 'avgpool2d', node: PoolNode, s: Signal, ctx: PredictContext): Signal {
  const [, h, w] = node.inShape;
  const windows = node.outShape[1] * node.outShape[2];
  const inputs = h * w;
  const counts = windowCounts(node);
  const v = variance(s);
  const shared = Math.min(v, s.sharedVariance);
  const inBound = s.approximateBy ?? 0;

  const overlapping = node.stride[0] < node.size[0] || node.stride[1] < node.size[1];
  const inDependent = dependent(s);

  if (kind === 'maxpool2d') {
    const known = lawOf(s);
    const law = known ?? gaussianLaw(s.mean, shared, v - shared);
    const maxed = windowMaxMixtureLaw(law, counts);
    const out: Signal = maxed
      ? { ...lawMoments(maxed), gaussian: false, law: maxed }
      : { mean: s.mean, second: s.second, gaussian: false, sharedVariance: shared };
    if (maxed && s.lagCorrelationVariance) {
      const offset = clippedMaxPoolCorrelationOffsetVariance(law, windowShapes(node), s.lagCorrelationVariance);
      out.sharedVariance += offset;
      out.second += offset;
    }
    const own = known && maxed ? 0 : relativeChange(s, out);
    if (maxed) {
      const sums = clippedMaxPairSums(law, windowPairCounts(node), windows);
      if (!inDependent) out.channelAverageVariance = sums.channelAverageVariance;
      out.uniformGradientRatio = sums.sameArgmaxPairs / windows;
    }
    out.dependentNeighbours = dependenceAfter(s, overlapping, true);
    if (s.producer && s.rescaleBackward && isMonotone(s.producer.activation)) {
      const plain = derivativeSecondMoment(s.producer.pre, s.producer.activation);
      let atMax = 0;
      for (const [n, count] of counts) {
        const pre = maxLaw(s.producer.pre, n);
        atMax = pre && atMax >= 0 ? atMax + (count / windows) * derivativeSecondMoment(pre, s.producer.activation) : -1;
      }
      if (plain > 0 && atMax >= 0) s.rescaleBackward(atMax / plain);
    }
    ctx.record(node, { ...passThrough(out, own > 0), approximateBy: compoundBounds(inBound, own), gradientApproximateBy: own }, windows / inputs);
    return out;
  }

  // Average: as for full windows.
  let inverseCount = 0;
  for (const [n, count] of counts) inverseCount += count / n;
  const own = (v - shared) * inverseCount / windows;
  const outVariance = shared + own;
  const law = lawOf(s)?.gaussian;
  const mixed = law ? windowMeanMixtureLaw(law, counts) : undefined;
  const out: Signal = { mean: s.mean, second: outVariance + s.mean * s.mean, gaussian: s.gaussian && counts.size === 1, sharedVariance: shared, law: mixed };
  if (inDependent && !out.law) out.law = gaussianLaw(out.mean, shared, outVariance - shared);
  if (overlapping) {
    // Overlapping windows share inputs (without overlap these give what a global average computes anyway).
    let coverSquares = 0;
    for (const { k1, k2, j, count } of windowPairCounts(node)) coverSquares += count * j / (k1 * k2);
    if (!inDependent) out.channelAverageVariance = (v - shared) * coverSquares / (windows * windows);
    out.uniformGradientRatio = coverSquares / inverseCount;
  }
  out.dependentNeighbours = dependenceAfter(s, overlapping, true);
  ctx.record(node, { ...passThrough(out, false), approximateBy: inBound, gradientApproximateBy: 0 }, inverseCount / inputs);
  return out;
}

/** |Δmean|/std and |Δstd|/std between two signals, the larger: how much an op moved the moments. */
function relativeChange(before: Signal, after: Signal): number {
  const a = Math.sqrt(variance(before));
  const b = Math.sqrt(variance(after));
  if (!(b > 0)) return 0;
  return Math.max(Math.abs(after.mean - before.mean) / b, Math.abs(b - a) / b);
}
