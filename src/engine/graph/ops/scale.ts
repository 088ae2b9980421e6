import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import { passThrough, type Signal } from '../../meanField/signal';
import type { LayerOp } from '../layerOp';
import { type PlanNode, single } from '../plan';

export interface ScaleSpec extends LayerSpec {
  type: 'scale';
  factor: number;
}

export interface ScaleNode extends PlanNode {
  op: 'scale';
  factor: number;
}

/**
 * `scale`: y = k·x elementwise with a fixed k (T5's decoder output × d_model^−½ before a tied head; a Fixup-style
 * scalar multiplier). Backward dx = k·dy. Mean field: E[y] = k·E[x], E[y²] = k²·E[x²], two tokens' cross-moment
 * × k², Var(dx) = k²·Var(dy); a Gaussian input stays Gaussian.
 */
export const scale: LayerOp<ScaleSpec, ScaleNode> = {
  type: 'scale',
  op: 'scale',
  keys: ['factor'],
  schema: {
    description: 'Multiplies every value by a fixed factor: y = k·x (T5 scales its decoder output by d_model^−½ before a tied head).',
    properties: { factor: { type: 'number', description: 'The factor k.' } },
    required: ['factor'],
  },

  parse(ctx) {
    const factor = ctx.r.number(ctx.required('factor', 'the factor k in y = k·x'), ctx.at('factor'), 'factor', { min: -1e30, max: 1e30 });
    return factor === undefined ? undefined : { type: 'scale', path: ctx.path, name: ctx.name, factor };
  },

  plan: (spec, inShape, ctx) => single(ctx.push({ op: 'scale', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: inShape, factor: spec.factor } satisfies ScaleNode)),

  predict(node, s, ctx) {
    const k = node.factor;
    const out: Signal = { mean: k * s.mean, second: k * k * s.second, gaussian: s.gaussian, sharedVariance: k * k * s.sharedVariance,
      ...(s.cross !== undefined ? { cross: k * k * s.cross } : {}) };
    ctx.record(node, passThrough(out, false), k * k);
    return out;
  },

  forward(node, x, run) {
    const out = run.tensor(x.length);
    for (let i = 0; i < x.length; i++) out[i] = node.factor * x[i];
    run.record(node, { x, pre: out, out }, LINEAR);
    return out;
  },

  backward(node, dy) {
    const dx = new Float32Array(dy.length);
    for (let i = 0; i < dy.length; i++) dx[i] = node.factor * dy[i];
    return dx;
  },

  parameters: () => 0,
  findings: { chain: 'transparent' },
};
