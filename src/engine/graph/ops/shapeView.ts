import { LINEAR } from '../../math/activation';
import { passThrough } from '../../meanField/signal';
import type { NodeOp } from '../layerOp';
import type { PlanNode } from '../plan';

/**
 * The passes of an op that only gives its input another shape (flatten, reshape): the values (row-major), their
 * moments and the gradient pass through unchanged, and the findings' chains see through it.
 */
export const SHAPE_VIEW_PASSES: Pick<NodeOp<PlanNode>, 'predict' | 'forward' | 'backward' | 'findings'> = {
  predict(node, s, ctx) {
    ctx.record(node, passThrough(s, false), 1);
    return s;
  },
  forward(node, x, run) {
    run.record(node, { x, pre: x, out: x }, LINEAR);
    return x;
  },
  backward: (_node, dy) => dy,
  findings: { chain: 'transparent' },
};

/**
 * out[b, c, r] ← x[b, r, c]: each of `batch` samples, a rows × cols row-major block, transposed to cols × rows (a
 * sequence's tokens and features swapped, x.transpose(1, 2); a map's channels and positions).
 */
export function transposeSamples(x: Float32Array, out: Float32Array, batch: number, rows: number, cols: number): void {
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[base + c * rows + r] = x[base + r * cols + c];
  }
}
