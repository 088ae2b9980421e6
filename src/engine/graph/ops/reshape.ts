import type { LayerSpec } from '../../format/networkSpec';
import { childPointer } from '../../format/problem';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single, sizeOf } from '../plan';
import { SHAPE_VIEW_PASSES } from './shapeView';

export interface ReshapeSpec extends LayerSpec {
  type: 'reshape';
  shape: number[];
}
export interface ReshapeNode extends PlanNode { op: 'reshape' }

/**
 * `reshape`: the same values, row-major, in another shape of the same size (torch.reshape per sample), e.g. a pooled
 * [C] as a [C, 1, 1] map for a 1×1 convolution (Keras' Reshape((1, 1, C)) in MobileNet's head). The values, their
 * moments and the gradient pass through unchanged.
 */
export const reshape: LayerOp<ReshapeSpec, ReshapeNode> = {
  type: 'reshape',
  op: 'reshape',
  keys: ['shape'],
  schema: {
    description: 'The same values in another shape of the same size per sample ([features], [tokens, features] or [channels, height, width]).',
    properties: { shape: { type: 'array', description: 'The new shape per sample.', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: 3 } },
    required: ['shape'],
  },
  parse(ctx) {
    const items = ctx.r.array(ctx.required('shape', 'the new shape per sample'), ctx.at('shape'), 'shape');
    if (!items) return undefined;
    const shape = items.map((n, i) => ctx.r.number(n, childPointer(ctx.at('shape'), i), 'shape', { integer: true, min: 1, max: 2 ** 31 }));
    if (items.length < 1 || items.length > 3) ctx.r.report(ctx.r.prop(ctx.obj, 'shape'), ctx.at('shape'), `shape at ${ctx.at('shape')} must have 1 to 3 dimensions, got ${items.length}`);
    if (items.length < 1 || items.length > 3 || shape.some((d) => d === undefined)) return undefined;
    return { type: 'reshape', path: ctx.path, name: ctx.name, shape: shape as number[] };
  },
  plan(spec, inShape, ctx) {
    if (sizeOf(spec.shape) !== sizeOf(inShape)) return ctx.fail(`reshape at ${spec.path} cannot make ${describeShape(inShape)} (${sizeOf(inShape)} values) into ${describeShape(spec.shape)} (${sizeOf(spec.shape)})`);
    return single(ctx.push({ op: 'reshape', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [...spec.shape] }));
  },
  ...SHAPE_VIEW_PASSES,
};
