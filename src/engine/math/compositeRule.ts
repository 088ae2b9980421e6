/** Nodes t_i and probability weights p_i of a quadrature rule: E[f(T)] ≈ Σ p_i·f(t_i). */
export interface ProbabilityRule {
  nodes: Float64Array;
  weights: Float64Array;
}

// Composite Gauss–Legendre rules: where a Gauss–Hermite rule is too coarse, because the integrand has a feature
// (tanh′², a kink) much narrower than the Gaussian it is weighted by.

/** 4-point Gauss–Legendre on [−1, 1] (Abramowitz & Stegun, table 25.4). */
const NODES = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const WEIGHTS = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

/**
 * A rule ∫ f(t)·w(t) dt ≈ Σ p_i f(t_i) from 4-point Gauss–Legendre on each panel between consecutive `breaks`, the
 * weight function w evaluated at the nodes (p_i = panel half-width·GL weight·w(t_i)). Exact for w·f polynomial of
 * degree ≤ 7 on each panel; put breaks where f has kinks.
 */
export function compositeRule(breaks: readonly number[], weight: (t: number) => number): ProbabilityRule {
  const panels = breaks.length - 1;
  const nodes = new Float64Array(4 * panels);
  const weights = new Float64Array(4 * panels);
  for (let p = 0; p < panels; p++) {
    const half = (breaks[p + 1] - breaks[p]) / 2;
    const mid = (breaks[p + 1] + breaks[p]) / 2;
    for (let i = 0; i < 4; i++) {
      const t = mid + half * NODES[i];
      nodes[4 * p + i] = t;
      weights[4 * p + i] = half * WEIGHTS[i] * weight(t);
    }
  }
  return { nodes, weights };
}

/** The activations' features (kinks at 0, tanh′ and sigmoid′ peaks, softplus's switch at 20) lie within this. */
const FEATURE_RANGE = 24;
/** Panel width within the feature range: tanh′² = sech⁴ has width ≈ 1, so 4 nodes per 0.25 resolve it to 1e-9. */
const FEATURE_PANEL = 0.25;
/** The most panels `wideGaussianRule` puts in one stretch (the 192 feature panels of [−24, 24] fit). */
const MAX_PANELS_PER_STRETCH = 256;

/**
 * E[f(Z)] for Z ~ N(μ, σ²) accurate however wide σ is compared with f's features: composite 4-point Gauss–Legendre
 * over [μ − 10σ, μ + 10σ] (the rest holds 2·10⁻²³ of the mass), with panels of width ≤ 0.25 (and a break at 0) where
 * |z| < 24 and ≤ σ/2 elsewhere. Gauss–Hermite with 64 nodes spaces its nodes ≈ 0.3·√2·σ apart near μ and misses
 * tanh′² by 4% at σ = 2.7 and 24% at σ = 4; this rule is exact to float64 rounding there.
 */
export function wideGaussianExpectation(f: (z: number) => number, mu: number, sigma: number): number {
  if (sigma === 0) return f(mu);
  const rule = wideGaussianRule(mu, sigma);
  let sum = 0;
  for (let i = 0; i < rule.nodes.length; i++) sum += rule.weights[i] * f(rule.nodes[i]);
  return sum;
}

/** The rule of `wideGaussianExpectation` (σ > 0): nodes z_i and probability weights for N(μ, σ²). */
export function wideGaussianRule(mu: number, sigma: number): ProbabilityRule {
  const lo = mu - 10 * sigma;
  const hi = mu + 10 * sigma;
  const breaks: number[] = [lo];
  const push = (to: number, width: number): void => {
    const from = breaks[breaks.length - 1];
    if (!(to > from) || !Number.isFinite(to - from)) return;
    // At most MAX_PANELS_PER_STRETCH panels a stretch: a mean far from the features (an init scaled by 1e30) would
    // otherwise ask for hundreds of millions of them.
    const n = Math.min(MAX_PANELS_PER_STRETCH, Math.max(1, Math.ceil((to - from) / width)));
    for (let i = 1; i <= n; i++) breaks.push(from + ((to - from) * i) / n);
  };
  const coarse = Math.max(sigma / 2, FEATURE_PANEL);
  push(Math.min(hi, -FEATURE_RANGE), coarse);
  push(Math.min(hi, 0), FEATURE_PANEL);
  push(Math.min(hi, FEATURE_RANGE), FEATURE_PANEL);
  push(hi, coarse);
  const norm = 1 / (sigma * Math.sqrt(2 * Math.PI));
  return compositeRule(breaks, (z) => norm * Math.exp(-0.5 * ((z - mu) / sigma) ** 2));
}

/**
 * A rule for E[f(S)], S ~ N(0, 1), where f changes fast near `kink` over a width `width` (a unit's mean after φ
 * as a function of its shared offset: relu's kink smoothed by the own part's spread): composite 4-point
 * Gauss–Legendre on [−8, 8] (the rest holds 10⁻¹⁵ of the mass) in unit panels, with extra breaks at kink ± width·2^k
 * (k = −3…3). Gauss–Hermite
 * spaces its nodes too far apart when width is small and misses such a step by up to a node's weight.
 */
export function steepNormalRule(kink: number, width: number): ProbabilityRule {
  const breaks = new Set<number>();
  for (let t = -8; t <= 8; t++) breaks.add(t);
  if (Number.isFinite(kink) && Math.abs(kink) < 8) {
    breaks.add(kink);
    for (let k = -3; k <= 3; k++) {
      for (const sign of [-1, 1]) {
        const b = kink + sign * width * 2 ** k;
        if (b > -8 && b < 8) breaks.add(b);
      }
    }
  }
  const sorted = [...breaks].sort((a, b) => a - b);
  return compositeRule(sorted, (t) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI));
}
