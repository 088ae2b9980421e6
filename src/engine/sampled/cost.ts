import type { CostTally } from '../graph/layerOp';
import type { WeightNode } from '../graph/ops/weightLayer';
import { type Plan, type PlanNode, sizeOf } from '../graph/plan';
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

/**
 * Bytes a run holds per layer besides its tensors: the layer's statistics (a 40-bin histogram and its edges, the
 * moments) and its report, measured at about 2 KiB a layer (test/dist/budget.test.ts); counted twice.
 */
export const LAYER_OVERHEAD_BYTES = 4096;
/**
 * The kernels' scratch outside the tensors: gemm_nn's packing buffers (16 KiB per part, at most MAX_PARTS = 256
 * parts: 4 MiB) and gemm_nn_moments' (at most 4 MiB per call, wasmBackend.ts), the histogram and result slots.
 */
export const KERNEL_SCRATCH_BYTES = 9 * 1024 ** 2;
/** The float blocks of `blockedGemmMoments` (2 MiB). */
const MOMENTS_BLOCK_FLOATS = 1 << 19;

export interface CostEstimate {
  /** Forward-pass FLOPs (2 per multiply-add) plus orthogonal-init FLOPs; the budgeted figure. */
  forwardFlops: number;
  /** Forward plus backward (about 3× the forward GEMM work). */
  totalFlops: number;
  /** Peak bytes held at once: every buffer of the sampled run (see `estimateCost`). */
  peakBytes: number;
  weightCount: number;
  /** Trainable parameters as the framework counts them, tied weights once (`countParameters`). */
  parameterCount: number;
  /** Whether the sampled run keeps all weights for the backward pass (else regenerates them from their seed). */
  cachesWeights: boolean;
}

/**
 * Estimates the cost of a sampled run from shapes alone, before anything is allocated, each op adding its own part
 * (`NodeOp.cost`): dense 2·B·in·out FLOPs, conv2d 2·B·filters·(C·kh·kw)·Ho·Wo, orthogonal init ≈ 4·m·n² (Householder
 * QR and forming Q), backward twice the forward GEMMs.
 *
 * Bytes, an upper bound of every buffer the sampled run holds at once, on either backend (the WebAssembly one stages
 * operands in its memory, so it holds the more): 4 per float32 of
 * - the tape: the input and every node's kept tensors (pre-activation and output, what an op saves besides);
 * - the weights: all of them with their biases when they fit in WEIGHT_CACHE_BYTES, else the largest;
 * - the most any one node needs at once beyond those (`transientFloats`): the gradients in flight, the GEMM operands
 *   padded to the kernels' tiles, im2col columns, conv weight gradients, the init's scratch (a truncated normal's
 *   draws, an orthogonal init's float64 QR), the distinct-units sort;
 * and LAYER_OVERHEAD_BYTES per layer and KERNEL_SCRATCH_BYTES. The measured peak of wide, tall, deep and conv-heavy
 * networks stays below it (test/dist/budget.test.ts).
 */
export function estimateCost(plan: Plan): CostEstimate {
  const b = plan.batchSize;
  const tally: CostTally = { gemmFlops: 0, initFlops: 0, weightCount: 0, largestWeight: 0, keptFloats: b * sizeOf(plan.inputShape), largestCols: 0 };
  let biasCount = 0;
  for (const node of plan.ordered) {
    tally.keptFloats += 2 * b * sizeOf(node.outShape);
    nodeOp(node.op).cost?.(node, tally, b);
    if (hasWeight(node) && node.bias) biasCount += node.weightShape[0];
  }
  let transient = 0;
  const visit = (nodes: readonly PlanNode[], held: number): void => {
    for (const node of nodes) {
      transient = Math.max(transient, held + transientFloats(node, b));
      // A block's gradients (dy, and the sum's) stay held while its branch runs backward.
      for (const sub of nodeOp(node.op).subgraphs?.(node) ?? []) visit(sub, held + 2 * b * sizeOf(node.outShape));
    }
  };
  visit(plan.nodes, 0);
  const { gemmFlops, initFlops, weightCount, largestWeight, keptFloats } = tally;
  const cachesWeights = weightCount * 4 <= WEIGHT_CACHE_BYTES;
  const weightFloats = cachesWeights ? weightCount + biasCount : largestWeight;
  const peakBytes = 4 * (keptFloats + weightFloats + transient) + LAYER_OVERHEAD_BYTES * plan.ordered.length + KERNEL_SCRATCH_BYTES;
  return { forwardFlops: gemmFlops + initFlops, totalFlops: 3 * gemmFlops + initFlops, peakBytes, weightCount, parameterCount: countParameters(plan), cachesWeights };
}

