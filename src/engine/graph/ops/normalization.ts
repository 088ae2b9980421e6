import type { NormGroups } from '../../backend/computeBackend';
import type { LayerSpec } from '../../format/networkSpec';
import type { ResolvedInit } from '../../init/resolveInit';
import { sampleInit } from '../../init/sampleInit';
import { LINEAR } from '../../math/activation';
import { Stream } from '../../random/rng';
import type { LayerOp, SampledContext, TapeEntry, TapeField } from '../layerOp';
import { type PlanNode, single, sizeOf } from '../plan';
import { predictNormalization } from './normMeanField';

// What the normalizations share at init (batch statistics as in training mode): the groups of elements normalized
// together, the forward and backward passes on the backend's kernels (`ComputeBackend.normalize`), and the mean
// field (`normMeanField.ts`). `batchnorm.ts`, `layernorm.ts` and `rmsnorm.ts` are the ops.

export type NormKind = 'batchnorm' | 'layernorm' | 'rmsnorm';

export interface NormSpec extends LayerSpec {
  type: NormKind;
  eps: number;
}

export interface NormNode extends PlanNode {
  op: NormKind;
  eps: number;
  /** rmsnorm's gain g over the last axis, resolved (null: γ = 1, as batchnorm and layernorm at init). */
  gain: ResolvedInit | null;
}

/** What the forward pass keeps for the backward: 1/σ per group, and the gain when there is one. */
interface NormSaved {
  invStd: Float64Array;
  gain: Float32Array | null;
}

/**
 * The groups of a [batch, …shape] tensor that a normalization treats together (`NormGroups`):
 * - batchnorm: one per feature or channel (shape[0]), over the batch and its positions (BatchNorm1d on [F],
 *   BatchNorm2d on [C, H, W]);
 * - layernorm: one per sample on [F] and [C, H, W] (all of its elements, as nn.LayerNorm([C, H, W])), one per token
 *   on [T, F] (each row of F, as nn.LayerNorm(F));
 * - rmsnorm: one per row of the last axis.
 */
export function normalizationGroups(kind: NormKind, batch: number, shape: readonly number[]): NormGroups {
  const size = sizeOf(shape);
  if (kind === 'batchnorm') {
    const channels = shape[0];
    const spatial = size / channels;
    return { groups: channels, segments: batch, length: spatial, groupStride: spatial, segmentStride: size };
  }
  const length = kind === 'layernorm' && shape.length !== 2 ? size : shape[shape.length - 1];
  return { groups: (batch * size) / length, segments: 1, length, groupStride: length, segmentStride: 0 };
}

/** The gain of an rmsnorm node as a tensor over the last axis (stream `Stream.weight(index)`), or null for ones. */
function gainTensor(node: NormNode, run: SampledContext): Float32Array | null {
  const g = node.gain;
  if (!g || (g.distribution.kind === 'constant' && g.distribution.value * g.multiplier === 1)) return null;
  const features = node.inShape[node.inShape.length - 1];
  const out = new Float32Array(features);
  sampleInit(g, run.seed, Stream.weight(node.index), run.backend, out, 1, features);
  return out;
}

/**
 * Forward: x̂ = (x − μ)/√(σ² + eps) per group (biased variance, as PyTorch normalizes), or x/√(mean(x²) + eps) for
 * rmsnorm, on the backend's kernel, then y = x̂·g with rmsnorm's gain; records x̂ as the pre-activation.
 */
export function normalizationForward(node: NormNode, x: Float32Array, run: SampledContext): Float32Array {
  const groups = normalizationGroups(node.op, run.batch, node.inShape);
  const xhat = run.tensor(x.length);
  const gain = node.op === 'rmsnorm' ? gainTensor(node, run) : null;
  const out = gain ? run.tensor(x.length) : xhat;
  const invStd = new Float64Array(groups.groups);
  run.backend.normalize(x, xhat, gain ? out : null, gain, groups, node.eps, node.op !== 'rmsnorm', invStd);
  const saved: NormSaved = { invStd, gain };
  run.record(node, { x, pre: xhat, out, saved }, LINEAR);
  return out;
}

/**
 * What a normalization's backward pass reads: x̂ (its tape's `pre`), with 1/σ and the gain it saved; never its input,
 * so the tensor before it (a residual stream) is let go of after the forward pass unless another layer reads it.
 */
export const NORMALIZATION_READS: readonly TapeField[] = ['pre'];

/** Backward on the backend's kernel: dx = (1/σ)·(g·dy − mean(g·dy) − x̂·mean(g·dy·x̂)), no mean term for rmsnorm. */
export function normalizationBackward(node: NormNode, dy: Float32Array, tape: TapeEntry, run: SampledContext): Float32Array {
  const saved = tape.saved as NormSaved;
  const dx = run.gradient(dy.length);
  run.backend.normalizeBackward(tape.pre, dy, saved.gain, saved.invStd, normalizationGroups(node.op, run.batch, node.inShape), node.op !== 'rmsnorm', dx);
  return dx;
}

/** The number of elements a group normalizes together (for the mean field's finite-group corrections). */
export function normalizationGroupSize(kind: NormKind, batch: number, shape: readonly number[]): number {
  const g = normalizationGroups(kind, batch, shape);
  return g.segments * g.length;
}

/**
 * The op for batchnorm or layernorm (γ = 1, β = 0 at init). Mean field: `predictNormalization`.
 */
export function normalizationOp(kind: 'batchnorm' | 'layernorm', description: string): LayerOp<NormSpec, NormNode> {
  return {
    type: kind,
    op: kind,
    keys: ['eps'],
    schema: { description, properties: { eps: { type: 'number', description: 'Added to the variance (default 1e-5).', exclusiveMinimum: 0 } } },
    parse(ctx) {
      const eps = ctx.r.number(ctx.r.prop(ctx.obj, 'eps'), ctx.at('eps'), 'eps', { min: 0, exclusiveMin: true }) ?? 1e-5;
      return { type: kind, path: ctx.path, name: ctx.name, eps };
    },
    plan: (spec, inShape, ctx) => single(ctx.push({ op: kind, index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: inShape, eps: spec.eps, gain: null })),
    predict: (node, s, ctx) => predictNormalization(node, s, ctx, { kind, groupSize: normalizationGroupSize(kind, ctx.batch, node.inShape), eps: node.eps, gain: { mean: 1, std: 0 } }),
    forward: normalizationForward,
    backward: (node, dy, tape, run) => normalizationBackward(node, dy, tape, run),
    backwardReads: () => NORMALIZATION_READS,
    // The affine γ and β (torch.nn.BatchNorm2d(C): 2·C; nn.LayerNorm over what it normalizes: the last axis of a
    // sequence, else the whole sample); running statistics are buffers, not parameters.
    parameters: (node) => 2 * (kind === 'batchnorm' ? node.inShape[0] : node.inShape.length === 2 ? node.inShape[1] : sizeOf(node.inShape)),
    findings: { chain: 'cut', normalizes: true },
  };
}
