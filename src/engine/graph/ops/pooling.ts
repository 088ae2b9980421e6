import { readPair } from '../../format/layerFields';
import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single } from '../plan';
import { predictPool } from './poolMeanField';

// What the pooling ops share (no padding, floor mode, NCHW): the window walk forward and backward, and the mean
// field. `maxpool2d.ts`, `avgpool2d.ts` and `globalAvgPool.ts` are the ops.

export type PoolKind = 'maxpool2d' | 'avgpool2d' | 'global_avg_pool';

export interface PoolSpec extends LayerSpec {
  type: 'maxpool2d' | 'avgpool2d';
  size: [number, number];
  stride: [number, number];
  /** "valid" (no padding, floor mode) or "same" (TensorFlow's ⌈in/stride⌉ outputs), accepted where it pads nothing. */
  padding: 'valid' | 'same';
}

export interface PoolNode extends PlanNode {
  op: PoolKind;
  /** The window and its stride (global average pooling: the whole H×W, stride 1). */
  size: [number, number];
  stride: [number, number];
}

/**
 * Max, average or global average pooling of a [batch, C, H, W] tensor (as torch.nn.MaxPool2d / AvgPool2d /
 * AdaptiveAvgPool2d(1)); max pooling also returns each output's argmax index.
 */
export function poolForward(node: PoolNode, x: Float32Array, B: number): { out: Float32Array; argmax?: Int32Array } {
  const [c, h, w] = node.inShape;
  const { oh, ow } = outSize(node);
  const [kh, kw] = node.size;
  const [sh, sw] = node.stride;
  const out = new Float32Array(B * c * oh * ow);
  const argmax = node.op === 'maxpool2d' ? new Int32Array(out.length) : undefined;
  let o = 0;
  for (let b = 0; b < B; b++) for (let ch = 0; ch < c; ch++) {
    const base = (b * c + ch) * h * w;
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++, o++) {
      let best = -Infinity, bestAt = 0, sum = 0;
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        const at = base + (oy * sh + i) * w + ox * sw + j;
        const v = x[at];
        sum += v;
        if (v > best) { best = v; bestAt = at; }
      }
      if (argmax) { out[o] = best; argmax[o] = bestAt; } else out[o] = sum / (kh * kw);
    }
  }
  return { out, argmax };
}

/**
 * Backward of max pooling (the gradient goes to each window's argmax), average pooling (shared equally over the
 * window) and global average pooling (over H·W), for [batch, C, H, W] tensors.
 */
export function poolBackward(node: PoolNode, dy: Float32Array, argmax: Int32Array | undefined, batch: number): Float32Array {
  const [c, h, w] = node.inShape;
  const dx = new Float32Array(batch * c * h * w);
  if (argmax) {
    for (let o = 0; o < dy.length; o++) dx[argmax[o]] += dy[o];
    return dx;
  }
  const { oh, ow } = outSize(node);
  const [kh, kw] = node.size;
  const [sh, sw] = node.stride;
  let o = 0;
  for (let b = 0; b < batch; b++) for (let ch = 0; ch < c; ch++) {
    const base = (b * c + ch) * h * w;
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++, o++) {
      const share = dy[o] / (kh * kw);
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) dx[base + (oy * sh + i) * w + ox * sw + j] += share;
    }
  }
  return dx;
}

function outSize(node: PoolNode): { oh: number; ow: number } {
  return node.op === 'global_avg_pool' ? { oh: 1, ow: 1 } : { oh: node.outShape[1], ow: node.outShape[2] };
}

/**
 * The pooling ops' shared behaviour; the mean field is `predictPool`.
 */
export function poolBehaviour(kind: PoolKind): Pick<LayerOp<PoolSpec, PoolNode>, 'predict' | 'forward' | 'backward' | 'findings'> {
  return {
    predict: (node, s, ctx) => predictPool(kind, node, s, ctx),
    forward(node, x, run) {
      const { out, argmax } = poolForward(node, x, run.batch);
      run.record(node, { x, pre: out, out, saved: argmax }, LINEAR);
      return out;
    },
    backward: (node, dy, tape, run) => poolBackward(node, dy, tape.saved as Int32Array | undefined, run.batch),
    findings: { chain: 'cut' },
  };
}

/**
 * `maxpool2d` or `avgpool2d`: size×size windows (a number or [h, w]) moved by `stride` (default: the size), without
 * padding. `padding: "same"` (Keras' and TensorFlow's ⌈in/stride⌉ outputs) is accepted where it needs no padding,
 * (⌈in/stride⌉ − 1)·stride + size ≤ in on both axes (a 2×2 pool with stride 2 on an even map), which is the same
 * pooling as "valid"; where it would pad, the plan fails with a located message.
 */
export function windowPoolOp(kind: 'maxpool2d' | 'avgpool2d', description: string): LayerOp<PoolSpec, PoolNode> {
  const pair = (d: string): Record<string, unknown> => ({ description: d, oneOf: [{ type: 'integer', minimum: 1 }, { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 2, maxItems: 2 }] });
  return {
    type: kind,
    op: kind,
    keys: ['size', 'stride', 'padding'],
    schema: { description, properties: { size: pair('Window size: a number or [height, width].'), stride: pair('Stride (default: the window size).'),
      padding: { enum: ['valid', 'same'], description: '"valid" (default: no padding) or "same" (TensorFlow\'s ⌈in/stride⌉ outputs), where it needs no padding.' } }, required: ['size'] },
    parse(ctx) {
      const size = readPair(ctx.r, ctx.required('size', 'a number or [height, width]'), ctx.at('size'), 'size');
      const stride = ctx.r.prop(ctx.obj, 'stride') ? readPair(ctx.r, ctx.r.prop(ctx.obj, 'stride'), ctx.at('stride'), 'stride') : size;
      const paddingNode = ctx.r.prop(ctx.obj, 'padding');
      const padding = paddingNode ? ctx.r.oneOf(paddingNode, ctx.at('padding'), 'padding', ['valid', 'same'] as const) : 'valid';
      return size && stride && padding ? { type: kind, path: ctx.path, name: ctx.name, size, stride, padding } : undefined;
    },
    plan(spec, inShape, ctx) {
      if (inShape.length !== 3) return ctx.fail(`${kind} needs an input of shape [channels, height, width], got ${describeShape(inShape)} at ${spec.path}`);
      if (spec.padding === 'same') {
        const pads = [1, 2].map((a) => Math.max(0, (Math.ceil(inShape[a] / spec.stride[a - 1]) - 1) * spec.stride[a - 1] + spec.size[a - 1] - inShape[a]));
        if (pads.some((p) => p > 0)) {
          return ctx.fail(`padding "same" of the ${spec.size[0]}×${spec.size[1]} pooling (stride ${spec.stride[0]}×${spec.stride[1]}) on the ${inShape[1]}×${inShape[2]} input at ${spec.path} would pad ${pads[0]}×${pads[1]}, which Init Inspector does not support yet (it pools without padding); "same" that pads nothing is supported`);
        }
      }
      const outHeight = Math.floor((inShape[1] - spec.size[0]) / spec.stride[0]) + 1;
      const outWidth = Math.floor((inShape[2] - spec.size[1]) / spec.stride[1]) + 1;
      if (outHeight < 1 || outWidth < 1) return ctx.fail(`the ${spec.size[0]}×${spec.size[1]} pooling window does not fit the ${inShape[1]}×${inShape[2]} input at ${spec.path}`);
      return single(ctx.push({ op: kind, index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [inShape[0], outHeight, outWidth], size: spec.size, stride: spec.stride }));
    },
    ...poolBehaviour(kind),
  };
}
