import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import { crossMoment, type Signal, variance } from '../../meanField/signal';
import { pathsMarginal, sumBound } from '../../meanField/residualSum';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single, sizeOf } from '../plan';
import { planBranches, readBranches } from './branches';

export interface ParallelResidualSpec extends LayerSpec {
  type: 'parallel_residual';
  /** Every branch's layers, one list after the other (so that edits reach them as any nested list). */
  layers: LayerSpec[];
  /** How many of `layers` each branch has, in order. */
  branchSizes: number[];
}

export interface ParallelResidualNode extends PlanNode {
  op: 'parallel_residual';
  branches: PlanNode[][];
}

/**
 * `parallel_residual`: y = x + Σ_k F_k(x), the branches reading the same input (GPT-J; GPT-NeoX with
 * use_parallel_residual: x + attn(ln₁x) + mlp(ln₂x)). Backward dx = dy + Σ_k F_k′ᵀ·dy. Mean field: the branches'
 * variances add to the input's (zero-mean weights make the cross terms vanish), so each block adds ΔAttn + ΔMLP.
 */
export const parallelResidual: LayerOp<ParallelResidualSpec, ParallelResidualNode> = {
  type: 'parallel_residual',
  op: 'parallel_residual',
  keys: ['branches'],
  schema: {
    description: 'A parallel residual block: output = x + F₁(x) + F₂(x) + …, each Fₖ a list of layers (GPT-J, GPT-NeoX).',
    properties: {
      branches: { type: 'array', description: 'The branches, each an array of layers that keeps the shape.', minItems: 1,
        items: { type: 'array', items: { $ref: '#/definitions/layer' }, minItems: 1 } },
    },
    required: ['branches'],
  },

  parse(ctx) {
    const branches = readBranches(ctx, 'the parallel residual', { minBranches: 1, emptyBranch: false });
    return branches ? { type: 'parallel_residual', path: ctx.path, name: ctx.name, ...branches } : undefined;
  },

  plan(spec, inShape, ctx) {
    const planned = planBranches(spec, inShape, ctx, ({ outShape }, k) => {
      if (describeShape(outShape) === describeShape(inShape)) return true;
      ctx.fail(`branch ${k} of the parallel residual at ${spec.path} maps ${describeShape(inShape)} to ${describeShape(outShape)}; every branch must keep the shape`);
      return false;
    });
    if (!planned) return null;
    const branches = planned.map((p) => p.nodes);
    return single(ctx.push({ op: 'parallel_residual', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: inShape, branches } satisfies ParallelResidualNode));
  },

  predict(node, s, ctx) {
    let mean = s.mean;
    let v = variance(s);
    let shared = s.sharedVariance;
    // Cross-moments of two tokens add over the paths, with the products of their means (independent at init).
    let cross = crossMoment(s);
    const paths: Signal[] = [s];
    for (const branch of node.branches) {
      const out = ctx.predictNodes(branch, s);
      paths.push(out);
      cross += crossMoment(out) + 2 * mean * out.mean;
      mean += out.mean;
      v += variance(out);
      shared += out.sharedVariance;
    }
    const std = Math.sqrt(v);
    ctx.record(node, { preActivationStd: std, activationMean: mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0, approximate: false,
      approximateBy: sumBound(paths) }, 1);
    const marginal = pathsMarginal(paths);
    return { mean, second: v + mean * mean, gaussian: false, sharedVariance: shared, cross, ...(marginal ? { marginal } : {}) };
  },

  predictBackward(node, g, ctx) {
    let total = g;
    for (const branch of node.branches) total += ctx.backwardNodes(branch, g);
    return total;
  },

  forward(node, x, run) {
    const out = run.tensor(x.length);
    out.set(x);
    for (const branch of node.branches) {
      const y = run.forwardNodes(branch, x);
      for (let i = 0; i < out.length; i++) out[i] += y[i];
      if (y !== x) run.forwardDone(y);
    }
    run.record(node, { x, pre: out, out }, LINEAR);
    return out;
  },

  backward(node, dy, _tape, run) {
    const dx = run.gradient(dy.length);
    dx.set(dy);
    for (const branch of node.branches) {
      const g = run.backwardNodes(branch, dy, true);
      for (let i = 0; i < dx.length; i++) dx[i] += g[i];
      if (g !== dy) run.dropGradient(g);
    }
    return dx;
  },
  backwardReads: () => [],

  cost: (node, tally, batch) => { tally.keptFloats += batch * sizeOf(node.outShape); },
  outputActivation: () => null,
  subgraphs: (node) => node.branches,
  findings: { chain: 'link' },
};
