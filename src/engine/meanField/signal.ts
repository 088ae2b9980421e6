import { type Activation, canDie } from '../math/activation';
import { activationMoments } from '../math/activationMoments';
import { activationKernel } from '../math/activationKernel';
import { gaussianExpectation } from '../math/gaussHermite';
import { normalCdf } from '../math/gaussian';

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
  /** An attention layer's predicted logit std. */
  logitStd?: number;
  /** An output head's expected cross-entropy at init (ln(vocab) + Var(logit)/2 for small logits). */
  loss?: number;
}

/** Moments of a tensor's elements as the recursion carries them from layer to layer. */
export interface Signal {
  mean: number;
  /** E[x²] */
  second: number;
  /** Whether the elements are (jointly) Gaussian, i.e. came straight out of a linear map. */
  gaussian: boolean;
  /** Variance of a unit's batch mean around the global mean (randomness shared by the batch, per unit). */
  sharedVariance: number;
  /** Whether an approximation upstream already shaped these moments (it makes every later layer approximate). */
  approximate?: boolean;
  /**
   * For a sequence: E[x_t·x_t′], the cross-moment of one unit in two different tokens of a sample (undefined: the
   * tokens are independent, mean²). What attention averages over (Noci et al., 2022: tokens align with depth).
   */
  cross?: number;
}

/** E[x_t·x_t′] of two different tokens (mean² when they are independent). */
export function crossMoment(s: Signal): number {
  return s.cross ?? s.mean * s.mean;
}

/** Var x = E[x²] − (E x)², never negative. */
export function variance(s: Signal): number {
  return Math.max(0, s.second - s.mean * s.mean);
}

/** The prediction of a layer that passes its input's moments on (reshapes, dropout, pooling). */
export function passThrough(s: Signal, approximate: boolean): Omit<PredictedLayer, 'gradientStd'> {
  const std = Math.sqrt(variance(s));
  return { preActivationStd: std, activationMean: s.mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0, approximate };
}

/**
 * φ applied to a Gaussian N(μ, σ²): output moments, E[φ′²], saturated probability, and the probability that a
 * ReLU-family unit is dead for the whole batch, E_s[Φ(−s/σ_e)^B] with the shared part s ~ N(μ, σ²_shared) and the
 * per-sample part of variance σ_e² = σ² − σ²_shared (Poole et al., 2016, for the moments by Gauss–Hermite quadrature).
 * Given the covariance of two tokens' pre-activations (sequences), also their outputs' cross-moment
 * (`activationKernel`).
 */
export function nonlinearity(act: Activation, mu: number, preVariance: number, shared: number, batch: number, preCovariance?: number): { signal: Signal; derivativeSecond: number; saturated: number; dead: number } {
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
  const cross = preCovariance === undefined ? undefined : activationKernel(act, mu, preVariance, preCovariance);
  return {
    signal: { mean: m.mean, second: m.secondMoment, gaussian: linear, sharedVariance: linear ? shared : 0, ...(cross !== undefined ? { cross } : {}) },
    derivativeSecond: m.derivativeSecondMoment,
    saturated: m.saturatedProbability,
    dead,
  };
}
