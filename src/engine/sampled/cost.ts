import type { CostTally } from '../graph/layerOp';
import { type Plan, sizeOf } from '../graph/plan';
import { countParameters } from '../graph/parameterCount';
import { nodeOp } from '../graph/registry';

/** Limits on a sampled run; above either, the run is refused and only the analytic prediction is given. */
export interface Budget {
  /** Floating-point operations of one forward pass plus weight generation (orthogonal QR included). */
  flops: number;
  /** Peak bytes held at once. */
  bytes: number;
}

/** The default budget of a sampled run: 8 GFLOP per forward pass and 1 GiB held at once (the CLI's and panel's). */
export const DEFAULT_BUDGET: Budget = { flops: 8e9, bytes: 1024 ** 3 };
/**
 * The largest budget a caller may set. Memory: the WebAssembly kernels address at most 4 GiB (65,536 pages), which
 * must also hold their first page, the im2col scratch and the heap's fragmentation, so a run may plan for 3 GiB.
 * FLOPs: 1,000 GFLOP per forward pass, some 15 s of the kernels on 2 cores; past it a run is better refused.
 */
export const MAX_BUDGET: Budget = { flops: 1e12, bytes: 3 * 1024 ** 3 };

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
  /** Trainable parameters as the framework counts them, tied weights once (`countParameters`). */
  parameterCount: number;
  /** Whether the sampled run keeps all weights for the backward pass (else regenerates them from their seed). */
  cachesWeights: boolean;
}

/**
 * Estimates the cost of a sampled run from shapes alone, before anything is allocated, each op adding its own part
 * (`NodeOp.cost`): dense 2·B·in·out FLOPs,
 * conv2d 2·B·filters·(C·kh·kw)·Ho·Wo, orthogonal init ≈ 4·m·n² (Householder QR and forming Q), backward twice the
 * forward GEMMs. Bytes: 4 per float32 of every kept activation (input, pre-activation and output), the weights,
 * two gradient buffers of the widest layer and the largest im2col buffer.
 */
export function estimateCost(plan: Plan): CostEstimate {
  const b = plan.batchSize;
  const tally: CostTally = { gemmFlops: 0, initFlops: 0, weightCount: 0, largestWeight: 0, keptFloats: b * sizeOf(plan.inputShape), largestCols: 0 };
  let widest = tally.keptFloats;
  for (const node of plan.ordered) {
    const outFloats = b * sizeOf(node.outShape);
    widest = Math.max(widest, outFloats);
    tally.keptFloats += 2 * outFloats;
    nodeOp(node.op).cost?.(node, tally, b);
  }
  const { gemmFlops, initFlops, weightCount, largestWeight, keptFloats, largestCols } = tally;
  const cachesWeights = weightCount * 4 <= WEIGHT_CACHE_BYTES;
  const weightBytes = 4 * (cachesWeights ? weightCount : largestWeight);
  const peakBytes = 4 * keptFloats + weightBytes + 4 * (2 * widest + largestCols + largestWeight / 16);
  return { forwardFlops: gemmFlops + initFlops, totalFlops: 3 * gemmFlops + initFlops, peakBytes, weightCount, parameterCount: countParameters(plan), cachesWeights };
}

/** Why a run is over budget, with the estimate, or null when it fits. */
export function budgetRefusal(cost: CostEstimate, budget: Budget): string | null {
  const reasons: string[] = [];
  if (cost.forwardFlops > budget.flops) reasons.push(`${(cost.forwardFlops / 1e9).toFixed(2)} GFLOP per forward pass (budget ${(budget.flops / 1e9).toFixed(2)})`);
  if (cost.peakBytes > budget.bytes) reasons.push(`${formatBytes(cost.peakBytes)} of memory (budget ${formatBytes(budget.bytes)})`);
  if (reasons.length === 0) return null;
  return `sampled run refused: it would need ${reasons.join(' and ')}; showing the analytic prediction only (raise the budget or shrink the batch or the layers)`;
}

/** Bytes for messages, in binary units: 1.50 GiB, 64.0 MiB, 3.2 KiB. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
