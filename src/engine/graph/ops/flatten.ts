import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import { passThrough } from '../../meanField/signal';
import type { LayerOp } from '../layerOp';
import { type PlanNode, single, sizeOf } from '../plan';

export interface FlattenSpec extends LayerSpec { type: 'flatten' }
export interface FlattenNode extends PlanNode { op: 'flatten' }

/**
 * `flatten`: [C, H, W] → [C·H·W] in row-major order (torch.nn.Flatten). The values, their moments and the gradient
 * pass through unchanged.
 */
export const flatten: LayerOp<FlattenSpec, FlattenNode> = {
  type: 'flatten',
  op: 'flatten',
  keys: [],
  schema: { description: 'Flattens [channels, height, width] to [channels·height·width].', properties: {} },
  parse: (ctx) => ({ type: 'flatten', path: ctx.path, name: ctx.name }),
  plan: (spec, inShape, ctx) => single(ctx.push({ op: 'flatten', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [sizeOf(inShape)] })),
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
