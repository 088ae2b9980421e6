import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single, sizeOf } from '../plan';
import { planBranches, readBranches } from './branches';
import { predictMultiply, predictMultiplyBackward } from './multiplyMeanField';

export interface MultiplySpec extends LayerSpec {
  type: 'multiply';
  /** Every branch's layers, one list after the other (so that edits reach them as any nested list). */
  layers: LayerSpec[];
  /** How many of `layers` each branch has, in order (0: the input itself). */
  branchSizes: number[];
}

/**
 * How a branch's output lines up with the product's elements: `full` element by element; `channel` one value per
 * channel of a [C, H, W] product (a [C, 1, 1] or [C] output, repeated over the H·W positions); `feature` one value
 * per feature of a [T, F] product (a [1, F] or [F] output, repeated over the tokens).
 */
export type Broadcast = 'full' | 'channel' | 'feature';

export interface MultiplyNode extends PlanNode {
  op: 'multiply';
  branches: PlanNode[][];
  broadcasts: Broadcast[];
}

/** How a branch output of shape `shape` broadcasts over the product's `full` shape, or null when it does not. */
export function broadcastOf(shape: readonly number[], full: readonly number[]): Broadcast | null {
  if (describeShape(shape) === describeShape(full)) return 'full';
  const perUnit = shape.length === 1 || shape.slice(0, -1).every((d) => d === 1) || (shape.length === 3 && shape[1] === 1 && shape[2] === 1);
  if (full.length === 3 && shape.length !== 2 && perUnit && shape[0] === full[0] && sizeOf(shape) === full[0]) return 'channel';
  if (full.length === 2 && shape.length <= 2 && shape[shape.length - 1] === full[1] && sizeOf(shape) === full[1]) return 'feature';
  return null;
}

/** The index into one sample of a branch's output that element i of a product sample of shape `full` reads. */
function sourceIndex(broadcast: Broadcast, full: readonly number[], i: number): number {
  if (broadcast === 'full') return i;
  return broadcast === 'channel' ? Math.floor(i / (full[1] * full[2])) : i % full[1];
}

/**
 * `multiply`: y = F₁(x) ⊙ F₂(x) ⊙ …, each branch a list of layers reading the same input (an empty branch the input
 * itself), a per-channel branch output ([C, 1, 1] or [C] against [C, H, W]; [F] against [T, F]) broadcast over the
 * positions (Keras' Multiply; the squeeze-and-excitation gate of Hu et al., 2018, x ⊙ σ(W₂·relu(W₁·avg(x))), as in
 * EfficientNet and MobileNetV3). Backward: dF_k = dy ⊙ Π_{j≠k} F_j(x), summed over the positions a broadcast output
 * covers; the branches' input gradients add. Mean field: `predictMultiply`, for independent branches, bounded by how
 * far their dependence (they all read x; a gate reads its channel's average) can move the product.
 */
export const multiply: LayerOp<MultiplySpec, MultiplyNode> = {
  type: 'multiply',
  op: 'multiply',
  keys: ['branches'],
  schema: {
    description: 'Branches reading the same input, multiplied element by element; a per-channel output ([C, 1, 1] or [C]; [F] on a sequence) is broadcast over the positions (a squeeze-and-excitation gate). An empty branch is the input itself.',
    properties: {
      branches: { type: 'array', description: 'The branches, each an array of layers (empty: the input itself).', minItems: 2,
        items: { type: 'array', items: { $ref: '#/definitions/layer' } } },
    },
    required: ['branches'],
  },

  parse(ctx) {
    const branches = readBranches(ctx, 'the multiply', { minBranches: 2, emptyBranch: true });
    return branches ? { type: 'multiply', path: ctx.path, name: ctx.name, ...branches } : undefined;
  },

  plan(spec, inShape, ctx) {
    const planned = planBranches(spec, inShape, ctx);
    if (!planned) return null;
    const branches = planned.map((p) => p.nodes);
    const shapes = planned.map((p) => p.outShape);
    const full = shapes.reduce((a, b) => (sizeOf(b) > sizeOf(a) ? b : a));
    const broadcasts: Broadcast[] = [];
    for (const [k, shape] of shapes.entries()) {
      const broadcast = broadcastOf(shape, full);
      if (!broadcast) {
        const allowed = full.length === 3 ? `, or one value per channel: [${full[0]}, 1, 1] or [${full[0]}]` : full.length === 2 ? `, or one value per feature: [${full[1]}] or [1, ${full[1]}]` : '';
        return ctx.fail(`branch ${k} of the multiply at ${spec.path} gives ${describeShape(shape)}, which cannot multiply ${describeShape(full)} (the same shape${allowed})`);
      }
      broadcasts.push(broadcast);
    }
    return single(ctx.push({ op: 'multiply', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [...full], branches, broadcasts } satisfies MultiplyNode));
  },

  predict: predictMultiply,
  predictBackward: predictMultiplyBackward,

  forward(node, x, run) {
    const full = node.outShape;
    const per = sizeOf(full);
    const out = run.tensor(run.batch * per);
    out.fill(1);
    // Each branch's output is kept (copied) for the backward pass: dF_k needs every other factor.
    const saved: Float32Array[] = [];
    node.branches.forEach((branch, k) => {
      const y = branch.length === 0 ? x : run.forwardNodes(branch, x);
      saved.push(Float32Array.from(y));
      const size = y.length / run.batch;
      for (let b = 0; b < run.batch; b++) {
        for (let i = 0; i < per; i++) out[b * per + i] *= y[b * size + sourceIndex(node.broadcasts[k], full, i)];
      }
      if (y !== x) run.forwardDone(y);
    });
    run.record(node, { x, pre: out, out, saved }, LINEAR);
    return out;
  },

  backward(node, dy, tape, run) {
    const full = node.outShape;
    const per = sizeOf(full);
    const ys = tape.saved as Float32Array[];
    const dx = run.gradient(run.batch * sizeOf(node.inShape));
    dx.fill(0);
    node.branches.forEach((branch, k) => {
      const size = ys[k].length / run.batch;
      const part = new Float32Array(ys[k].length);
      for (let b = 0; b < run.batch; b++) {
        for (let i = 0; i < per; i++) {
          let g = dy[b * per + i];
          for (let j = 0; j < ys.length; j++) if (j !== k) g *= ys[j][b * (ys[j].length / run.batch) + sourceIndex(node.broadcasts[j], full, i)];
          part[b * size + sourceIndex(node.broadcasts[k], full, i)] += g;
        }
      }
      const g = branch.length === 0 ? part : run.backwardNodes(branch, part, true);
      for (let i = 0; i < dx.length; i++) dx[i] += g[i];
      if (g !== part) run.dropGradient(g);
    });
    return dx;
  },
  backwardReads: () => [],

  cost: (node, tally, batch) => { tally.keptFloats += batch * (sizeOf(node.outShape) + node.branches.length * sizeOf(node.outShape)); },
  outputActivation: () => null,
  subgraphs: (node) => node.branches,
  findings: { chain: 'link' },
};
