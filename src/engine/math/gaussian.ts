/** Standard normal density φ(x) = exp(−x²/2)/√(2π). */
export function normalPdf(x: number): number {
  return 0.3989422804014327 * Math.exp(-0.5 * x * x);
}

/**
 * Complementary error function erfc(x) = 1 − erf(x), by the Chebyshev fit of Numerical Recipes (2nd ed., §6.2,
 * `erfcc`), fractional error below 1.2·10⁻⁷ everywhere: enough for float32 activations.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? ans : 2 - ans;
}

/** Standard normal distribution function Φ(x) = ½·erfc(−x/√2). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/**
 * Standard normal quantile Φ⁻¹(p) for p in (0, 1), by P. J. Acklam's rational approximation (relative error below
 * 1.15·10⁻⁹). Used to sample truncated normals by inversion when rejection would be slow.
 */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Nodes and weights of 8-point Gauss–Legendre quadrature on [−1, 1] (Abramowitz & Stegun, table 25.4). */
const LEGENDRE_NODES = [0.1834346424956498, 0.525532409916329, 0.7966664774136267, 0.9602898564975363];
const LEGENDRE_WEIGHTS = [0.362683783378362, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763];
/** Past a drop of 48 in log-density the rest holds e^−48 ≈ 1.4·10⁻²¹ of the mass, below float64's resolution. */
const TAIL_LOG_DROP = 48;

/**
 * Mass, mean and std of a standard normal restricted to [l, l + w] (l ≥ 0, w > 0, each possibly huge or tiny), as
 * offsets from l: y = x − l has density ∝ e^{−g(y)}, g(y) = l·y + y²/2, on [0, w], and
 * mass = ∫₀^w e^{−g(y)} dy = (Q(l) − Q(l + w))/φ(l) with Q = 1 − Φ. No difference of CDFs is formed, so nothing
 * cancels or underflows however far in the tail or narrow the interval: the moments come from composite 8-point
 * Gauss–Legendre quadrature over pieces across which g grows by at most 1 (boundaries y(s) = 2s/(l + √(l² + 2s)), the
 * root of g(y) = s), up to g = 48, in the variable t = c·y with c = min(max(1, l, 1/w), 10³⁰⁰) so that t spans at least [0, 1]
 * (variances like w²/12 or 1/l² do not underflow). A point mass (l = ∞) gives mass 0, mean 0, std 0.
 * Used for the moments of truncated normals whose interval holds too little mass for Φ(β) − Φ(α) (`moments`).
 */
export function normalTailMoments(l: number, w: number): { mass: number; mean: number; std: number } {
  if (!(l < Infinity) || !(w > 0)) return { mass: 0, mean: 0, std: 0 };
  // Capped so that a subnormal w does not make c infinite.
  const c = Math.min(Math.max(1, l, 1 / w), 1e300);
  const k = l / c;
  // g in the variable t: l·(t/c) + (t/c)²/2; the boundary of g = s in t, written to avoid l² overflowing.
  const g = (t: number): number => k * t + 0.5 * (t / c) * (t / c);
  const boundary = (s: number): number => l >= 1 ? c * ((2 * s) / l) / (1 + Math.sqrt(1 + (2 * s) / l / l)) : (c * 2 * s) / (l + Math.sqrt(l * l + 2 * s));
  const drop = l * w + 0.5 * w * w;
  const pieces = Math.max(1, Math.ceil(Math.min(drop, TAIL_LOG_DROP)));
  const end = drop <= TAIL_LOG_DROP ? c * w : boundary(TAIL_LOG_DROP);
  const integrate = (f: (t: number) => number): number => {
    let sum = 0;
    let from = 0;
    for (let p = 1; p <= pieces; p++) {
      const to = p === pieces ? end : boundary(p);
      const half = 0.5 * (to - from);
      const mid = from + half;
      for (let i = 0; i < 4; i++) {
        const d = half * LEGENDRE_NODES[i];
        sum += half * LEGENDRE_WEIGHTS[i] * (f(mid - d) + f(mid + d));
      }
      from = to;
    }
    return sum;
  };
  const mass = integrate((t) => Math.exp(-g(t)));
  const mean = integrate((t) => t * Math.exp(-g(t))) / mass;
  const variance = integrate((t) => (t - mean) * (t - mean) * Math.exp(-g(t))) / mass;
  return { mass: mass / c, mean: mean / c, std: Math.sqrt(variance) / c };
}
