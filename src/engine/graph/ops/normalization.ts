import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import { variance } from '../../meanField/signal';
import type { LayerOp } from '../layerOp';
import { type PlanNode, single, sizeOf } from '../plan';

// The two normalizations at init (γ = 1, β = 0, batch statistics as in training mode). They differ only in the groups
// of elements normalized together: batchnorm one per feature (per channel over N·H·W), layernorm one per sample.
// `batchnorm.ts` and `layernorm.ts` are the ops; this module holds what they share.

export interface NormSpec extends LayerSpec {
  type: 'batchnorm' | 'layernorm';
  eps: number;
}

export interface NormNode extends PlanNode {
  op: 'batchnorm' | 'layernorm';
  eps: number;
}

/** Index sets normalized together: batchnorm one per feature or channel, layernorm one per sample. */
function normGroups(kind: NormNode['op'], batch: number, shape: number[]): { count: number; forEach: (g: number, f: (i: number) => void) => void } {
  const size = sizeOf(shape);
  if (kind === 'layernorm') {
    return { count: batch, forEach: (g, f) => { for (let i = g * size; i < (g + 1) * size; i++) f(i); } };
  }
  const channels = shape[0];
  const spatial = size / channels;
  return {
    count: channels,
    forEach: (g, f) => {
      for (let b = 0; b < batch; b++) {
        const base = b * size + g * spatial;
        for (let i = 0; i < spatial; i++) f(base + i);
      }
    },
  };
}

/** x̂ = (x − mean)/√(var + eps) within each group (biased variance, as PyTorch normalizes); returns 1/σ per group. */
export function normalize(kind: NormNode['op'], x: Float32Array, out: Float32Array, batch: number, shape: number[], eps: number): Float64Array {
  const groups = normGroups(kind, batch, shape);
  const invStd = new Float64Array(groups.count);
  for (let gIdx = 0; gIdx < groups.count; gIdx++) {
    let sum = 0;
    let n = 0;
    groups.forEach(gIdx, (i) => { sum += x[i]; n++; });
    const mean = sum / n;
    let m2 = 0;
    groups.forEach(gIdx, (i) => { const d = x[i] - mean; m2 += d * d; });
    const inv = 1 / Math.sqrt(m2 / n + eps);
    invStd[gIdx] = inv;
    groups.forEach(gIdx, (i) => { out[i] = (x[i] - mean) * inv; });
  }
  return invStd;
}

/** dx = (1/σ)·(dy − mean(dy) − x̂·mean(dy·x̂)) within each normalization group (Ioffe & Szegedy, 2015). */
export function normalizeBackward(kind: NormNode['op'], xhat: Float32Array, dy: Float32Array, invStd: Float64Array, batch: number, shape: number[]): Float32Array {
  const groups = normGroups(kind, batch, shape);
  const dx = new Float32Array(dy.length);
  for (let gIdx = 0; gIdx < groups.count; gIdx++) {
    let sumDy = 0;
    let sumDyX = 0;
    let n = 0;
    groups.forEach(gIdx, (i) => { sumDy += dy[i]; sumDyX += dy[i] * xhat[i]; n++; });
    const meanDy = sumDy / n;
    const meanDyX = sumDyX / n;
    groups.forEach(gIdx, (i) => { dx[i] = invStd[gIdx] * (dy[i] - meanDy - xhat[i] * meanDyX); });
  }
  return dx;
}

/**
 * The op for one normalization kind. Mean field: the output has mean 0 and variance v/(v + eps), v the input's;
 * Var(dx) ≈ Var(dy)/(v + eps) (the projection terms are O(1/group size)).
 */
export function normalizationOp(kind: NormNode['op'], description: string): LayerOp<NormSpec, NormNode> {
  return {
    type: kind,
    op: kind,
    keys: ['eps'],
    schema: { description, properties: { eps: { type: 'number', description: 'Added to the variance (default 1e-5).', exclusiveMinimum: 0 } } },
    parse(ctx) {
      const eps = ctx.r.number(ctx.r.prop(ctx.obj, 'eps'), ctx.at('eps'), 'eps', { min: 0, exclusiveMin: true }) ?? 1e-5;
      return { type: kind, path: ctx.path, name: ctx.name, eps };
    },
    plan: (spec, inShape, ctx) => single(ctx.push({ op: kind, index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: inShape, eps: spec.eps })),
    predict(node, s, ctx) {
      const v = variance(s);
      ctx.record(node, { preActivationStd: 1, activationMean: 0, activationStd: Math.sqrt(v / (v + node.eps)), chi: null, saturatedFraction: 0, deadFraction: 0, approximate: false }, 1 / (v + node.eps));
      // A sequence keeps the correlation of two tokens (each is divided by about the same std).
      const cross = s.cross !== undefined && v > 0 ? ((s.cross - s.mean * s.mean) / v) * (v / (v + node.eps)) : undefined;
      return { mean: 0, second: v / (v + node.eps), gaussian: s.gaussian, sharedVariance: 0, ...(cross !== undefined ? { cross } : {}) };
    },
    forward(node, x, run) {
      const out = run.tensor(x.length);
      const invStd = normalize(kind, x, out, run.batch, node.inShape, node.eps);
      run.record(node, { x, pre: out, out, saved: invStd }, LINEAR);
      return out;
    },
    backward: (node, dy, tape, run) => normalizeBackward(kind, tape.out, dy, tape.saved as Float64Array, run.batch, node.inShape),
    // The affine γ and β (torch.nn.BatchNorm2d(C): 2·C; nn.LayerNorm over what it normalizes: the last axis of a
    // sequence, else the whole sample); running statistics are buffers, not parameters.
    parameters: (node) => 2 * (kind === 'batchnorm' ? node.inShape[0] : node.inShape.length === 2 ? node.inShape[1] : sizeOf(node.inShape)),
    findings: { chain: 'cut', normalizes: true },
  };
}
