import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import { crossMoment } from '../../meanField/signal';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single, sizeOf } from '../plan';
import { planBranches, readBranches } from './branches';

export interface ConcatenateSpec extends LayerSpec {
  type: 'concatenate';
  /** Every branch's layers, one list after the other (so that edits reach them as any nested list). */
  layers: LayerSpec[];
  /** How many of `layers` each branch has, in order (0: the input itself). */
  branchSizes: number[];
}

export interface ConcatenateNode extends PlanNode {
  op: 'concatenate';
  branches: PlanNode[][];
  /** Each branch's size along the joined axis (channels of [C, H, W], features of [F] and [T, F]). */
  widths: number[];
}

/**
 * The axis branches join on: the channels of [C, H, W] (torch.cat(dim=1) on NCHW), the features of [F] and [T, F]
 * (the last axis); as blocks of one sample, `outer` runs of `width·inner` values per branch.
 */
function layout(shape: readonly number[]): { axis: number; outer: number; inner: number } {
  if (shape.length === 3) return { axis: 0, outer: 1, inner: shape[1] * shape[2] };
  return { axis: shape.length - 1, outer: shape.length === 2 ? shape[0] : 1, inner: 1 };
}

/**
 * `concatenate`: y = cat(F₁(x), F₂(x), …) along the channels ([C, H, W]) or the features ([F], [T, F]), each branch a
 * list of layers reading the same input, an empty branch the input itself (DenseNet's cat(x, F(x)), Inception's
 * branches, Keras' Concatenate). Backward: dy is split by branch and the branches' input gradients add. Mean field:
 * the moments of the joined tensor are the branches' weighted by their widths (an element is one branch's), and the
 * input gradient's variance is the sum of the branches' (each sees its own slice of dy, as independent at init).
 */
export const concatenate: LayerOp<ConcatenateSpec, ConcatenateNode> = {
  type: 'concatenate',
  op: 'concatenate',
  keys: ['branches'],
  schema: {
    description: 'Branches reading the same input, joined along the channels ([C, H, W]) or features ([F], [T, F]); an empty branch is the input itself.',
    properties: {
      branches: { type: 'array', description: 'The branches, each an array of layers (empty: the input itself).', minItems: 2,
        items: { type: 'array', items: { $ref: '#/definitions/layer' } } },
    },
    required: ['branches'],
  },

  parse(ctx) {
    const branches = readBranches(ctx, 'the concatenate', { minBranches: 2, emptyBranch: true });
    return branches ? { type: 'concatenate', path: ctx.path, name: ctx.name, ...branches } : undefined;
  },

  plan(spec, inShape, ctx) {
    const others = (s: readonly number[]): string => describeShape(s.filter((_, i) => i !== layout(s).axis));
    const planned = planBranches(spec, inShape, ctx, ({ outShape }, k, earlier) => {
      const first = earlier[0]?.outShape;
      if (!first || (first.length === outShape.length && others(first) === others(outShape))) return true;
      ctx.fail(`branch ${k} of the concatenate at ${spec.path} gives ${describeShape(outShape)}, which cannot join ${describeShape(first)} along ${first.length === 3 ? 'the channels' : 'the features'}`);
      return false;
    });
    if (!planned) return null;
    const branches = planned.map((p) => p.nodes);
    const widths = planned.map((p) => p.outShape[layout(p.outShape).axis]);
    const outShape = [...planned[0].outShape];
    outShape[layout(outShape).axis] = widths.reduce((a, b) => a + b, 0);
    return single(ctx.push({ op: 'concatenate', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape, branches, widths } satisfies ConcatenateNode));
  },

  predict(node, s, ctx) {
    const total = node.widths.reduce((a, b) => a + b, 0);
    let mean = 0, second = 0, shared = 0, cross = 0;
    // The join's moments are width-weighted mixtures of its branches': exact given theirs, so its bound is their largest.
    let bound = 0;
    node.branches.forEach((branch, k) => {
      const out = branch.length === 0 ? s : ctx.predictNodes(branch, s);
      const w = node.widths[k] / total;
      mean += w * out.mean;
      second += w * out.second;
      shared += w * out.sharedVariance;
      cross += w * crossMoment(out);
      bound = Math.max(bound, out.approximateBy ?? 0);
    });
    const std = Math.sqrt(Math.max(0, second - mean * mean));
    ctx.record(node, { preActivationStd: std, activationMean: mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0,
      approximate: bound !== 0, approximateBy: bound, gradientApproximateBy: 0 }, 1);
    return { mean, second, gaussian: false, sharedVariance: shared, cross };
  },

  predictBackward(node, g, ctx) {
    let total = 0;
    for (const branch of node.branches) total += branch.length === 0 ? g : ctx.backwardNodes(branch, g);
    return total;
  },

  forward(node, x, run) {
    const out = run.tensor(run.batch * sizeOf(node.outShape));
    const { outer, inner } = layout(node.outShape);
    const totalWidth = node.widths.reduce((a, b) => a + b, 0);
    let offset = 0;
    node.branches.forEach((branch, k) => {
      const y = branch.length === 0 ? x : run.forwardNodes(branch, x);
      const block = node.widths[k] * inner;
      for (let b = 0; b < run.batch; b++) {
        for (let o = 0; o < outer; o++) {
          const from = (b * outer + o) * block;
          out.set(y.subarray(from, from + block), (b * outer + o) * totalWidth * inner + offset);
        }
      }
      offset += block;
    });
    run.record(node, { x, pre: out, out }, LINEAR);
    return out;
  },

  backward(node, dy, _tape, run) {
    const dx = new Float32Array(run.batch * sizeOf(node.inShape));
    const { outer, inner } = layout(node.outShape);
    const totalWidth = node.widths.reduce((a, b) => a + b, 0);
    let offset = 0;
    node.branches.forEach((branch, k) => {
      const block = node.widths[k] * inner;
      const part = new Float32Array(run.batch * outer * block);
      for (let b = 0; b < run.batch; b++) {
        for (let o = 0; o < outer; o++) {
          const from = (b * outer + o) * totalWidth * inner + offset;
          part.set(dy.subarray(from, from + block), (b * outer + o) * block);
        }
      }
      const g = branch.length === 0 ? part : run.backwardNodes(branch, part, true);
      for (let i = 0; i < dx.length; i++) dx[i] += g[i];
      offset += block;
    });
    return dx;
  },

  cost: (node, tally, batch) => { tally.keptFloats += batch * sizeOf(node.outShape); },
  outputActivation: () => null,
  subgraphs: (node) => node.branches,
  findings: { chain: 'link' },
};
