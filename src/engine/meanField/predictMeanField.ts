import { type Activation, canDie } from '../math/activation';
import { activationMoments } from '../math/activationMoments';
import { gaussianExpectation } from '../math/gaussHermite';
import { normalCdf } from '../math/gaussian';
import type { ConvGeometry } from '../backend/computeBackend';
import type { Plan, PlanNode, WeightNode } from '../graph/plan';

/** The mean-field prediction for one layer. */
export interface PredictedLayer {
  /** √q: predicted std of the pre-activation (or of the layer's output before its nonlinearity). */
  preActivationStd: number;
  activationMean: number;
  activationStd: number;
  /** Predicted std of the gradient with respect to the layer's output, for unit-variance noise at the output. */
  gradientStd: number;
  /** χ₁ = σ_w²·E[φ′(z)²] with σ_w² = fanIn·Var(W); null for layers without weights. */
  chi: number | null;
  saturatedFraction: number;
  deadFraction: number;
  /** True where an assumption of the recursion breaks (pooling, non-zero weight mean, non-Gaussian input). */
  approximate: boolean;
}

/** Moments of a tensor's elements as the recursion carries them. */
interface Signal {
  mean: number;
  /** E[x²] */
  second: number;
  /** Whether the elements are (jointly) Gaussian, i.e. came straight out of a linear map. */
  gaussian: boolean;
  /** Variance of a unit's batch mean around the global mean (randomness shared by the batch, per unit). */
  sharedVariance: number;
  /** Whether an approximation upstream already shaped these moments (it makes every later layer approximate). */
  approximate?: boolean;
}

interface Forward {
  /** Var(dx) = factor·Var(dy) for layers other than residual blocks. */
  backwardFactor: number;
  /** For residual blocks: E[φ′(sum)²] of the post-add activation. */
  postDerivative: number;
}

/**
 * Predicts every layer's signal by the mean-field recursion (Poole et al., 2016; Schoenholz et al., 2017):
 * a dense or conv layer maps input moments (m, E[x²]) to a Gaussian pre-activation with mean fanIn·μ_w·m + μ_b and
 * variance q = fanIn·(σ²_W·E[x²] + μ_w²·Var x) + σ²_b (σ_w² = fanIn·Var(W), so q = σ_w²·E[x²] + σ_b² for zero-mean
 * weights), then E[φ(z)], E[φ(z)²] by quadrature. Backward, Var(dx) = fanOut·E[W²]·E[φ′(z)²]·Var(dy).
 * Batchnorm and layernorm reset the moments to (0, 1); residual blocks add the variances of shortcut and branch
 * (the cross term vanishes in expectation over zero-mean weights); pooling is approximate. Conv fans count only the
 * kernel taps inside the zero-padded image. Returns one entry per layer, indexed by execution order. O(layers).
 */
export function predictMeanField(plan: Plan, input: { mean: number; std: number; distribution: 'normal' | 'uniform' }): PredictedLayer[] {
  const predicted: PredictedLayer[] = new Array(plan.ordered.length);
  const forward: Forward[] = new Array(plan.ordered.length);
  const signal: Signal = { mean: input.mean, second: input.std ** 2 + input.mean ** 2, gaussian: input.distribution === 'normal', sharedVariance: 0 };
  forwardNodes(plan.nodes, signal, plan.batchSize, predicted, forward);
  backwardNodes(plan.nodes, 1, predicted, forward);
  return predicted;
}

function forwardNodes(nodes: PlanNode[], signal: Signal, batch: number, predicted: PredictedLayer[], forward: Forward[]): Signal {
  let s = signal;
  for (const node of nodes) {
    const upstream = s.approximate ?? false;
    s = forwardNode(node, s, batch, predicted, forward);
    const p = predicted[node.index];
    p.approximate ||= upstream;
    s = { ...s, approximate: p.approximate };
  }
  return s;
}

function variance(s: Signal): number {
  return Math.max(0, s.second - s.mean * s.mean);
}

