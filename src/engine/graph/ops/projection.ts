import type { ResolvedInit } from '../../init/resolveInit';
import type { SampledContext } from '../layerOp';
import type { PlanNode } from '../plan';
import { addRowBias, isZeroInit } from './weightLayer';

// What ops with several linear maps share (attention's q, k, v, o; a gated MLP's gate, up, down): each is an
// nn.Linear on the last axis whose weight and bias are drawn from the op's part streams and regenerated on use.

/** One linear map of a multi-weight op: a [rows, cols] weight (nn.Linear layout) and its bias. */
export interface LinearPart {
  /** Its random streams: `Stream.partWeight(index, part)`, `Stream.partBias(index, part)`. */
  part: number;
  rows: number;
  cols: number;
  init: ResolvedInit;
  bias: ResolvedInit | null;
}

/** y = x·Wᵀ + b for `rows` rows of x (into `into`, else a new backend tensor the caller releases). */
export function projectPart(run: SampledContext, node: PlanNode, p: LinearPart, x: Float32Array, rows: number, into?: Float32Array): Float32Array {
  const w = run.partWeight(node, p.part, p.init, p.rows, p.cols);
  const y = into ?? run.backend.allocate(rows * p.rows);
  run.backend.gemm(false, true, rows, p.rows, p.cols, x, w, y, false);
  run.backend.release(w);
  if (p.bias && !isZeroInit(p.bias)) addRowBias(y, run.partBias(node, p.part, p.bias, p.rows), rows, p.rows);
  return y;
}

/** dx (+)= dy·W: the input gradient of one linear map. */
export function partInputGradient(run: SampledContext, node: PlanNode, p: LinearPart, dy: Float32Array, rows: number, dx: Float32Array, accumulate: boolean): void {
  const w = run.partWeight(node, p.part, p.init, p.rows, p.cols);
  run.backend.gemm(false, false, rows, p.cols, p.rows, dy, w, dx, accumulate);
  run.backend.release(w);
}
