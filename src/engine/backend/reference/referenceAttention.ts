import type { AttentionShape, HeadsView } from '../computeBackend';
import { type Rotary, rotaryAngles, rotateHeads } from '../../math/rotary';
import { ATTENTION_ROW_STATS, maskedSoftmax, softmaxBackward } from '../../math/softmax';

// The reference backend's attention: one (batch, head) pair at a time, its vectors gathered into contiguous
// [tokens, headDim] matrices, the products by a plain GEMM, the softmax by math/softmax.ts (float64 sums).

type Gemm = (transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean) => void;

/** Copies head `head` of rows [b·T, (b + 1)·T) of a view into a [T, headDim] matrix. */
function gather(view: HeadsView, b: number, head: number, shape: AttentionShape, into: Float32Array): void {
  const { tokens: T, headDim: dh } = shape;
  for (let t = 0; t < T; t++) {
    const at = (b * T + t) * view.stride + view.offset + head * dh;
    into.set(view.data.subarray(at, at + dh), t * dh);
  }
}

/** The inverse of `gather`: writes a [T, headDim] matrix into head `head` of rows [b·T, (b + 1)·T) of a view. */
function scatter(from: Float32Array, view: HeadsView, b: number, head: number, shape: AttentionShape): void {
  const { tokens: T, headDim: dh } = shape;
  for (let t = 0; t < T; t++) view.data.set(from.subarray(t * dh, (t + 1) * dh), (b * T + t) * view.stride + view.offset + head * dh);
}

/** S = scale·q·kᵀ (+ head h's bias) and P = softmax(S) of one pair, P into `p`, the row statistics written at `statsAt`. */
function probabilities(gemm: Gemm, shape: AttentionShape, h: number, q: Float32Array, k: Float32Array, p: Float32Array, rowStats: Float32Array, statsAt: number): void {
  const T = shape.tokens;
  const scores = new Float32Array(T * T);
  gemm(false, true, T, T, shape.headDim, q, k, scores, false);
  for (let i = 0; i < scores.length; i++) scores[i] *= shape.scale;
  if (shape.bias) for (let i = 0; i < scores.length; i++) scores[i] += shape.bias[h * T * T + i];
  maskedSoftmax(scores, p, T, T, shape.causal, rowStats, statsAt);
}

/** `ComputeBackend.attentionForward`, pair by pair. */
export function referenceAttentionForward(gemm: Gemm, shape: AttentionShape, q: HeadsView, k: HeadsView, v: HeadsView, out: HeadsView, rowStats: Float32Array): void {
  const { batch: B, tokens: T, heads: H, kvHeads: G, headDim: dh } = shape;
  const qh = new Float32Array(T * dh), kh = new Float32Array(T * dh), vh = new Float32Array(T * dh), oh = new Float32Array(T * dh);
  const p = new Float32Array(T * T);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const g = Math.floor(h / (H / G));
    gather(q, b, h, shape, qh);
    gather(k, b, g, shape, kh);
    gather(v, b, g, shape, vh);
    probabilities(gemm, shape, h, qh, kh, p, rowStats, (b * H + h) * T * ATTENTION_ROW_STATS);
    gemm(false, false, T, dh, T, p, vh, oh, false);
    scatter(oh, out, b, h, shape);
  }
}

/** `ComputeBackend.attentionBackward`, group by group (the heads sharing a kv head add into its dk and dv). */
export function referenceAttentionBackward(gemm: Gemm, shape: AttentionShape, q: HeadsView, k: HeadsView, v: HeadsView, dOut: HeadsView, dq: HeadsView, dk: HeadsView, dv: HeadsView): void {
  const { batch: B, tokens: T, heads: H, kvHeads: G, headDim: dh } = shape;
  const qh = new Float32Array(T * dh), kh = new Float32Array(T * dh), vh = new Float32Array(T * dh), doh = new Float32Array(T * dh), dqh = new Float32Array(T * dh);
  const dkg = new Float32Array(T * dh), dvg = new Float32Array(T * dh);
  const p = new Float32Array(T * T), dp = new Float32Array(T * T);
  const stats = new Float32Array(T * ATTENTION_ROW_STATS);
  const rep = H / G;
  for (let b = 0; b < B; b++) for (let g = 0; g < G; g++) {
    gather(k, b, g, shape, kh);
    gather(v, b, g, shape, vh);
    dkg.fill(0);
    dvg.fill(0);
    for (let h = g * rep; h < (g + 1) * rep; h++) {
      gather(q, b, h, shape, qh);
      gather(dOut, b, h, shape, doh);
      probabilities(gemm, shape, h, qh, kh, p, stats, 0);
      gemm(false, true, T, T, dh, doh, vh, dp, false);
      gemm(true, false, T, dh, T, p, doh, dvg, true);
      softmaxBackward(p, dp, T, T, shape.scale);
      gemm(false, false, T, dh, T, dp, kh, dqh, false);
      scatter(dqh, dq, b, h, shape);
      gemm(true, false, T, dh, T, dp, qh, dkg, true);
    }
    scatter(dkg, dk, b, g, shape);
    scatter(dvg, dv, b, g, shape);
  }
}

/** `ComputeBackend.rotary`. */
export function referenceRotary(x: HeadsView, heads: number, headDim: number, rows: number, tokens: number, rotary: Rotary, direction: 1 | -1): void {
  rotateHeads(x.data, x.stride, x.offset, heads, headDim, rows, tokens, rotaryAngles(rotary, tokens), rotary, direction);
}
