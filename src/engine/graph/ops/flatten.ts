import type { LayerSpec } from '../../format/networkSpec';
import type { LayerOp } from '../layerOp';
import { type PlanNode, single, sizeOf } from '../plan';
import { SHAPE_VIEW_PASSES } from './shapeView';

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
  ...SHAPE_VIEW_PASSES,
};
