import { type Activation, canDie } from '../math/activation';
import { activationMoments } from '../math/activationMoments';
import { activationKernel } from '../math/activationKernel';
import { normalCdf } from '../math/gaussian';
import { lawMarginal, type Marginal } from './marginal';
import { activationLaw, deadProbability, derivativeSecondMoment, type ElementLaw, gaussianLaw, isMonotone, lawMoments, sharedVarianceAfter, unitOffsetRule } from './elementLaw';

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
  /**
   * True where the prediction is not claimed within 10% of a sampled run: an assumption of the recursion breaks here
   * or upstream, or the layers are small enough for one seed's draw to move the statistics by more than that.
   */
  approximate: boolean;
  /** An attention layer's predicted logit std. */
  logitStd?: number;
  /** An output head's expected cross-entropy at init (ln(vocab) + Var(logit)/2 for small logits). */
  loss?: number;
  /**
   * How far the output mean and std of a sampled run may be from the prediction, relative (0.25: by 25%; the mean
   * relative to the std). When an op records, the bound of its output given its input's (`Signal.approximateBy`);
   * left out, the walker takes the input's. Always set in the walker's result, with the finite-size scatter of one
   * run included (`finiteSize.ts`); null when unknown (an approximation without a bound upstream).
   */
  approximateBy?: number | null;
  /**
   * How far the gradient std of a sampled run may be from the prediction, relative. When an op records, the bound of
   * its own backward factor Var(dx)/Var(dy) in std (left out: the input's bound for a factor through φ′ or a
   * normalization, else 0); in the walker's result, that compounded over every layer downstream.
   */
  gradientApproximateBy?: number | null;
}

/** A nonlinearity's input: the output is φ(z), z of law `pre`. */
export interface Producer {
  activation: Activation;
  pre: ElementLaw;
}

