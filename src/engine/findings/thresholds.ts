/**
 * Thresholds of the findings, documented in the README's findings table. A chain is a run of the main path's weight
 * layers and residual blocks (not the inside of residual branches, whose layers are judged by their block), cut at
 * pooling and normalization layers, which rescale the signal for reasons that have nothing to do with the init.
 */
export const FINDING_THRESHOLDS = {
  /** A chain of at least this many layers is judged for vanishing or exploding. */
  minChainLayers: 3,
  /** Geometric mean of the per-layer std ratio below which a signal vanishes (above 1/x it explodes)... */
  vanishingRatioPerLayer: 0.75,
  /** ...when the whole chain also shrinks below this (or grows above its inverse). */
  vanishingTotalRatio: 0.25,
  /** A chain that shrinks below this ratio (or grows above its inverse) is flagged whatever its length. */
  collapseRatio: 1e-3,
  /** Fraction of saturated outputs (|tanh| > 0.99, sigmoid outside (0.01, 0.99)) above which a layer saturates. */
  saturatedFraction: 0.2,
  /**
   * Fraction of ReLU units dead for the whole batch above which a layer is flagged. A healthy Kaiming/ReLU net at
   * batch 16 already shows 2–15% (units whose pre-activation is negative for every sample by chance).
   */
  deadFraction: 0.3,
  /** Variance ratio output/input per residual block above which residual variance grows. */
  residualVarianceGrowth: 1.5,
  /**
   * Variance the residual branches of a run of pre-norm blocks add to the stream, over the run, above which the
   * stream grows: each branch reads a unit-variance normalized input, so more than 1 means the updates outweigh it
   * (GPT-2 small adds 0.066 with its 1/√(2·n_layer) output scaling and 1.57 without; Llama-2-7B under HF init 146).
   */
  residualStreamVariance: 1,
  /** Mean attention entropy over ln(visible keys) below which attention has collapsed onto few keys at init. */
  attentionEntropy: 0.5,
  /** Predicted logit std above which attention is judged collapsed when nothing was sampled (entropy ≈ 0.5 there). */
  attentionLogitStd: 3,
  /** Expected initial loss above ln(vocab), in nats, above which the output head starts too confident (logit std 1). */
  outputExcessLoss: 0.5,
  /** Ratio of the gradient std at the last and the first block of a post-norm stack beyond which it is unbalanced. */
  postNormGradientRatio: 2,
} as const;
