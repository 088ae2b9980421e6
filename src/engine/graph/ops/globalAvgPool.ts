import type { LayerSpec } from '../../format/networkSpec';
import type { LayerOp } from '../layerOp';
import { describeShape, single } from '../plan';
import { poolBehaviour, type PoolNode } from './pooling';

export interface GlobalAvgPoolSpec extends LayerSpec { type: 'global_avg_pool' }

/**
 * `global_avg_pool`: each channel averaged over height and width, [C, H, W] → [C] (torch.nn.AdaptiveAvgPool2d(1)
 * then flatten; keras GlobalAveragePooling2D). One H×W window per channel.
 */
export const globalAvgPool: LayerOp<GlobalAvgPoolSpec, PoolNode> = {
  type: 'global_avg_pool',
  op: 'global_avg_pool',
  keys: [],
  schema: { description: 'Averages each channel over height and width: [C, H, W] → [C].', properties: {} },
  parse: (ctx) => ({ type: 'global_avg_pool', path: ctx.path, name: ctx.name }),
  plan(spec, inShape, ctx) {
    if (inShape.length !== 3) return ctx.fail(`global_avg_pool needs an input of shape [channels, height, width], got ${describeShape(inShape)} at ${spec.path}`);
    return single(ctx.push({ op: 'global_avg_pool', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [inShape[0]], size: [inShape[1], inShape[2]], stride: [1, 1] }));
  },
  ...poolBehaviour('global_avg_pool'),
};
