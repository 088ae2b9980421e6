import { readPair } from '../../format/layerFields';
import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single } from '../plan';
import { predictPool } from './poolMeanField';
import { poolSpans, samePadding } from './poolWindows';

// What the pooling ops share (NCHW; "valid": no padding, floor mode; "same": TensorFlow's, the padding ignored): the
// window walk forward and backward, and the mean field. `maxpool2d.ts`, `avgpool2d.ts` and `globalAvgPool.ts` are
// the ops; `poolWindows.ts` clips the windows.

export type PoolKind = 'maxpool2d' | 'avgpool2d' | 'global_avg_pool';

export interface PoolSpec extends LayerSpec {
  type: 'maxpool2d' | 'avgpool2d';
  size: [number, number];
  stride: [number, number];
  /** "valid" (no padding, floor mode) or "same" (TensorFlow's ⌈in/stride⌉ outputs, the padded positions ignored). */
  padding: 'valid' | 'same';
}

export interface PoolNode extends PlanNode {
  op: PoolKind;
  /** The window and its stride (global average pooling: the whole H×W, stride 1). */
  size: [number, number];
  stride: [number, number];
  /**
   * Set when padding "same" pads: the padding before the first row and column, [top, left] (TensorFlow's
   * ⌊total/2⌋); the rest is at the bottom and right, where the output's windows reach past the input. Windows are
   * clipped to the input: a max ignores the padded positions (as −∞), an average divides by the inputs inside.
   */
  padding?: [number, number];
}

/**
 * Max, average or global average pooling of a [batch, C, H, W] tensor (as torch.nn.MaxPool2d / AvgPool2d /
 * AdaptiveAvgPool2d(1)); max pooling also returns each output's argmax index. With padding "same" each window is
 * clipped to the input (tf.nn.max_pool2d and avg_pool2d with padding 'SAME': the padded positions are ignored), so
 * an average is over the n_valid inputs inside its window: y = (1/n_valid)·Σ_{i in window ∩ input} x_i.
 */
