import type { WindowPairCount } from '../../meanField/windowMax';
import type { PoolNode } from './pooling';

// The windows of a max or average pooling, clipped to the input: TensorFlow's padding "same" puts windows partly
// outside the input, and a pooling ignores those positions (tf.nn.max_pool2d / avg_pool2d: "the padded input values
// are ignored", TensorFlow's notes on padding in tf.nn). What the forward and backward passes and the mean field of a
// clipped pooling need: the span of each window along each axis, and how many inputs the windows hold and share.

/**
 * TensorFlow's padding "same" along one axis (tf.nn notes on padding; Keras MaxPooling/AveragePooling 1D/2D):
 * out = ⌈in/stride⌉, total = max((out − 1)·stride + size − in, 0), before = ⌊total/2⌋, after = total − before (the odd
 * one at the end). Every window keeps at least one input: before ≤ (size − 1)/2 and (out − 1)·stride < in.
 */
export function samePadding(length: number, size: number, stride: number): { out: number; before: number; after: number } {
  const out = Math.ceil(length / stride);
  const total = Math.max((out - 1) * stride + size - length, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

/** The input span [start[o], end[o]) of each of an axis' `out` windows: o·stride − before + [0, size), clipped to [0, length). */
export interface AxisSpans {
  start: Int32Array;
  end: Int32Array;
}

/** The clipped span of every window along one axis (see `AxisSpans`); with no padding, [o·stride, o·stride + size). */
export function axisSpans(out: number, size: number, stride: number, before: number, length: number): AxisSpans {
  const start = new Int32Array(out);
  const end = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    const from = o * stride - before;
    start[o] = Math.max(0, from);
    end[o] = Math.min(length, from + size);
  }
  return { start, end };
}

/** The spans of a window pooling's rows and columns (global average pooling: the whole map). */
export function poolSpans(node: PoolNode): { rows: AxisSpans; cols: AxisSpans } {
  const [, h, w] = node.inShape;
  if (node.op === 'global_avg_pool') return { rows: axisSpans(1, h, 1, 0, h), cols: axisSpans(1, w, 1, 0, w) };
  const [top, left] = node.padding ?? [0, 0];
  return { rows: axisSpans(node.outShape[1], node.size[0], node.stride[0], top, h), cols: axisSpans(node.outShape[2], node.size[1], node.stride[1], left, w) };
}

/** Whether some window of a pooling reaches outside its input (only "same" padding that pads does). */
export function isClipped(node: PoolNode): boolean {
  return node.padding !== undefined;
}

/** How many output positions of an axis have a window of each clipped length: length → count. */
function lengthCounts(spans: AxisSpans): Map<number, number> {
  const counts = new Map<number, number>();
  for (let o = 0; o < spans.start.length; o++) {
    const n = spans.end[o] - spans.start[o];
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return counts;
}

/** The window shapes of a pooling, rows × columns of inputs inside, with the number of output positions of each. */
export function windowShapes(node: PoolNode): { rows: number; cols: number; count: number }[] {
  const { rows, cols } = poolSpans(node);
  const shapes: { rows: number; cols: number; count: number }[] = [];
  for (const [nh, ch] of lengthCounts(rows)) for (const [nw, cw] of lengthCounts(cols)) shapes.push({ rows: nh, cols: nw, count: ch * cw });
  return shapes;
}

/** The number of output positions (per channel) whose window holds n inputs: n → count, over all positions. */
export function windowCounts(node: PoolNode): Map<number, number> {
  const counts = new Map<number, number>();
  for (const { rows, cols, count } of windowShapes(node)) counts.set(rows * cols, (counts.get(rows * cols) ?? 0) + count);
  return counts;
}

/**
 * Along one axis, the ordered pairs of windows (o₁, o₂), o₁ = o₂ included, that share inputs, grouped by (their
 * lengths n₁, n₂, the shared length j = |[s₁, e₁) ∩ [s₂, e₂)|): windows more than ⌈size/stride⌉ apart share none.
 */
function axisPairs(spans: AxisSpans, size: number, stride: number): Map<string, { n1: number; n2: number; j: number; count: number }> {
  const out = spans.start.length;
  const reach = Math.ceil(size / stride);
  const pairs = new Map<string, { n1: number; n2: number; j: number; count: number }>();
  for (let a = 0; a < out; a++) {
    for (let b = Math.max(0, a - reach); b <= Math.min(out - 1, a + reach); b++) {
      const j = Math.min(spans.end[a], spans.end[b]) - Math.max(spans.start[a], spans.start[b]);
      if (j <= 0) continue;
      const n1 = spans.end[a] - spans.start[a];
      const n2 = spans.end[b] - spans.start[b];
      const key = `${n1},${n2},${j}`;
      const entry = pairs.get(key);
      if (entry) entry.count++;
      else pairs.set(key, { n1, n2, j, count: 1 });
    }
  }
  return pairs;
}

/**
 * Every ordered pair of output positions (p, q) of a pooling (per channel, p = q included) whose windows share
 * inputs, grouped by the windows' sizes k₁, k₂ and the number j of inputs they share. Windows are rectangles, so a
 * pair's sizes and overlap are products of the rows' and the columns': k = n_rows·n_cols, j = j_rows·j_cols, and the
 * pairs of the grid are the products of each axis' pairs (O(out·size/stride) per axis, not O(positions²)).
 */
export function windowPairCounts(node: PoolNode): WindowPairCount[] {
  const { rows, cols } = poolSpans(node);
  const grouped = new Map<string, WindowPairCount>();
  for (const r of axisPairs(rows, node.size[0], node.stride[0]).values()) {
    for (const c of axisPairs(cols, node.size[1], node.stride[1]).values()) {
      const k1 = r.n1 * c.n1, k2 = r.n2 * c.n2, j = r.j * c.j;
      const key = `${k1},${k2},${j}`;
      const entry = grouped.get(key);
      if (entry) entry.count += r.count * c.count;
      else grouped.set(key, { k1, k2, j, count: r.count * c.count });
    }
  }
  return [...grouped.values()];
}
