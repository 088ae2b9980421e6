import type { PlanNode } from '../plan';

type PoolingNode = Extract<PlanNode, { op: 'maxpool2d' | 'avgpool2d' | 'global_avg_pool' }>;

/** Output size, window and stride of a pooling layer (global average pooling: one H×W window). */
function poolWindow(node: PoolingNode): { oh: number; ow: number; kh: number; kw: number; sh: number; sw: number } {
  const [, h, w] = node.inShape;
  if (node.op === 'global_avg_pool') return { oh: 1, ow: 1, kh: h, kw: w, sh: 1, sw: 1 };
  return { oh: node.outShape[1], ow: node.outShape[2], kh: node.size[0], kw: node.size[1], sh: node.stride[0], sw: node.stride[1] };
}

/**
 * Max, average or global average pooling of a [batch, C, H, W] tensor (no padding, floor mode, as
 * torch.nn.MaxPool2d / AvgPool2d / AdaptiveAvgPool2d(1)); max pooling also returns each output's argmax index.
 */
export function poolForward(node: PoolingNode, x: Float32Array, B: number): { out: Float32Array; argmax?: Int32Array } {
  const [c, h, w] = node.inShape;
  const { oh, ow, kh, kw, sh, sw } = poolWindow(node);
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
export function poolBackward(node: PoolingNode, dy: Float32Array, argmax: Int32Array | undefined, batch: number): Float32Array {
  const [c, h, w] = node.inShape;
  const dx = new Float32Array(batch * c * h * w);
  if (argmax) {
    for (let o = 0; o < dy.length; o++) dx[argmax[o]] += dy[o];
    return dx;
  }
  const { oh, ow, kh, kw, sh, sw } = poolWindow(node);
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