function forwardNode(node: PlanNode, s: Signal, batch: number, predicted: PredictedLayer[], forward: Forward[]): Signal {
  const record = (p: Omit<PredictedLayer, 'gradientStd'>, backwardFactor: number, postDerivative = 1): void => {
    predicted[node.index] = { ...p, gradientStd: NaN };
    forward[node.index] = { backwardFactor, postDerivative };
  };
  switch (node.op) {
    case 'dense':
    case 'conv2d':
      return forwardWeight(node, s, batch, predicted, forward);
    case 'activation': {
      const out = nonlinearity(node.activation, s.mean, variance(s), s.sharedVariance, batch);
      record({ preActivationStd: Math.sqrt(variance(s)), activationMean: out.signal.mean, activationStd: Math.sqrt(variance(out.signal)), chi: null,
        saturatedFraction: out.saturated, deadFraction: out.dead, approximate: !s.gaussian && node.activation.name !== 'linear' }, out.derivativeSecond);
      return out.signal;
    }
    case 'batchnorm':
    case 'layernorm': {
      const v = variance(s);
      record({ preActivationStd: 1, activationMean: 0, activationStd: Math.sqrt(v / (v + node.eps)), chi: null, saturatedFraction: 0, deadFraction: 0, approximate: false }, 1 / (v + node.eps));
      return { mean: 0, second: v / (v + node.eps), gaussian: s.gaussian, sharedVariance: 0 };
    }
    case 'flatten':
      record(passThrough(s, false), 1);
      return s;
    case 'dropout': {
      const keep = 1 - node.rate;
      const out: Signal = { mean: s.mean, second: s.second / keep, gaussian: s.gaussian && node.rate === 0, sharedVariance: s.sharedVariance };
      record(passThrough(out, false), 1 / keep);
      return out;
    }
    case 'avgpool2d':
    case 'maxpool2d':
    case 'global_avg_pool': {
      const window = node.op === 'global_avg_pool' ? node.inShape[1] * node.inShape[2] : node.size[0] * node.size[1];
      const overlap = node.op === 'global_avg_pool' ? 1 : (node.size[0] / node.stride[0]) * (node.size[1] / node.stride[1]);
      // Averaging treats the window's elements as independent; max pooling keeps the moments. Both are approximate.
      const out: Signal = node.op === 'maxpool2d' ? { ...s, gaussian: false }
        : { mean: s.mean, second: variance(s) / window + s.mean * s.mean, gaussian: s.gaussian, sharedVariance: s.sharedVariance };
      record(passThrough(out, true), node.op === 'maxpool2d' ? overlap / window : overlap / (window * window));
      return out;
    }
    case 'residual': {
      const branch = forwardNodes(node.branch, s, batch, predicted, forward);
      const shortcut = node.shortcut ? forwardWeight(node.shortcut, s, batch, predicted, forward) : s;
      const mean = shortcut.mean + branch.mean;
      const sumVariance = variance(shortcut) + variance(branch);
      const gaussian = shortcut.gaussian && branch.gaussian;
      const out = nonlinearity(node.activation, mean, sumVariance, shortcut.sharedVariance + branch.sharedVariance, batch);
      record({ preActivationStd: Math.sqrt(sumVariance), activationMean: out.signal.mean, activationStd: Math.sqrt(variance(out.signal)), chi: null,
        saturatedFraction: out.saturated, deadFraction: out.dead, approximate: !gaussian && node.activation.name !== 'linear' }, 1, out.derivativeSecond);
      return node.activation.name === 'linear' ? { ...out.signal, gaussian } : out.signal;
    }
  }
}

function passThrough(s: Signal, approximate: boolean): Omit<PredictedLayer, 'gradientStd'> {
  const std = Math.sqrt(variance(s));
  return { preActivationStd: std, activationMean: s.mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0, approximate };
}

/** The fraction of a conv kernel's taps that fall inside the image, averaged over output positions (1 for dense). */
export function insideTapFraction(g: ConvGeometry | undefined): number {
  if (!g) return 1;
  const along = (out: number, kernel: number, stride: number, pad: number, size: number): number => {
    let inside = 0;
    for (let o = 0; o < out; o++) {
      for (let k = 0; k < kernel; k++) {
        const p = o * stride + k - pad;
        if (p >= 0 && p < size) inside++;
      }
    }
    return inside / (out * kernel);
  };
  return along(g.outHeight, g.kernelHeight, g.strideHeight, g.padTop, g.height) * along(g.outWidth, g.kernelWidth, g.strideWidth, g.padLeft, g.width);
}