/** Moments of a tensor's elements as the recursion carries them from layer to layer. */
export interface Signal {
  mean: number;
  /** E[x²] */
  second: number;
  /** Whether the elements are (jointly) Gaussian, i.e. came straight out of a linear map. */
  gaussian: boolean;
  /**
   * Variance of a unit's mean around the global mean: randomness shared by all of a unit's elements (a dense unit
   * over the batch, a conv channel over the batch and every position), from its weights' draw.
   */
  sharedVariance: number;
  /** The relative bound of these moments so far from the recursion's own approximations (NaN: unknown). */
  approximateBy?: number;
  /**
   * Whether different units of one sample share a common part (a weight layer with a non-zero weight mean or a
   * constant init adds the same μ·Σx to all of them), which a later non-zero weight mean sums coherently. Set by the
   * walker.
   */
  correlatedUnits?: boolean;
  /** Var over the batch of Σ of one sample's elements, where units are correlated and it is known (`sampleSumVariance`). */
  sampleSumVariance?: number;
  /** Relative variance of the variance of one sampled run around these moments, from finite widths (`finiteSize.ts`). */
  scatter?: number;
  /** The std of one sampled run's mean around this mean, relative to the std (`finiteSize.ts`). */
  meanScatter?: number;
  /** The elements' law where it is known exactly (see `elementLaw.ts`); Gaussian signals have it implicitly. */
  law?: ElementLaw;
  /**
   * Where no `law` is known, the marginal law of one element as a mixture (`marginal.ts`): a product of independent
   * branches, a sum of a law and an independent Gaussian. What a normalization reads of its groups.
   */
  marginal?: Marginal;
  /**
   * The variance over units of the correlation between the own parts of two elements of one unit at spatial lag
   * (dy, dx): a conv's filter, drawn once, correlates neighbouring outputs by Σ W_k·W_{k+δ}/Σ W², zero on average but
   * not for one filter (`convLagCorrelationVariance`). Elementwise ops and per-unit normalizations keep it; a max
   * pooling turns it into per-unit offsets.
   */
  lagCorrelationVariance?(dy: number, dx: number): number;
  /** Set on a nonlinearity's output: what it applied to what (a max pooling after it needs E[φ′²] at window maxima). */
  producer?: Producer;
  /**
   * Multiplies the backward factor of the node that produced this signal (for a nonlinearity, the factor through
   * φ′): a consumer that routes the gradient to particular elements changes it. Set by the walker.
   */
  rescaleBackward?(ratio: number): void;
  /**
   * Set by a pooling with overlapping windows, or with windows clipped at the edges: E_s Var(mean of a channel's
   * positions | s), the within-unit variance of a global average of this tensor, since neighbouring elements are
   * correlated, or differ in mean from the edge to the middle (else (Var − shared)/positions).
   */
  channelAverageVariance?: number;
  /**
   * Set by a window pooling whose outputs depend on their neighbours', kept by elementwise ops and normalizations:
   * `edges` where windows clipped at the edges (padding "same") leave a mixture over positions (edge windows pool
   * fewer inputs) whose neighbours come from alike windows; `correlated` where neighbours share inputs (overlapping
   * windows, or any window pooling of a correlated signal). A later window pooling groups neighbouring elements, not
   * independent ones, and a global average sums correlated ones: their predictions for independent elements are then
   * bounded by the fully correlated case (`poolMeanField.ts`).
   */
  dependentNeighbours?: 'edges' | 'correlated';
  /**
   * Set by a pooling with overlapping windows (or a max pooling with windows clipped at the edges), or a multiply with
   * a broadcast branch: the ratio of its backward factor when the gradient coming back is the same at every position of
   * a channel (global average pooling sends dy/(H·W) everywhere: gradients landing on a shared input, or summed into
   * one gate value, add coherently) to its factor for independent gradients. Such a consumer applies it
   * (`uniformGradient`).
   */
  uniformGradientRatio?: number;
  /**
   * Set by the walker where the producing op gives `uniformGradientRatio`: a consumer whose gradient is the same at
   * every position of a channel (a global average right after it) calls it with `direct` true, and the producer's
   * factor is rescaled by its ratio. Elementwise ops pass it on with `direct` false: φ′ between keeps the gradients'
   * signs, not their equality, so the factor lies between the independent and the uniform case, and its bound widens
   * by the distance, √ratio − 1.
   */
  uniformGradient?(direct: boolean): void;
  /**
   * Set by an op that multiplies the gradient into some of its inputs by the values of others (a multiply): a
   * consumer whose gradient is not independent of these values (a normalization: its nearly constant groups, all or
   * nearly at a relu's zero, pass large gradients where the values are small) gives E[dy²·x²]/(E[dy²]·E[x²]).
   */
  valueWeightedGradient?(ratio: number): void;
  /**
   * For a sequence: E[x_t·x_t′], the cross-moment of one unit in two different tokens of a sample (undefined: the
   * tokens are independent, mean²). What attention averages over (Noci et al., 2022: tokens align with depth). For a
   * map, where it is set (a gate that scales a channel's positions alike, a sequence turned into a map): two
   * positions of one unit, which a conv carries on and a global average reads.
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

/** The law of a signal's elements: its own, or the Gaussian one for a Gaussian signal; undefined when unknown. */
export function lawOf(s: Signal): ElementLaw | undefined {
  if (s.law) return s.law;
  if (!s.gaussian) return undefined;
  const v = variance(s);
  const shared = Math.min(v, s.sharedVariance);
  return gaussianLaw(s.mean, shared, v - shared);
}

/** For an elementwise op's output: the input's `uniformGradient`, passed on as not direct (see `Signal.uniformGradient`). */
export function passUniformGradient(s: Signal): Pick<Signal, 'uniformGradient'> {
  const upstream = s.uniformGradient;
  return upstream ? { uniformGradient: () => upstream(false) } : {};
}

/** The marginal of a signal's elements: from its law (or the Gaussian one), else its own, else undefined. */
export function marginalOf(s: Signal): Marginal | undefined {
  const law = lawOf(s);
  return law ? lawMarginal(law) : s.marginal;
}

/** The prediction of a layer that passes its input's moments on (reshapes, dropout, pooling). */
export function passThrough(s: Signal, approximate: boolean): Omit<PredictedLayer, 'gradientStd'> {
  const std = Math.sqrt(variance(s));
  return { preActivationStd: std, activationMean: s.mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0, approximate };
}

/**
 * φ applied to a Gaussian N(μ, σ²) whose part s ~ N(μ, σ²_shared) is shared by each unit: output moments, E[φ′²],
 * saturated probability, and the probability that a ReLU-family unit is dead for the whole batch,
 * E_s[Φ(−s/σ_e)^B] with σ_e² = σ² − σ²_shared, over s by `unitOffsetRule` (Poole et al., 2016, for the moments
 * by Gauss–Hermite quadrature).
 * The output's shared variance is Var_s E[φ(s + e) | s] (`sharedVarianceAfter`): a unit's mean after φ still
 * differs from unit to unit, which a later average over positions or a batchnorm per channel sees. The output
 * carries its law φ(z) and its producer (for a max pooling's backward pass).
 * Given the covariance of two tokens' pre-activations (sequences), also their outputs' cross-moment
 * (`activationKernel`).
 */
export function nonlinearity(act: Activation, mu: number, preVariance: number, shared: number, batch: number, preCovariance?: number): { signal: Signal; derivativeSecond: number; saturated: number; dead: number } {
  const sigma = Math.sqrt(preVariance);
  const m = activationMoments(act, mu, sigma);
  const sharedPart = Math.min(Math.max(0, shared), preVariance);
  let dead = 0;
  if (canDie(act.name)) {
    const individual = Math.sqrt(Math.max(0, preVariance - shared));
    const sharedStd = Math.sqrt(Math.max(0, shared));
    if (individual === 0) dead = sharedStd === 0 ? (mu <= 0 ? 1 : 0) : normalCdf(-mu / sharedStd);
    else if (sharedStd === 0) dead = normalCdf(-mu / individual) ** batch;
    else {
      // Φ(−u/σ_e)^B is a steep step in the unit's offset u when σ_e ≪ σ_shared: the refined rule of unitOffsetRule.
      const rule = unitOffsetRule(act, mu, sharedStd, individual);
      for (let i = 0; i < rule.nodes.length; i++) dead += rule.weights[i] * normalCdf(-(mu + sharedStd * rule.nodes[i]) / individual) ** batch;
    }
  }
  const linear = act.name === 'linear';
  const cross = preCovariance === undefined ? undefined : activationKernel(act, mu, preVariance, preCovariance);
  const withCross = cross !== undefined ? { cross } : {};
  const pre = gaussianLaw(mu, sharedPart, preVariance - sharedPart);
  const signal: Signal = linear
    ? { mean: m.mean, second: m.secondMoment, gaussian: true, sharedVariance: shared, ...withCross }
    : { mean: m.mean, second: m.secondMoment, gaussian: false, sharedVariance: sharedVarianceAfter(act, mu, sharedPart, preVariance - sharedPart),
      law: activationLaw(pre, act), producer: { activation: act, pre }, ...withCross };
  return { signal, derivativeSecond: m.derivativeSecondMoment, saturated: m.saturatedProbability, dead };
}

/**
 * φ applied to any signal: `nonlinearity` for a Gaussian one; for a non-Gaussian one with a known law (relu after
 * a batchnorm of relu outputs, tanh after a max pooling) the moments of φ(value(s, e)) by quadrature over the law,
 * E[φ′²] exact for relu-like φ of a monotone law (`derivativeSecondMoment`), so the composition is exact; without a
 * law, the Gaussian of the same moments, and `exact` is false.
 */
export function applyActivation(act: Activation, s: Signal, batch: number, preCovariance?: number): { signal: Signal; derivativeSecond: number; saturated: number; dead: number; exact: boolean } {
  const law = s.gaussian ? undefined : s.law;
  if (!law || act.name === 'linear') {
    const v = variance(s);
    return { ...nonlinearity(act, s.mean, v, s.sharedVariance, batch, preCovariance), exact: s.gaussian || act.name === 'linear' };
  }
  // Two tokens of a sequence: their outputs' cross-moment as for Gaussian pre-activations of these moments.
  const cross = preCovariance === undefined ? undefined : activationKernel(act, s.mean, variance(s), preCovariance);
  const outLaw = activationLaw(law, act);
  const m = lawMoments(outLaw);
  const dead = canDie(act.name) && law.monotone ? deadProbability(law, batch) : 0;
  const saturatedProbability = activationMoments(act, s.mean, Math.sqrt(variance(s))).saturatedProbability;
  return {
    signal: { mean: m.mean, second: m.second, gaussian: false, sharedVariance: m.sharedVariance, law: outLaw, producer: law.monotone && isMonotone(act) ? { activation: act, pre: law } : undefined,
      ...(cross !== undefined ? { cross } : {}) },
    derivativeSecond: derivativeSecondMoment(law, act),
    saturated: saturatedProbability,
    dead,
    exact: true,
  };
}
