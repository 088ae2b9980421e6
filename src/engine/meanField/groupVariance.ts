import { type Marginal, marginalMoments } from './marginal';

// How small the spread of a normalization's group can get: the inverse moments of a group's variance (layernorm) or
// mean square (rmsnorm), which its backward pass divides by. For groups of a few elements with a point mass (a
// relu's zeros), groups all at that value and groups nearly so dominate E[1/σ̂²]; a Gaussian or kurtosis formula
// misses them.

/** 4-point Gauss–Legendre on [−1, 1] (Abramowitz & Stegun, table 25.4). */
const GL_NODES = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const GL_WEIGHTS = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];
/** Points of the trapezoid rule in ln t: the integrands are smooth bumps a few units of ln t wide. */
const T_POINTS = 80;

/**
 * E[(Q + eps)^−k] for k = 1…4, Q the biased variance (`centred`, layernorm) or the mean square (rmsnorm) of a group
 * of n independent elements of the marginal `m`: E[(Q + eps)^−k] = (1/Γ(k))·∫₀^∞ t^{k−1}·e^{−t·eps}·L(t) dt, with
 * L(t) = E[e^{−tQ}] the Laplace transform of Q. For the mean square L(t) = M(t)ⁿ, M(t) = E[e^{−(t/n)x²}]; for the
 * variance Q = (1/n)Σx² − x̄², and e^{t·x̄²} = E_z[e^{√(2t)·z·x̄}] for z ~ N(0, 1) (the Hubbard–Stratonovich
 * transform), so L(t) = E_z[M(t, z)ⁿ] with M(t, z) = E[exp(−(t/n)x² + √(2t)·z·x/n)], x shifted first (Q does not
 * depend on it): a point mass to 0, else the mean; the mixture's bumps in closed form (`logMean`). Quadrature: the
 * trapezoid rule in ln t from 10⁻³/E[Q] to 80/eps; in z, 4-point Gauss–Legendre on panels doubling from 0.5 to
 * 12·√(1 + 2t·E[x²]/n), the spread of z the integrand has, with M(t, z)ⁿ and the normal density in logs. A group all
 * at one value (Q = 0) has probability L(∞), and gives its 1/eps^k through the t integral. O(T·z nodes·components).
 */
export function inverseGroupMoments(m: Marginal, n: number, eps: number, centred: boolean): [number, number, number, number] {
  return groupIntegrals(m, n, eps, centred, false);
}

/**
 * E[x₁²·(Q + eps)^−k] for k = 1…4, x₁ one element of the group (see `inverseGroupMoments`): the same transform with
 * E[x₁²·e^{−tQ}] = E_z[M₂(t, z)·M(t, z)ⁿ⁻¹], M₂ = E[x²·exp(−(t/n)x′² + √(2t)·z·x′/n)] (x′ shifted, x not): a bump
 * tilted by the exponential stays a bump, N((m + b·s²)/(1 + 2a·s²), s²/(1 + 2a·s²)). How a gradient that grows as
 * the group's spread shrinks weighs the elements' values: small where they are small.
 */
export function weightedInverseGroupMoments(m: Marginal, n: number, eps: number, centred: boolean): [number, number, number, number] {
  return groupIntegrals(m, n, eps, centred, true);
}

/** The t integrals of `inverseGroupMoments` (or, `weighted`, of `weightedInverseGroupMoments`). */
function groupIntegrals(m: Marginal, n: number, eps: number, centred: boolean, weighted: boolean): [number, number, number, number] {
  const { mean, second } = marginalMoments(m);
  // The variance does not depend on a shift: put a point mass at 0 (then groups all at it, whose integrand in z is a
  // narrow peak at √(2t)·shift, sit at z = 0), else the mean.
  const shift = !centred ? 0 : m.bottom > 0 ? m.means[0] : mean;
  const mix = mixture(m.means.map((v) => v - shift), m.stds, m.weights, weighted ? shift : NaN);
  const spread = Math.max(0, second - 2 * shift * mean + shift * shift);
  const scale = Math.max(spread, eps, 1e-300);
  const lo = Math.log(1e-3 / scale);
  const hi = Math.log(80 / Math.max(eps, 1e-300));
  const step = (hi - lo) / (T_POINTS - 1);
  const sums: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < T_POINTS; i++) {
    const t = Math.exp(lo + i * step);
    let laplace: number;
    if (centred) laplace = varianceLaplace(mix, n, t, spread);
    else {
      prepare(mix, t / n);
      laplace = Math.exp(n * logMean(mix, 0)) * (weighted ? mix.tiltedSquare : 1);
    }
    // dt = t·du; the trapezoid's end points count half.
    const w = (i === 0 || i === T_POINTS - 1 ? 0.5 : 1) * step * Math.exp(-t * eps) * laplace;
    let power = t;
    for (let k = 0; k < 4; k++) {
      sums[k] += w * power;
      power *= t;
    }
  }
  // (1/Γ(k)): 1, 1, 1/2, 1/6.
  return [sums[0], sums[1], sums[2] / 2, sums[3] / 6];
}

