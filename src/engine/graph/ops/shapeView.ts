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
