import type { LayerSpec } from '../../format/networkSpec';
import type { SpecOp } from '../layerOp';
import { describeShape, type PlanNode } from '../plan';
import type { PoolNode } from './pooling';

export interface GlobalMaxPoolSpec extends LayerSpec { type: 'global_max_pool' }

/**
 * `global_max_pool`: each channel's maximum over height and width, [C, H, W] → [C] (torch.nn.AdaptiveMaxPool2d(1)
 * then flatten; keras GlobalMaxPooling2D). It exists only in the file format: the planner makes it a `maxpool2d`
 * whose one window is the whole map, then a `flatten`, and it runs and is predicted as those two nodes (the max of
 * H·W values, backward to the argmax; the mean field of a max pooling window, `poolMeanField.ts`).
 */
export const globalMaxPool: SpecOp<GlobalMaxPoolSpec> = {
  type: 'global_max_pool',
  keys: [],
  schema: { description: 'The maximum of each channel over height and width: [C, H, W] → [C].', properties: {} },
  parse: (ctx) => ({ type: 'global_max_pool', path: ctx.path, name: ctx.name }),
  plan(spec, inShape, ctx) {
    if (inShape.length !== 3) return ctx.fail(`global_max_pool needs an input of shape [channels, height, width], got ${describeShape(inShape)} at ${spec.path}`);
    const [channels, height, width] = inShape;
    const pooled = [channels, 1, 1];
    const pool: PoolNode = { op: 'maxpool2d', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: pooled, size: [height, width], stride: [height, width] };
    ctx.push(pool);
    const flat: PlanNode = { op: 'flatten', index: ctx.take(), path: spec.path, name: ctx.label, inShape: pooled, outShape: [channels] };
    ctx.push(flat);
    return { nodes: [pool, flat], outShape: [channels] };
  },
};
