import type { InitSpec } from '../../init/initSpec';
import { type ResolvedInit, resolveInit } from '../../init/resolveInit';
import type { SampledContext } from '../layerOp';
import type { PlanNode } from '../plan';
import { streamedInputGradient, streamedProject } from '../../sampled/streamedWeight';
import { addRowBias, isZeroInit } from './weightLayer';

// What ops with several linear maps share (attention's q, k, v, o; a gated MLP's gate, up, down): each is an
// nn.Linear on the last axis whose weight and bias are drawn from the op's part streams and regenerated on use.

/** One linear map of a multi-weight op: a [rows, cols] weight (nn.Linear layout) and its bias. */
export interface LinearPart {
  /** Its random streams: `Stream.partWeight(index, part)`, `Stream.partBias(index, part)`. */
  part: number;
  rows: number;
  cols: number;
  /** The init as declared (what a fix rewrites). */
  initSpec: InitSpec;
  init: ResolvedInit;
  bias: ResolvedInit | null;
}

/** A linear part [rows, cols] of stream part `part`, its init (as declared and resolved) and bias resolved as nn.Linear's. */
export function linearPart(part: number, rows: number, cols: number, init: InitSpec, bias: InitSpec | null): LinearPart {
  return { part, rows, cols, initSpec: init, init: resolveInit(init, [rows, cols], 'weight'), bias: bias ? resolveInit(bias, [rows, cols], 'bias') : null };
}

/** y = x·Wᵀ + b for `rows` rows of x (into `into`, else a new backend tensor the caller releases); W drawn by blocks when the run streams it. */
export function projectPart(run: SampledContext, node: PlanNode, p: LinearPart, x: Float32Array, rows: number, into?: Float32Array): Float32Array {
  const y = into ?? run.backend.allocate(rows * p.rows);
  const streamed = run.streamed(node, p.init, p.rows, p.cols, p.part);
  if (streamed) {
    streamedProject(run.backend, run.seed, streamed, x, rows, y);
  } else {
    const w = run.partWeight(node, p.part, p.init, p.rows, p.cols);
    run.backend.gemm(false, true, rows, p.rows, p.cols, x, w, y, false);
    run.backend.release(w);
  }
  if (p.bias && !isZeroInit(p.bias)) addRowBias(y, run.partBias(node, p.part, p.bias, p.rows), rows, p.rows);
  return y;
}

/** dx (+)= dy·W: the input gradient of one linear map (its weight drawn by blocks when the run streams it). */
export function partInputGradient(run: SampledContext, node: PlanNode, p: LinearPart, dy: Float32Array, rows: number, dx: Float32Array, accumulate: boolean): void {
  const streamed = run.streamed(node, p.init, p.rows, p.cols, p.part);
  if (streamed) return streamedInputGradient(run.backend, run.seed, streamed, dy, rows, dx, accumulate);
  const w = run.partWeight(node, p.part, p.init, p.rows, p.cols);
  run.backend.gemm(false, false, rows, p.cols, p.rows, dy, w, dx, accumulate);
  run.backend.release(w);
}

/**
 * Moments of a projection's output y = x·Wᵀ + b over a sequence, from the input's mean m, second moment S and
 * two tokens' cross-moment X: E[y] = n·μ_W·m + μ_b, E[y²] = n·(σ_W²·S + μ_W²·(S − m²)) + σ_b² + E[y]², and the same
 * with X for two tokens (the weights and the bias are the same for both), n = the fan-in.
 */
export function projectedMoments(p: LinearPart, m: number, second: number, cross: number): { mean: number; second: number; cross: number } {
  const bMean = p.bias?.mean ?? 0;
  const bVar = p.bias ? p.bias.std ** 2 : 0;
  const mean = p.cols * p.init.mean * m + bMean;
  const w2 = p.init.std ** 2;
  const wm2 = p.init.mean ** 2;
  return {
    mean,
    second: p.cols * (w2 * second + wm2 * (second - m * m)) + bVar + mean * mean,
    cross: p.cols * (w2 * cross + wm2 * (cross - m * m)) + bVar + mean * mean,
  };
}