export function poolForward(node: PoolNode, x: Float32Array, B: number): { out: Float32Array; argmax?: Int32Array } {
  const [c, h, w] = node.inShape;
  const { rows, cols } = poolSpans(node);
  const oh = rows.start.length, ow = cols.start.length;
  const out = new Float32Array(B * c * oh * ow);
  const argmax = node.op === 'maxpool2d' ? new Int32Array(out.length) : undefined;
  let o = 0;
  for (let b = 0; b < B; b++) for (let ch = 0; ch < c; ch++) {
    const base = (b * c + ch) * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = rows.start[oy], y1 = rows.end[oy];
      for (let ox = 0; ox < ow; ox++, o++) {
        const x0 = cols.start[ox], x1 = cols.end[ox];
        let best = -Infinity, bestAt = 0, sum = 0;
        for (let i = y0; i < y1; i++) for (let j = x0; j < x1; j++) {
          const at = base + i * w + j;
          const v = x[at];
          sum += v;
          if (v > best) { best = v; bestAt = at; }
        }
        if (argmax) { out[o] = best; argmax[o] = bestAt; } else out[o] = sum / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return { out, argmax };
}

/**
 * Backward of max pooling (the gradient goes to each window's argmax, always an input inside), average pooling
 * (dy/n_valid to each of the window's n_valid inputs inside, n_valid = kh·kw without padding) and global average
 * pooling (over H·W), for [batch, C, H, W] tensors.
 */
export function poolBackward(node: PoolNode, dy: Float32Array, argmax: Int32Array | undefined, batch: number): Float32Array {
  const [c, h, w] = node.inShape;
  const dx = new Float32Array(batch * c * h * w);
  if (argmax) {
    for (let o = 0; o < dy.length; o++) dx[argmax[o]] += dy[o];
    return dx;
  }
  const { rows, cols } = poolSpans(node);
  const oh = rows.start.length, ow = cols.start.length;
  let o = 0;
  for (let b = 0; b < batch; b++) for (let ch = 0; ch < c; ch++) {
    const base = (b * c + ch) * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = rows.start[oy], y1 = rows.end[oy];
      for (let ox = 0; ox < ow; ox++, o++) {
        const x0 = cols.start[ox], x1 = cols.end[ox];
        const share = dy[o] / ((y1 - y0) * (x1 - x0));
        for (let i = y0; i < y1; i++) for (let j = x0; j < x1; j++) dx[base + i * w + j] += share;
      }
    }
  }
  return dx;
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
 * `maxpool2d` or `avgpool2d`: size×size windows (a number or [h, w]) moved by `stride` (default: the size).
 * `padding: "valid"` (the default) pools without padding, out = ⌊(in − size)/stride⌋ + 1 (floor mode, as
 * torch.nn.MaxPool2d); `padding: "same"` is TensorFlow's and Keras' (tf.nn.max_pool2d / avg_pool2d, keras
 * MaxPooling2D / AveragePooling2D): out = ⌈in/stride⌉ with ⌊total/2⌋ of the padding before and the rest after
 * (`samePadding`), and the padded positions ignored: a window's max is over its inputs inside, its average divides
 * by their number (PyTorch's count_include_pad=False). Where "same" pads nothing it is the "valid" pooling.
 */
export function windowPoolOp(kind: 'maxpool2d' | 'avgpool2d', description: string): LayerOp<PoolSpec, PoolNode> {
  const pair = (d: string): Record<string, unknown> => ({ description: d, oneOf: [{ type: 'integer', minimum: 1 }, { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 2, maxItems: 2 }] });
  return {
    type: kind,
    op: kind,
    keys: ['size', 'stride', 'padding'],
    schema: { description, properties: { size: pair('Window size: a number or [height, width].'), stride: pair('Stride (default: the window size).'),
      padding: { enum: ['valid', 'same'], description: '"valid" (default: no padding, ⌊(in − size)/stride⌋ + 1 outputs) or "same" (TensorFlow\'s: ⌈in/stride⌉ outputs, the padding split with the odd one at the end; a window\'s max or average is over its inputs inside, the padded positions ignored).' } }, required: ['size'] },
    parse(ctx) {
      const size = readPair(ctx.r, ctx.required('size', 'a number or [height, width]'), ctx.at('size'), 'size');
      const stride = ctx.r.prop(ctx.obj, 'stride') ? readPair(ctx.r, ctx.r.prop(ctx.obj, 'stride'), ctx.at('stride'), 'stride') : size;
      const paddingNode = ctx.r.prop(ctx.obj, 'padding');
      const padding = paddingNode ? ctx.r.oneOf(paddingNode, ctx.at('padding'), 'padding', ['valid', 'same'] as const) : 'valid';
      return size && stride && padding ? { type: kind, path: ctx.path, name: ctx.name, size, stride, padding } : undefined;
    },
    plan(spec, inShape, ctx) {
      if (inShape.length !== 3) return ctx.fail(`${kind} needs an input of shape [channels, height, width], got ${describeShape(inShape)} at ${spec.path}`);
      const [, height, width] = inShape;
      const [kh, kw] = spec.size;
      const [sh, sw] = spec.stride;
      if (spec.padding === 'same') {
        const rows = samePadding(height, kh, sh);
        const cols = samePadding(width, kw, sw);
        const node: PoolNode = { op: kind, index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [inShape[0], rows.out, cols.out], size: spec.size, stride: spec.stride };
        // Only a pooling that pads carries its padding: one that pads nothing is the "valid" pooling, node for node.
        if (rows.before + rows.after + cols.before + cols.after > 0) node.padding = [rows.before, cols.before];
        return single(ctx.push(node));
      }
      const outHeight = Math.floor((height - kh) / sh) + 1;
      const outWidth = Math.floor((width - kw) / sw) + 1;
      if (outHeight < 1 || outWidth < 1) return ctx.fail(`the ${kh}×${kw} pooling window does not fit the ${height}×${width} input at ${spec.path}; padding "same" pools it`);
      return single(ctx.push({ op: kind, index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [inShape[0], outHeight, outWidth], size: spec.size, stride: spec.stride }));
    },
    ...poolBehaviour(kind),
  };
}
