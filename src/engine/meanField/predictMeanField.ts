import type { PredictContext } from '../graph/layerOp';
import { type Plan, type PlanNode, sizeOf } from '../graph/plan';
import { nodeOp } from '../graph/registry';
import { isWeightNode } from '../graph/ops/weightLayer';
import { insideTapFraction } from '../graph/ops/conv2d';
import { compoundBounds, EXACT_WITHIN, momentsBound, sampleSumVariance, summedVarianceBound, weightLayerBound } from './approximation';
import { backwardScatter, forwardScatter, type ScatterNode, scatterBound, unitsAndPositions } from './finiteSize';
import type { PredictedLayer, Signal } from './signal';

export type { PredictedLayer } from './signal';

/** A gradient's bound from the recursion's approximations and its finite-size scatter (relative variance). */
interface GradientError {
  bound: number;
  scatter: number;
}

/**
 * Predicts every layer's signal by the mean-field recursion (Poole et al., 2016; Schoenholz et al., 2017): each op
 * maps its input's moments (m, E[x²]) to its output's (`NodeOp.predict`; a dense or conv layer gives a Gaussian
 * pre-activation of variance q = σ_w²·E[x²] + σ_b² for zero-mean weights, then E[φ(z)], E[φ(z)²] by quadrature), and
 * the gradient variance goes back through each op's factor, Var(dx) = factor·Var(dy) (residual blocks sum their
 * branch and shortcut).
 *
 * How far a sampled run may be from it, per layer: the recursion's own approximations compound — forward, an op's
 * bound given its input's (default: the input's; an op that marks itself approximate without one makes it unknown),
 * backward, (1 + bound at a layer's output)·(1 + bound of its factor) − 1 (`compoundBounds`), a residual block's the
 * larger of its two paths' — and the finite-size scatter of one run adds (`finiteSize.ts`, 3σ). Where window
 * poolings meet dependent elements, the recursion runs twice, with independent and with fully correlated windows,
 * and each layer's bounds widen by the distance between the two (`widenByScenario`). A layer whose bound for its
 * output or its gradient passes 10% is approximate. Returns one entry per layer, indexed by execution order.
 * O(layers).
 */
export function predictMeanField(plan: Plan, input: { mean: number; std: number; distribution: 'normal' | 'uniform' }): PredictedLayer[] {
  const { predicted, dependentWindows } = walkMeanField(plan, input, 'independent');
  if (dependentWindows) widenByScenario(predicted, walkMeanField(plan, input, 'correlated').predicted);
  for (const p of predicted) {
    // Approximate: a sampled run may be off by more than 10% (or by an unknown amount) in its output or its gradient.
    p.approximate = !(p.approximateBy! <= EXACT_WITHIN) || !(p.gradientApproximateBy! <= EXACT_WITHIN);
    // Unknown bounds (NaN) read as null in the report's JSON.
    if (Number.isNaN(p.approximateBy)) p.approximateBy = null;
    if (Number.isNaN(p.gradientApproximateBy)) p.gradientApproximateBy = null;
  }
  return predicted;
}

/**
 * Widens every layer's bounds by the distance between its predictions in two scenarios of the window poolings of
 * dependent elements, independent and fully correlated windows (`PredictContext.windows`): positively dependent
 * elements give a max or an average between the two (`poolMeanField.ts`), and so, taken monotone, every layer after
 * them and every gradient through them. Forward `momentsBound` of the two predictions; the gradient
 * max(g₁/g₂, g₂/g₁) − 1; each compounded with the layer's own bound.
 */
function widenByScenario(predicted: PredictedLayer[], correlated: PredictedLayer[]): void {
  predicted.forEach((p, i) => {
    const q = correlated[i];
    const forward = momentsBound({ mean: p.activationMean, std: p.activationStd }, { mean: q.activationMean, std: q.activationStd });
    const low = Math.min(p.gradientStd, q.gradientStd), high = Math.max(p.gradientStd, q.gradientStd);
    const gradient = high === low ? 0 : low > 0 ? high / low - 1 : NaN;
    p.approximateBy = compoundBounds(p.approximateBy!, Number.isFinite(forward) ? forward : NaN);
    p.gradientApproximateBy = compoundBounds(p.gradientApproximateBy!, gradient);
  });
}