/**
 * Floats of the copy the WebAssembly kernels make of a rows × cols GEMM operand: none when it lives in their memory
 * already (`inMemory`) and its sides are whole tiles, else the operand padded to its tiles (rows to 4, the other
 * side to 8 at most, kernelAbi.ts).
 */
function staged(rows: number, cols: number, inMemory = true): number {
  return inMemory && rows % 4 === 0 && cols % 8 === 0 ? 0 : Math.ceil(rows / 4) * 4 * Math.ceil(cols / 8) * 8;
}

/**
 * Whether a node has a weight: `isWeightNode`'s test, repeated here because importing weightLayer.ts from this module
 * would load the ops before the registry asks for them (an import cycle in which dense.ts spreads a still undefined
 * WEIGHT_SCHEMA_PROPERTIES).
 */
function hasWeight(node: PlanNode): node is WeightNode {
  return (node as Partial<WeightNode>).weightShape !== undefined;
}

/**
 * The floats a node holds at once beyond the tape and the held weights, forward or backward, whichever is more. Any
 * node: the gradient at its output and at its input, and two more of the larger (an op's own temporaries, a copy into
 * the kernels' memory of a tensor that lives outside it). A weight node (rows R, fan-in F, S output positions per row,
 * W weights), beside those: forward the init's scratch, then the GEMM with its operands staged (its input, which may
 * be a typed array of a pooling layer, always), then the distinct-units sort (4 per row and a 64 Ki-entry table);
 * backward the init's scratch again when the weight is regenerated; dense: dx's GEMM (dx is a typed array: staged),
 * then dpreᵀ, its copy and the blocked dW moments; conv2d: the im2col columns F·S, dW and its copy, and the larger of
 * the per-sample GEMMs (the weight transposed for dx) and col2im's copy of a sample of dx.
 */
function transientFloats(node: PlanNode, batch: number): number {
  const inFloats = batch * sizeOf(node.inShape);
  const outFloats = batch * sizeOf(node.outShape);
  const gradients = inFloats + outFloats + 2 * Math.max(inFloats, outFloats);
  const own = nodeOp(node.op).transientFloats?.(node, batch);
  if (own !== undefined) return gradients + own;
  if (!hasWeight(node)) return gradients;
  const rows = node.weightShape[0];
  const fanIn = node.fanIn;
  const weights = sizeOf(node.weightShape);
  const kind = node.init.distribution.kind;
  const init = kind === 'truncated_normal' ? 4 * weights + 64 : kind === 'orthogonal' ? 6 * weights + 2 * Math.min(rows, fanIn) : 0;
  const distinct = 4 * rows + 65537;
  const g = node.geometry;
  if (!g) {
    // A dense layer on a sequence multiplies batch·tokens rows.
    const m = batch * (node.inShape.length === 2 ? node.inShape[0] : 1);
    const forward = staged(m, fanIn, false) + staged(rows, fanIn) + staged(m, rows);
    const dx = staged(m, rows) + staged(rows, fanIn) + staged(m, fanIn, false);
    const dw = outFloats + staged(rows, m, false) + staged(m, fanIn, false) + 2 * Math.max(MOMENTS_BLOCK_FLOATS, fanIn);
    return gradients + Math.max(init, forward, distinct, dx, dw);
  }
  const spatial = g.outHeight * g.outWidth;
  const cols = fanIn * spatial;
  const forward = cols + staged(rows, fanIn) + staged(fanIn, spatial) + staged(rows, spatial);
  const weightGradient = staged(rows, spatial) + staged(fanIn, spatial) + staged(rows, fanIn, false);
  const inputGradient = staged(fanIn, rows, false) + staged(rows, spatial) + staged(fanIn, spatial);
  const backward = cols + 2 * weights + Math.max(weightGradient, inputGradient, inFloats / batch);
  return gradients + Math.max(init, forward, distinct, backward);
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
