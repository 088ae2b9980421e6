import { type Plan, type PlanNode, sizeOf } from '../graph/plan';

/** Limits on a sampled run; above either, the run is refused and only the analytic prediction is given. */
export interface Budget {
  /** Floating-point operations of one forward pass plus weight generation (orthogonal QR included). */
  flops: number;
  /** Peak bytes held at once. */
  bytes: number;
}

export const DEFAULT_BUDGET: Budget = { flops: 8e9, bytes: 1024 ** 3 };
/** Weights are kept for the backward pass when all of them fit in this many bytes; otherwise regenerated. */
export const WEIGHT_CACHE_BYTES = 128 * 1024 ** 2;

export interface CostEstimate {
  /** Forward-pass FLOPs (2 per multiply-add) plus orthogonal-init FLOPs; the budgeted figure. */
  forwardFlops: number;
  /** Forward plus backward (about 3× the forward GEMM work). */
  totalFlops: number;
  /** Peak bytes: kept activations, the largest weight (or all weights when cached), gradients and im2col. */
  peakBytes: number;
  weightCount: number;
  /** Whether the sampled run keeps all weights for the backward pass (else regenerates them from their seed). */
  cachesWeights: boolean;
}

/**
 * Estimates the cost of a sampled run from shapes alone, before anything is allocated: dense 2·B·in·out FLOPs,
 * conv2d 2·B·filters·(C·kh·kw)·Ho·Wo, orthogonal init ≈ 4·m·n² (Householder QR and forming Q), backward twice the
 * forward GEMMs. Bytes: 4 per float32 of every kept activation (input, pre-activation and output), the weights,
 * two gradient buffers of the widest layer and the largest im2col buffer.
 */
export function estimateCost(plan: Plan): CostEstimate {
  const b = plan.batchSize;
  let gemmFlops = 0;
  let initFlops = 0;
  let weightCount = 0;
  let largestWeight = 0;
  let keptFloats = b * sizeOf(plan.inputShape);
  let widest = keptFloats;
  let largestCols = 0;
  const visit = (node: PlanNode): void => {
    const outFloats = b * sizeOf(node.outShape);
    widest = Math.max(widest, outFloats);
    keptFloats += 2 * outFloats;
    if (node.op === 'dense' || node.op === 'conv2d') {
      const weights = sizeOf(node.weightShape);
      weightCount += weights;
      largestWeight = Math.max(largestWeight, weights);
      const spatial = node.op === 'conv2d' ? node.outShape[1] * node.outShape[2] : 1;
      gemmFlops += 2 * b * weights * spatial;
      if (node.geometry) largestCols = Math.max(largestCols, node.fanIn * spatial);
      if (node.init.distribution.kind === 'orthogonal') {
        const m = Math.max(node.weightShape[0], node.fanIn);
        const n = Math.min(node.weightShape[0], node.fanIn);
        initFlops += 4 * m * n * n;
      }
    }
    if (node.op === 'residual') keptFloats += outFloats;
  };
  plan.ordered.forEach(visit);
  const cachesWeights = weightCount * 4 <= WEIGHT_CACHE_BYTES;
  const weightBytes = 4 * (cachesWeights ? weightCount : largestWeight);
  const peakBytes = 4 * keptFloats + weightBytes + 4 * (2 * widest + largestCols + largestWeight / 16);
  return { forwardFlops: gemmFlops + initFlops, totalFlops: 3 * gemmFlops + initFlops, peakBytes, weightCount, cachesWeights };
}

/** Why a run is over budget, with the estimate, or null when it fits. */
export function budgetRefusal(cost: CostEstimate, budget: Budget): string | null {
  const reasons: string[] = [];
  if (cost.forwardFlops > budget.flops) reasons.push(`${(cost.forwardFlops / 1e9).toFixed(2)} GFLOP per forward pass (budget ${(budget.flops / 1e9).toFixed(2)})`);
  if (cost.peakBytes > budget.bytes) reasons.push(`${formatBytes(cost.peakBytes)} of memory (budget ${formatBytes(budget.bytes)})`);
  if (reasons.length === 0) return null;
  return `sampled run refused: it would need ${reasons.join(' and ')}; showing the analytic prediction only (raise the budget or shrink the batch or the layers)`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