/** One walk of the recursion, forward then backward, with window poolings of dependent elements as `windows` says; its bounds as numbers (NaN: unknown). */
function walkMeanField(plan: Plan, input: { mean: number; std: number; distribution: 'normal' | 'uniform' }, windows: PredictContext['windows']): { predicted: PredictedLayer[]; dependentWindows: boolean } {
  const count = plan.ordered.length;
  let dependentWindows = false;
  const predicted: PredictedLayer[] = new Array(count);
  const factors: { backwardFactor: number; postDerivative: number }[] = new Array(count);
  const factorBounds = new Float64Array(count);
  const inputScatters = new Float64Array(count);
  const scatterNodes: ScatterNode[] = new Array(count);
  // The gradient error an op's predictBackward is handed, and the largest one the nested walks it calls returned.
  let handed: GradientError = { bound: 0, scatter: 0 };
  let nested: GradientError = { bound: 0, scatter: 0 };
  // The gradient variances the nested walks of the op being walked returned, with their bounds (summedVarianceBound).
  let walks: { variance: number; bound: number }[] | undefined;
  const ctx: PredictContext = {
    batch: plan.batchSize,
    record(node, p, backwardFactor, postDerivative = 1) {
      // In the interface's order, so that every layer's JSON reads the same.
      predicted[node.index] = { preActivationStd: p.preActivationStd, activationMean: p.activationMean, activationStd: p.activationStd, gradientStd: NaN,
        chi: p.chi, saturatedFraction: p.saturatedFraction, deadFraction: p.deadFraction, approximate: p.approximate,
        approximateBy: p.approximateBy, gradientApproximateBy: p.gradientApproximateBy,
        ...(p.logitStd !== undefined ? { logitStd: p.logitStd } : {}), ...(p.loss !== undefined ? { loss: p.loss } : {}) };
      factors[node.index] = { backwardFactor, postDerivative };
    },
    predictNodes(nodes, signal) {
      let s = signal;
      for (const node of nodes) s = predictOne(node, s);
      return s;
    },
    predictNode: (node, signal) => predictOne(node, signal),
    backwardNodes(nodes: PlanNode[], g: number): number {
      const saved = handed;
      let grad = g;
      let error = handed;
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i];
        handed = error;
        ctx.setGradientVariance(node, grad);
        const op = nodeOp(node.op);
        const through: GradientError = {
          bound: compoundBounds(error.bound, factorBounds[node.index]),
          scatter: error.scatter + backwardScatter(scatterNodes[node.index] ?? { inShape: node.inShape, outShape: node.outShape, normalizes: false }, inputScatters[node.index], plan.batchSize),
        };
        if (op.predictBackward) {
          handed = through;
          const outer = nested, outerWalks = walks;
          nested = { bound: 0, scatter: 0 };
          walks = [];
          grad = op.predictBackward(node, grad, ctx);
          // The parts weighed by the gradient each carries; the largest bound where they are not a sum.
          const summed = summedVarianceBound(grad, through.bound, walks);
          error = { bound: summed ?? Math.max(through.bound, nested.bound), scatter: Math.max(through.scatter, nested.scatter) };
          nested = outer;
          walks = outerWalks;
        } else {
          grad *= factors[node.index].backwardFactor;
          error = through;
        }
      }
      handed = saved;
      nested = { bound: Math.max(nested.bound, error.bound), scatter: Math.max(nested.scatter, error.scatter) };
      walks?.push({ variance: grad, bound: error.bound });
      return grad;
    },
    setGradientVariance(node, g) {
      const p = predicted[node.index];
      p.gradientStd = Math.sqrt(g);
      p.gradientApproximateBy = compoundBounds(handed.bound, scatterBound(handed.scatter));
    },
    factors: (node) => factors[node.index],
    windows,
    dependentWindows() { dependentWindows = true; },
  };
  /** Predicts one node from its input signal, with the walker's bookkeeping: bounds, scatter, the backward handles. */
  function predictOne(node: PlanNode, s: Signal): Signal {
    const inBound = s.approximateBy ?? 0;
    const op = nodeOp(node.op);
    let out = op.predict(node, s, ctx);
    const p = predicted[node.index];
    // An op that marks itself approximate without saying by how much leaves the bound unknown; a weight layer's is
    // known (weightLayerBound) until predictWeightLayer records it itself.
    const weight = isWeightNode(node) ? node : undefined;
    const flagged = p.approximate;
    const ownWeight = weight && flagged && p.approximateBy === undefined ? weightLayerBound(weight, s, weight.geometry ? insideTapFraction(weight.geometry) : 1) : undefined;
    const bound = p.approximateBy ?? (ownWeight !== undefined ? compoundBounds(inBound, ownWeight) : flagged ? NaN : inBound);
    const act = op.outputActivation?.(node);
    const nonlinear = act !== undefined && act !== null && act.name !== 'linear';
    // A factor through φ′ or a normalization's 1/σ depends on the predicted input distribution; a linear map's does not.
    factorBounds[node.index] = p.gradientApproximateBy ?? (flagged && ownWeight === undefined ? NaN : nonlinear || op.findings.normalizes === true ? inBound : 0);
    const producer = out !== s && out.producer !== s.producer ? out.producer : undefined;
    const scatterNode: ScatterNode = {
      inShape: node.inShape, outShape: node.outShape, normalizes: op.findings.normalizes === true,
      weight: weight ? { fanIn: weight.fanIn, fanOut: weight.fanOut } : undefined,
      projections: weight ? undefined : projectionsOf(op, node, plan.batchSize),
      derivativeOf: producer && nonlinear ? { activation: producer.activation, pre: producer.pre } : undefined,
    };
    scatterNodes[node.index] = scatterNode;
    inputScatters[node.index] = s.scatter ?? 0;
    const { scatter, meanScatter } = forwardScatter(scatterNode, s, out, { scatter: s.scatter ?? 0, meanScatter: s.meanScatter ?? 0 }, plan.batchSize);
    p.approximateBy = compoundBounds(bound, scatterBound(scatter, meanScatter));
    p.gradientApproximateBy = undefined;
    if (out !== s) {
      // A consumer may change this node's backward factor (a max pooling, the factor through φ′; a global average,
      // an overlapping pooling's): for an op with its own backward walk (a residual block), the derivative after its sum.
      const f = factors[node.index];
      const rescaleBackward = op.predictBackward ? (r: number): void => { f.postDerivative *= r; } : (r: number): void => { f.backwardFactor *= r; };
      const ratio = out.uniformGradientRatio;
      const uniformGradient = ratio === undefined ? out.uniformGradient : (direct: boolean): void => {
        rescaleBackward(ratio);
        if (!direct) factorBounds[node.index] = compoundBounds(factorBounds[node.index], Math.sqrt(Math.max(ratio, 1 / ratio)) - 1);
      };
      out = { ...out, producer, rescaleBackward, uniformGradient };
    }
    // Units share a common part after a non-zero weight mean or a constant init; zero-mean random weights mix it away.
    const correlatedUnits = weight ? weight.init.mean !== 0 || weight.init.std === 0 : s.correlatedUnits;
    const sumVariance = weight && correlatedUnits ? sampleSumVariance(weight, s) : weight ? undefined : s.sampleSumVariance;
    return { ...out, approximateBy: bound, scatter, meanScatter, correlatedUnits, sampleSumVariance: sumVariance };
  }
  // The input batch's own mean scatters by 1/√N stds.
  const signal: Signal = { mean: input.mean, second: input.std ** 2 + input.mean ** 2, gaussian: input.distribution === 'normal', sharedVariance: 0,
    meanScatter: 1 / Math.sqrt(plan.batchSize * sizeOf(plan.inputShape)) };
  ctx.predictNodes(plan.nodes, signal);
  // The noise at the output is N(0, 1): its variance over the batch's elements scatters by 2/N.
  const last = plan.nodes[plan.nodes.length - 1];
  const { units, positions } = unitsAndPositions(last.outShape);
  handed = { bound: 0, scatter: 2 / (plan.batchSize * units * positions) };
  ctx.backwardNodes(plan.nodes, 1);
  return { predicted, dependentWindows };
}

/**
 * Whether an op that is not one weight layer multiplies by weights of its own (its cost counts GEMM FLOPs: attention,
 * a gated MLP; not a lookup table or a sum), and then 2 (an input and an output projection in a row), for the
 * finite-size scatter (`finiteSize.ts`); undefined otherwise, and for ops with nested layers (they are walked).
 */
function projectionsOf(op: ReturnType<typeof nodeOp>, node: PlanNode, batch: number): number | undefined {
  if (!op.cost || op.subgraphs) return undefined;
  const tally = { gemmFlops: 0, initFlops: 0, weightCount: 0, largestWeight: 0, keptFloats: 0, largestCols: 0 };
  op.cost(node, tally, batch);
  return tally.gemmFlops > 0 && tally.weightCount > 0 ? 2 : undefined;
}
