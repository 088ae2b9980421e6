import type { WeightNode } from '../graph/ops/weightLayer';
import { type Signal, variance } from './signal';

// How far a mean-field prediction may be from a sampled run: relative bounds, how they compound from layer to layer,
// and when a layer counts as approximate.

/**
 * A prediction within this relative distance of the sampled value counts as exact (issue 12: "within 10% of the
 * median sampled value over 5 seeds"); beyond it the layer is marked approximate and the bound is reported.
 */
export const EXACT_WITHIN = 0.1;

/**
 * The bound of a product of two quantities each off by at most a and b relatively: (1 + a)·(1 + b) − 1. Used along
 * a chain (a layer's output from its input's, a gradient from the one above it and the factor between them).
 */
export function compoundBounds(a: number, b: number): number {
  return (1 + a) * (1 + b) - 1;
}

/**
 * The bound of a gradient variance an op sums from parts (a residual block's branch and shortcut, a parallel block's
 * branches, a concatenation's): the parts its nested walks returned, each with its bound, and the rest of `total`,
 * which passed the op directly, with `direct`. Each part's true variance lies within (1 + b)² of its prediction either
 * way (a bound is relative in std), so the sum's ratio to its prediction lies between the variance-weighted means of
 * (1 + b)⁻² and of (1 + b)²: the bound is the larger side's square root, minus 1. A part that carries little of the
 * gradient adds little of its error (a residual branch beside its shortcut), where the largest bound of the parts
 * would count it whole. Undefined when the parts add up to more than `total` (an op whose result is not their sum),
 * or `total` is not a positive finite number (an overflowing gradient has no shares to weigh).
 */
export function summedVarianceBound(total: number, direct: number, parts: readonly { variance: number; bound: number }[]): number | undefined {
  let walked = 0;
  for (const p of parts) walked += p.variance;
  if (!(total > 0) || !Number.isFinite(total) || walked > total * (1 + 1e-9)) return undefined;
  const all = [...parts, { variance: Math.max(0, total - walked), bound: direct }];
  let up = 0, down = 0;
  for (const { variance: v, bound: b } of all) {
    if (v === 0) continue;
    up += v * (1 + b) ** 2;
    down += v / (1 + b) ** 2;
  }
  return Math.max(Math.sqrt(up / total), Math.sqrt(total / down)) - 1;
}

/**
 * The bound of a dense or conv layer's own prediction (`predictWeightLayer`, which marks a layer with a non-zero
 * weight mean or a stride approximate). A stride changes neither the forward moments (each output is a full sum of
 * fanIn·inside taps) nor the average backward factor (fanOut·inside/stride counts every (output, tap) pair once): 0.
 * A non-zero weight mean μ adds μ·Σ_i x_i to every unit, whose variance over the batch the recursion takes as
 * fanIn·μ²·Var(x): exact when the input's units are uncorrelated within a sample (0). When they share a common part
 * (after a layer with a non-zero weight mean or a constant init: `correlatedUnits`), it is μ²·Var_b(Σ_i x_i)
 * (`sampleSumVariance`), and the pre-activation's std is off by √(q_true/q) − 1 with
 * q_true = q − fanIn·μ²·Var(x) + μ²·Var_b(Σ x); unknown (NaN) when that variance is not known.
 */
export function weightLayerBound(node: WeightNode, input: Signal, inside: number): number {
  const mean = node.init.mean;
  if (mean === 0 || !input.correlatedUnits) return 0;
  if (input.sampleSumVariance === undefined) return NaN;
  const fanIn = node.fanIn * inside;
  const inVariance = variance(input);
  const q = fanIn * (node.init.std ** 2 * input.second + mean * mean * inVariance) + (node.bias ? node.bias.std ** 2 : 0);
  const truth = q - fanIn * mean * mean * inVariance + mean * mean * input.sampleSumVariance;
  return q > 0 ? Math.abs(Math.sqrt(Math.max(0, truth) / q) - 1) : 0;
}

/**
 * Var over the batch of Σ of one sample's outputs of a linear weight layer with weight mean μ and std σ on an input
 * whose elements are independent within a sample (own variance v each): Σ_out y = Σ_q x_q·(Σ of the weights that
 * read q), so E_W Var = v·Σ_q (c_q·σ² + c_q²·μ²), c_q the number of weights that read input q: a dense layer's
 * units (c_q = units for every input), a conv's (output position, tap) pairs over all filters. Undefined for a
 * nonlinear layer (the sum of φ(y) has no closed form here).
 */
export function sampleSumVariance(node: WeightNode, input: Signal): number | undefined {
  if (node.activation.name !== 'linear' || input.correlatedUnits) return undefined;
  const own = Math.max(0, variance(input) - input.sharedVariance);
  const m = node.init.mean, w = node.init.std ** 2;
  const filters = node.weightShape[0];
  const g = node.geometry;
  if (!g) return own * node.fanIn * (filters * w + filters * filters * m * m);
  // Per input position of one channel, how many (output position, tap) pairs read it.
  let sum = 0;
  const cover = new Float64Array(g.height * g.width);
  for (let oy = 0; oy < g.outHeight; oy++) for (let ox = 0; ox < g.outWidth; ox++) {
    for (let i = 0; i < g.kernelHeight; i++) for (let j = 0; j < g.kernelWidth; j++) {
      const y = oy * g.strideHeight + i - g.padTop, x = ox * g.strideWidth + j - g.padLeft;
      if (y >= 0 && y < g.height && x >= 0 && x < g.width) cover[y * g.width + x]++;
    }
  }
  for (const c of cover) sum += filters * c * w + (filters * c) ** 2 * m * m;
  return own * g.channels * sum;
}

/**
 * The bound that covers every sampled value between two predictions of the same tensor, relative to the first, as
 * `approximateBy` reads: the mean anywhere between the two means, relative to the smaller std,
 * |m₁ − m₂|/min(σ₁, σ₂), and the std anywhere between the two stds, max(σ₁/σ₂, σ₂/σ₁) − 1; the larger. Used where the
 * truth lies between a prediction and a limiting case (a pooling of correlated elements between independent and fully
 * correlated windows). 0 for equal predictions; Infinity when one std is 0 and they differ.
 */
export function momentsBound(predicted: { mean: number; std: number }, other: { mean: number; std: number }): number {
  const low = Math.min(predicted.std, other.std);
  const high = Math.max(predicted.std, other.std);
  const meanGap = Math.abs(predicted.mean - other.mean);
  if (!(low > 0)) return high === 0 && meanGap === 0 ? 0 : Infinity;
  return Math.max(meanGap / low, high / low - 1);
}
