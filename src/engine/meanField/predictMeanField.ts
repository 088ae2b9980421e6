import type { PredictContext } from '../graph/layerOp';
import type { Plan, PlanNode } from '../graph/plan';
import { nodeOp } from '../graph/registry';
import type { PredictedLayer, Signal } from './signal';

export type { PredictedLayer } from './signal';

/**
 * Predicts every layer's signal by the mean-field recursion (Poole et al., 2016; Schoenholz et al., 2017): each op
 * maps its input's moments (m, E[x²]) to its output's (`NodeOp.predict`; a dense or conv layer gives a Gaussian
 * pre-activation of variance q = σ_w²·E[x²] + σ_b² for zero-mean weights, then E[φ(z)], E[φ(z)²] by quadrature), and
 * the gradient variance goes back through each op's factor, Var(dx) = factor·Var(dy) (residual blocks sum their
 * branch and shortcut). An approximation anywhere marks every later layer approximate. Returns one entry per layer,
 * indexed by execution order. O(layers).
 */
export function predictMeanField(plan: Plan, input: { mean: number; std: number; distribution: 'normal' | 'uniform' }): PredictedLayer[] {
  const predicted: PredictedLayer[] = new Array(plan.ordered.length);
  const factors: { backwardFactor: number; postDerivative: number }[] = new Array(plan.ordered.length);
  const ctx: PredictContext = {
    batch: plan.batchSize,
    record(node, p, backwardFactor, postDerivative = 1) {
      // In the interface's order, so that every layer's JSON reads the same.
      predicted[node.index] = { preActivationStd: p.preActivationStd, activationMean: p.activationMean, activationStd: p.activationStd, gradientStd: NaN,
        chi: p.chi, saturatedFraction: p.saturatedFraction, deadFraction: p.deadFraction, approximate: p.approximate,
        ...(p.logitStd !== undefined ? { logitStd: p.logitStd } : {}), ...(p.loss !== undefined ? { loss: p.loss } : {}) };
      factors[node.index] = { backwardFactor, postDerivative };
    },
    predictNodes(nodes, signal) {
      let s = signal;
      for (const node of nodes) {
        const upstream = s.approximate ?? false;
        s = nodeOp(node.op).predict(node, s, ctx);
        const p = predicted[node.index];
        p.approximate ||= upstream;
        s = { ...s, approximate: p.approximate };
      }
      return s;
    },
    predictNode: (node, signal) => nodeOp(node.op).predict(node, signal, ctx),
    backwardNodes(nodes: PlanNode[], g: number): number {
      let grad = g;
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i];
        ctx.setGradientVariance(node, grad);
        const op = nodeOp(node.op);
        grad = op.predictBackward ? op.predictBackward(node, grad, ctx) : grad * factors[node.index].backwardFactor;
      }
      return grad;
    },
    setGradientVariance(node, g) { predicted[node.index].gradientStd = Math.sqrt(g); },
    factors: (node) => factors[node.index],
  };
  const signal: Signal = { mean: input.mean, second: input.std ** 2 + input.mean ** 2, gaussian: input.distribution === 'normal', sharedVariance: 0 };
  ctx.predictNodes(plan.nodes, signal);
  ctx.backwardNodes(plan.nodes, 1);
  return predicted;
}
