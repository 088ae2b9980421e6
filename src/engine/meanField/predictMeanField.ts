import type { PredictContext } from '../graph/layerOp';
import type { Plan, PlanNode } from '../graph/plan';
import { nodeOp } from '../graph/registry';
import { compoundBounds } from './approximation';
import type { PredictedLayer, Signal } from './signal';

export type { PredictedLayer } from './signal';

/**
 * Predicts every layer's signal by the mean-field recursion (Poole et al., 2016; Schoenholz et al., 2017): each op
 * maps its input's moments (m, E[x²]) to its output's (`NodeOp.predict`; a dense or conv layer gives a Gaussian
 * pre-activation of variance q = σ_w²·E[x²] + σ_b² for zero-mean weights, then E[φ(z)], E[φ(z)²] by quadrature), and
 * the gradient variance goes back through each op's factor, Var(dx) = factor·Var(dy) (residual blocks sum their
 * branch and shortcut). An approximation anywhere marks every later layer approximate, and its bound compounds:
 * forward, an op's bound given its input's (default: the input's); backward, the gradient's bound at a layer's input
 * is (1 + bound at its output)·(1 + bound of its factor) − 1 (`compoundBounds`), a residual block's the larger of
 * its two paths'. Returns one entry per layer, indexed by execution order. O(layers).
 */
export function predictMeanField(plan: Plan, input: { mean: number; std: number; distribution: 'normal' | 'uniform' }): PredictedLayer[] {
  const predicted: PredictedLayer[] = new Array(plan.ordered.length);
  const factors: { backwardFactor: number; postDerivative: number }[] = new Array(plan.ordered.length);
  const inputBounds = new Float64Array(plan.ordered.length);
  const factorBounds = new Float64Array(plan.ordered.length);
  // The gradient bound an op's predictBackward is handed, and the largest bound the nested walks it calls returned.
  let handedBound = 0;
  let nestedBound = 0;
  const ctx: PredictContext = {
    batch: plan.batchSize,
    record(node, p, backwardFactor, postDerivative = 1) {
      // In the interface's order, so that every layer's JSON reads the same.
      predicted[node.index] = { preActivationStd: p.preActivationStd, activationMean: p.activationMean, activationStd: p.activationStd, gradientStd: NaN,
        chi: p.chi, saturatedFraction: p.saturatedFraction, deadFraction: p.deadFraction, approximate: p.approximate,
        approximateBy: p.approximateBy, gradientApproximateBy: p.gradientApproximateBy };
      factors[node.index] = { backwardFactor, postDerivative };
    },
    predictNodes(nodes, signal) {
      let s = signal;
      for (const node of nodes) {
        const upstream = s.approximate ?? false;
        const inBound = s.approximateBy ?? 0;
        inputBounds[node.index] = inBound;
        const op = nodeOp(node.op);
        let out = op.predict(node, s, ctx);
        const p = predicted[node.index];
        p.approximate ||= upstream;
        p.approximateBy ??= inBound;
        // A factor through φ′ or a normalization's 1/σ depends on the predicted input distribution; a linear map's does not.
        const act = op.outputActivation?.(node);
        const sensitive = (act !== undefined && act !== null && act.name !== 'linear') || op.findings.normalizes === true;
        factorBounds[node.index] = p.gradientApproximateBy ?? (sensitive ? inBound : 0);
        p.gradientApproximateBy = undefined;
        if (out !== s) {
          // A consumer may change this node's backward factor (a max pooling, the factor through φ′; a global average,
          // an overlapping pooling's): for an op with its own backward walk (a residual block), the derivative after its sum.
          const f = factors[node.index];
          const rescaleBackward = op.predictBackward ? (r: number): void => { f.postDerivative *= r; } : (r: number): void => { f.backwardFactor *= r; };
          out = { ...out, producer: out.producer === s.producer ? undefined : out.producer, rescaleBackward };
        }
        s = { ...out, approximate: p.approximate, approximateBy: p.approximateBy };
      }
      return s;
    },
    predictNode: (node, signal) => nodeOp(node.op).predict(node, signal, ctx),
    backwardNodes(nodes: PlanNode[], g: number): number {
      const saved = handedBound;
      let grad = g;
      let bound = handedBound;
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i];
        handedBound = bound;
        ctx.setGradientVariance(node, grad);
        const op = nodeOp(node.op);
        const through = compoundBounds(bound, factorBounds[node.index]);
        if (op.predictBackward) {
          handedBound = through;
          const outerNested = nestedBound;
          nestedBound = 0;
          grad = op.predictBackward(node, grad, ctx);
          bound = Math.max(through, nestedBound);
          nestedBound = outerNested;
        } else {
          grad *= factors[node.index].backwardFactor;
          bound = through;
        }
      }
      handedBound = saved;
      nestedBound = Math.max(nestedBound, bound);
      return grad;
    },
    setGradientVariance(node, g) {
      predicted[node.index].gradientStd = Math.sqrt(g);
      predicted[node.index].gradientApproximateBy = handedBound;
    },
    factors: (node) => factors[node.index],
  };
  const signal: Signal = { mean: input.mean, second: input.std ** 2 + input.mean ** 2, gaussian: input.distribution === 'normal', sharedVariance: 0 };
  ctx.predictNodes(plan.nodes, signal);
  ctx.backwardNodes(plan.nodes, 1);
  return predicted;
}