function forwardWeight(node: WeightNode, s: Signal, batch: number, predicted: PredictedLayer[], forward: Forward[]): Signal {
  const inside = insideTapFraction(node.geometry);
  const fanIn = node.fanIn * inside;
  const wVar = node.init.std ** 2;
  const wMean = node.init.mean;
  const bVar = node.bias ? node.bias.std ** 2 : 0;
  const bMean = node.bias ? node.bias.mean : 0;
  const inVar = variance(s);
  const preMean = fanIn * wMean * s.mean + bMean;
  const preVariance = fanIn * (wVar * s.second + wMean * wMean * inVar) + bVar;
  // Randomness shared by the batch for one unit: its weights times the input's per-unit batch means, and its bias.
  const shared = Math.min(preVariance, fanIn * wVar * (s.mean * s.mean + s.sharedVariance) + bVar);
  const out = nonlinearity(node.activation, preMean, preVariance, shared, batch);
  const stride = node.geometry ? node.geometry.strideHeight * node.geometry.strideWidth : 1;
  const fanOut = (node.fanOut * inside) / stride;
  predicted[node.index] = {
    preActivationStd: Math.sqrt(preVariance),
    activationMean: out.signal.mean,
    activationStd: Math.sqrt(variance(out.signal)),
    gradientStd: NaN,
    chi: node.fanIn * wVar * out.derivativeSecond,
    saturatedFraction: out.saturated,
    deadFraction: out.dead,
    approximate: wMean !== 0 || stride > 1,
  };
  forward[node.index] = { backwardFactor: fanOut * (wVar + wMean * wMean) * out.derivativeSecond, postDerivative: 1 };
  return node.activation.name === 'linear' ? { mean: preMean, second: preVariance + preMean * preMean, gaussian: true, sharedVariance: shared } : out.signal;
}

/**
 * φ applied to a Gaussian N(μ, σ²): output moments, E[φ′²], saturated probability, and the probability that a
 * ReLU-family unit is dead for the whole batch, E_s[Φ(−s/σ_e)^B] with the shared part s ~ N(μ, σ²_shared) and the
 * per-sample part of variance σ_e² = σ² − σ²_shared.
 */
function nonlinearity(act: Activation, mu: number, preVariance: number, shared: number, batch: number): { signal: Signal; derivativeSecond: number; saturated: number; dead: number } {
  const sigma = Math.sqrt(preVariance);
  const m = activationMoments(act, mu, sigma);
  let dead = 0;
  if (canDie(act.name)) {
    const individual = Math.sqrt(Math.max(0, preVariance - shared));
    dead = individual === 0
      ? (Math.sqrt(shared) === 0 ? (mu <= 0 ? 1 : 0) : normalCdf(-mu / Math.sqrt(shared)))
      : gaussianExpectation((u) => normalCdf(-u / individual) ** batch, mu, Math.sqrt(shared));
  }
  const linear = act.name === 'linear';
  return {
    signal: { mean: m.mean, second: m.secondMoment, gaussian: linear, sharedVariance: linear ? shared : 0 },
    derivativeSecond: m.derivativeSecondMoment,
    saturated: m.saturatedProbability,
    dead,
  };
}

/** Walks the layers backwards from gradient variance `g` at their output; returns the variance at their input. */
function backwardNodes(nodes: PlanNode[], g: number, predicted: PredictedLayer[], forward: Forward[]): number {
  let grad = g;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    predicted[node.index].gradientStd = Math.sqrt(grad);
    if (node.op === 'residual') {
      const sum = grad * forward[node.index].postDerivative;
      const throughBranch = backwardNodes(node.branch, sum, predicted, forward);
      let throughShortcut = sum;
      if (node.shortcut) {
        predicted[node.shortcut.index].gradientStd = Math.sqrt(sum);
        throughShortcut = sum * forward[node.shortcut.index].backwardFactor;
      }
      grad = throughBranch + throughShortcut;
    } else {
      grad *= forward[node.index].backwardFactor;
    }
  }
  return grad;
}
