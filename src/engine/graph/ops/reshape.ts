import type { LayerSpec } from '../../format/networkSpec';
import { childPointer } from '../../format/problem';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single, sizeOf } from '../plan';
import { SHAPE_VIEW_PASSES } from './shapeView';
import { LINEAR } from '../../math/activation';

export interface ReshapeSpec extends LayerSpec {
  type: 'reshape';
  shape: number[];
  /** The order the values are read and written in: the engine's own ([C, H, W] row-major) or Keras' (H, W, C). */
  order: 'channels_first' | 'channels_last';
}
export interface ReshapeNode extends PlanNode {
  op: 'reshape';
  order: 'channels_first' | 'channels_last';
}

/** Element i of one [C, H, W] sample read in (H, W, C) row-major order: its index in the engine's layout. */
function channelsLastIndex(shape: readonly number[], i: number): number {
  const [c, h, w] = shape;
  const channel = i % c;
  const position = (i - channel) / c;
  return channel * h * w + position;
}

/**
 * The permutation of one sample a channels_last reshape applies, as the source index of each output element (null:
 * none, when neither shape is a [C, H, W] map with more than one channel and position).
 */
function permutation(node: ReshapeNode): Int32Array | null {
  const map = (shape: readonly number[]): boolean => shape.length === 3 && shape[0] > 1 && shape[1] * shape[2] > 1;
  if (node.order !== 'channels_last' || (!map(node.inShape) && !map(node.outShape))) return null;
  const n = sizeOf(node.inShape);
  const from = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    // Output element k in the engine's layout is element `flat` of the (h, w, c) order, which reads input element `flat`
    // of the input's (H, W, C) order.
    let flat = k;
    if (node.outShape.length === 3) {
      const [c, h, w] = node.outShape;
      const channel = Math.floor(k / (h * w));
      flat = (k - channel * h * w) * c + channel;
    }
    from[k] = node.inShape.length === 3 ? channelsLastIndex(node.inShape, flat) : flat;
  }
  return from;
}

/**
 * `reshape`: the same values, row-major, in another shape of the same size (torch.reshape per sample), e.g. a pooled
 * [C] as a [C, 1, 1] map for a 1×1 convolution (Keras' Reshape((1, 1, C)) in MobileNet's head). With `order:
 * "channels_last"` the values are read and written as Keras holds them, a map as (H, W, C): Keras' Reshape((H·W, C))
 * of a (H, W, C) map makes each position a token of its C channels (x.permute(0, 2, 3, 1).reshape(B, H·W, C)). The
 * values and their moments pass through; the gradient is permuted back.
 */
export const reshape: LayerOp<ReshapeSpec, ReshapeNode> = {
  type: 'reshape',
  op: 'reshape',
  keys: ['shape', 'order'],
  schema: {
    description: 'The same values in another shape of the same size per sample ([features], [tokens, features] or [channels, height, width]).',
    properties: { shape: { type: 'array', description: 'The new shape per sample.', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: 3 },
      order: { enum: ['channels_first', 'channels_last'], description: '"channels_first" (default): the values in the engine\'s row-major order; "channels_last": a [channels, height, width] map read and written as (height, width, channels), as Keras\' Reshape does.' } },
    required: ['shape'],
  },
  parse(ctx) {
    const items = ctx.r.array(ctx.required('shape', 'the new shape per sample'), ctx.at('shape'), 'shape');
    if (!items) return undefined;
    const shape = items.map((n, i) => ctx.r.number(n, childPointer(ctx.at('shape'), i), 'shape', { integer: true, min: 1, max: 2 ** 31 }));
    if (items.length < 1 || items.length > 3) ctx.r.report(ctx.r.prop(ctx.obj, 'shape'), ctx.at('shape'), `shape at ${ctx.at('shape')} must have 1 to 3 dimensions, got ${items.length}`);
    const orderNode = ctx.r.prop(ctx.obj, 'order');
    const order = orderNode ? ctx.r.oneOf(orderNode, ctx.at('order'), 'order', ['channels_first', 'channels_last'] as const) : 'channels_first';
    if (items.length < 1 || items.length > 3 || shape.some((d) => d === undefined) || !order) return undefined;
    return { type: 'reshape', path: ctx.path, name: ctx.name, shape: shape as number[], order };
  },
  plan(spec, inShape, ctx) {
    if (sizeOf(spec.shape) !== sizeOf(inShape)) return ctx.fail(`reshape at ${spec.path} cannot make ${describeShape(inShape)} (${sizeOf(inShape)} values) into ${describeShape(spec.shape)} (${sizeOf(spec.shape)})`);
    return single(ctx.push({ op: 'reshape', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [...spec.shape], order: spec.order } satisfies ReshapeNode));
  },
  predict: SHAPE_VIEW_PASSES.predict,
  findings: SHAPE_VIEW_PASSES.findings,
  forward(node, x, run) {
    const from = permutation(node);
    if (!from) return SHAPE_VIEW_PASSES.forward(node, x, run);
    const out = run.tensor(x.length);
    const n = from.length;
    for (let b = 0; b < run.batch; b++) for (let k = 0; k < n; k++) out[b * n + k] = x[b * n + from[k]];
    run.record(node, { x, pre: out, out }, LINEAR);
    return out;
  },
  backward(node, dy, tape, run, needInput) {
    const from = permutation(node);
    if (!from) return SHAPE_VIEW_PASSES.backward(node, dy, tape, run, needInput);
    const dx = new Float32Array(dy.length);
    const n = from.length;
    for (let b = 0; b < run.batch; b++) for (let k = 0; k < n; k++) dx[b * n + from[k]] = dy[b * n + k];
    return dx;
  },
};