/** The mixture's components and the work arrays of `logMean`, for one value of a = t/n at a time. */
interface Mixture {
  means: Float64Array;
  stds: Float64Array;
  weights: Float64Array;
  /** The shift to add back for E[x²] under the tilted mixture (`weighted`), NaN when not wanted. */
  shift: number;
  /** After `logMean`: E[(x′ + shift)²] under the mixture tilted by exp(−a·x′² + b·x′). */
  tiltedSquare: number;
  /** Per component, for the current a: 1/(1 + 2a·s²), −a·m²/(1 + 2a·s²) − ½·ln(1 + 2a·s²), s²/(2(1 + 2a·s²)), m/(1 + 2a·s²). */
  inverse: Float64Array;
  constant: Float64Array;
  quadratic: Float64Array;
  linear: Float64Array;
  exponents: Float64Array;
}

function mixture(means: Float64Array, stds: Float64Array, weights: Float64Array, shift: number): Mixture {
  const n = means.length;
  return { means, stds, weights, shift, tiltedSquare: NaN, inverse: new Float64Array(n), constant: new Float64Array(n), quadratic: new Float64Array(n), linear: new Float64Array(n), exponents: new Float64Array(n) };
}

/** Sets the per-component constants of `logMean` for a. */
function prepare(mix: Mixture, a: number): void {
  for (let j = 0; j < mix.means.length; j++) {
    const m = mix.means[j], s2 = mix.stds[j] * mix.stds[j];
    const d = 1 + 2 * a * s2;
    mix.inverse[j] = 1 / d;
    mix.constant[j] = -a * m * m / d - 0.5 * Math.log(d);
    mix.quadratic[j] = s2 / (2 * d);
    mix.linear[j] = m / d;
  }
}

/**
 * ln E[exp(−a·x² + b·x)] over the mixture (a set by `prepare`), stably: a bump N(m, s²) gives
 * exp((s²b²/2 + b·m − a·m²)/(1 + 2a·s²))/√(1 + 2a·s²).
 */
function logMean(mix: Mixture, b: number): number {
  const { exponents } = mix;
  let top = -Infinity;
  for (let j = 0; j < exponents.length; j++) {
    exponents[j] = mix.constant[j] + b * (mix.linear[j] + b * mix.quadratic[j]);
    if (exponents[j] > top) top = exponents[j];
  }
  let sum = 0, square = 0;
  const weighted = !Number.isNaN(mix.shift);
  for (let j = 0; j < exponents.length; j++) {
    const w = mix.weights[j] * Math.exp(exponents[j] - top);
    sum += w;
    if (weighted) {
      // The tilted bump: mean (m + b·s²)/(1 + 2a·s²), variance s²/(1 + 2a·s²).
      const s2 = mix.stds[j] * mix.stds[j];
      const m = (mix.means[j] + b * s2) * mix.inverse[j] + mix.shift;
      square += w * (m * m + s2 * mix.inverse[j]);
    }
  }
  if (weighted) mix.tiltedSquare = square / sum;
  return top + Math.log(sum);
}

/** L(t) = E_z[M(t, z)ⁿ] for the centred variance (see `inverseGroupMoments`), or E_z[M₂·Mⁿ⁻¹] weighted. */
function varianceLaplace(mix: Mixture, n: number, t: number, spread: number): number {
  const weighted = !Number.isNaN(mix.shift);
  const reach = 12 * Math.sqrt(1 + (2 * t * spread) / n);
  const breaks = [0];
  for (let b = 0.5; b < reach; b *= 2) breaks.push(b);
  breaks.push(reach);
  prepare(mix, t / n);
  const slope = Math.sqrt(2 * t) / n;
  let sum = 0;
  for (let p = 0; p + 1 < breaks.length; p++) {
    const half = (breaks[p + 1] - breaks[p]) / 2;
    const mid = (breaks[p + 1] + breaks[p]) / 2;
    for (let q = 0; q < 4; q++) {
      const z = mid + half * GL_NODES[q];
      const logWeight = Math.log(half * GL_WEIGHTS[q]) - z * z / 2 - 0.5 * Math.log(2 * Math.PI);
      // Both signs of z: the mixture need not be symmetric. Weighted: one element's x² under its tilt.
      const up = Math.exp(logWeight + n * logMean(mix, slope * z));
      sum += weighted ? up * mix.tiltedSquare : up;
      const down = Math.exp(logWeight + n * logMean(mix, -slope * z));
      sum += weighted ? down * mix.tiltedSquare : down;
    }
  }
  return sum;
}
