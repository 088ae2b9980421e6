import { normalQuantile } from '../math/gaussian';
import { bottomMass, type ElementLaw, sharedRule } from './elementLaw';

// The law of one element as a mixture of small Gaussian bumps and point masses: where no value(s, e) form is known (a
// product of two branches, a sum of a law and an independent Gaussian), the marginal over a unit's shared part and the
// element's own, compressed from a quadrature. What a normalization needs to know of its groups (the mass of their
// lowest value, the law of their spread near 0) is read from it. Units are taken as independent draws of the
// marginal, as the mean field takes them.

/** Σ_i weights_i·N(means_i, stds_i²): components in increasing order of mean, weights summing to 1 (std 0: a point mass). */
export interface Marginal {
  readonly means: Float64Array;
  readonly stds: Float64Array;
  readonly weights: Float64Array;
  /** P(x = min x) where the lowest value is a point mass (a relu's zeros), else 0. */
  readonly bottom: number;
}

/** Bins a compressed marginal keeps besides its point masses. */
const BINS = 128;

/**
 * Compresses a mixture to at most `bins` components plus its point masses: equal point values merge (a relu's zeros at
 * many nodes are one), point masses of weight ≥ 1/(2·bins) stay as they are, and the rest, in order of mean, fill bins
 * of equal weight (finer right after a point mass), each one bump with the bin's mean and variance (its components' own and their spread), which keeps
 * the mean and E[x²] of the whole.
 */
export function compressMarginal(means: ArrayLike<number>, stds: ArrayLike<number>, weights: ArrayLike<number>, bins = BINS): Marginal {
  const order = Array.from({ length: means.length }, (_, i) => i).filter((i) => weights[i] > 0).sort((a, b) => means[a] - means[b] || stds[a] - stds[b]);
  const merged: [number, number, number][] = [];
  let total = 0;
  for (const i of order) {
    total += weights[i];
    const last = merged[merged.length - 1];
    if (last && stds[i] === 0 && last[1] === 0 && last[0] === means[i]) last[2] += weights[i];
    else merged.push([means[i], stds[i], weights[i]]);
  }
  const heavy = 1 / (2 * bins);
  const out: [number, number, number][] = [];
  let binWeight = 0, binSum = 0, binSquares = 0;
  // Bins right after a point mass start at 1/16 of the size and double: the density next to a relu's zeros is what
  // nearly constant groups of a normalization depend on.
  let sinceMass = Infinity;
  const flush = (): void => {
    if (binWeight <= 0) return;
    const mean = binSum / binWeight;
    out.push([mean, Math.sqrt(Math.max(0, binSquares / binWeight - mean * mean)), binWeight]);
    binWeight = binSum = binSquares = 0;
  };
  for (const [m, s, w] of merged) {
    const p = w / total;
    if (s === 0 && p >= heavy) {
      flush();
      out.push([m, 0, p]);
      sinceMass = 0;
      continue;
    }
    binWeight += p;
    binSum += p * m;
    binSquares += p * (m * m + s * s);
    sinceMass += p;
    if (binWeight >= Math.min(1 / bins, Math.max(1 / (16 * bins), sinceMass / 2))) flush();
  }
  flush();
  const first = merged[0];
  const bottom = merged.length > 1 && first[1] === 0 && first[2] / total >= heavy ? first[2] / total : 0;
  out.sort((a, b) => a[0] - b[0]);
  return { means: Float64Array.from(out, (c) => c[0]), stds: Float64Array.from(out, (c) => c[1]), weights: Float64Array.from(out, (c) => c[2]), bottom };
}

/** Intervals of equal probability per unit the continuous part of a law is cut into, before its tails are refined. */
const INTERVALS = 24;
/** How far the tails are refined: intervals shrink by 4 down to this probability. */
const TAIL = 1e-9;
/** 4-point Gauss–Legendre on [−1, 1] (Abramowitz & Stegun, table 25.4). */
const GL_NODES = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const GL_WEIGHTS = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

/**
 * The marginal of a law. A Gaussian law is its bumps N(mean + σ_s·s, σ_e²) over the Gauss–Hermite nodes of s. Else,
 * per node of s: the mass of the law's lowest value, π(s) (a relu's zeros: `bottomMass`), as one point, and the rest
 * cut by probability u = P(e ≤ ·) into intervals of equal mass (the first and last refined by factors of 4 down to
 * 10⁻⁹: the lowest values next to a point mass, and both tails), each a bump with the mean and variance of value(s, e) over it (4-point Gauss–Legendre in u, e the quantile
 * of the max of `window` normals, Φ⁻¹(u^{1/window})). Compressed (`compressMarginal`).
 */
export function lawMarginal(law: ElementLaw): Marginal {
  const outer = sharedRule(law);
  const means: number[] = [];
  const stds: number[] = [];
  const weights: number[] = [];
  if (law.gaussian) {
    const { mean, sharedStd, individualStd } = law.gaussian;
    for (let i = 0; i < outer.nodes.length; i++) {
      means.push(mean + sharedStd * outer.nodes[i]);
      stds.push(individualStd);
      weights.push(outer.weights[i]);
    }
    return compressMarginal(means, stds, weights);
  }
  const quantile = (u: number): number => normalQuantile(Math.min(1 - 1e-16, Math.max(1e-300, u ** (1 / law.window))));
  for (let i = 0; i < outer.nodes.length; i++) {
    const s = outer.nodes[i];
    const mass = bottomMass(law, s);
    if (mass > 0) {
      means.push(law.value(s, -12));
      stds.push(0);
      weights.push(outer.weights[i] * mass);
    }
    for (const [a, b] of probabilityIntervals(mass)) {
      let m = 0, m2 = 0;
      for (let q = 0; q < 4; q++) {
        const x = law.value(s, quantile(a + (b - a) * (1 + GL_NODES[q]) / 2));
        m += (GL_WEIGHTS[q] / 2) * x;
        m2 += (GL_WEIGHTS[q] / 2) * x * x;
      }
      means.push(m);
      stds.push(Math.sqrt(Math.max(0, m2 - m * m)));
      weights.push(outer.weights[i] * (b - a));
    }
  }
  return compressMarginal(means, stds, weights);
}

/** [from, 1] cut into intervals of equal probability, the first and the last refined geometrically. */
function probabilityIntervals(from: number): [number, number][] {
  const width = (1 - from) / INTERVALS;
  const cuts = Array.from({ length: INTERVALS + 1 }, (_, k) => from + k * width);
  const out: [number, number][] = [];
  const tail: number[] = [];
  for (let p = width / 4; p > TAIL; p /= 4) tail.push(from + p);
  tail.reverse();
  let low = from;
  for (const c of tail) { out.push([low, c]); low = c; }
  out.push([low, cuts[1]]);
  for (let k = 1; k < INTERVALS - 1; k++) out.push([cuts[k], cuts[k + 1]]);
  let a = cuts[INTERVALS - 1];
  for (let p = width / 4; p > TAIL; p /= 4) { out.push([a, 1 - p]); a = 1 - p; }
  out.push([a, 1]);
  return out;
}

/**
 * The marginal of x·y for independent x and y: each pair of components as the bump of the product's mean m₁m₂ and
 * variance (m₁² + s₁²)(m₂² + s₂²) − m₁²m₂² (a point mass times anything at 0 stays a point mass at 0), compressed.
 */
export function productMarginal(a: Marginal, b: Marginal): Marginal {
  return pairMarginal(a, b, (m1, s1, m2, s2) => {
    if ((s1 === 0 && m1 === 0) || (s2 === 0 && m2 === 0)) return [0, 0];
    return [m1 * m2, Math.sqrt(Math.max(0, (m1 * m1 + s1 * s1) * (m2 * m2 + s2 * s2) - m1 * m1 * m2 * m2))];
  });
}

/** The marginal of x + y for independent x and y: each pair of bumps' sum is a bump, N(m₁ + m₂, s₁² + s₂²); compressed. */
export function sumMarginal(a: Marginal, b: Marginal): Marginal {
  return pairMarginal(a, b, (m1, s1, m2, s2) => [m1 + m2, Math.hypot(s1, s2)]);
}

/** The marginal of N(mean, variance): a single bump. */
export function gaussianMarginal(mean: number, variance: number): Marginal {
  return { means: Float64Array.of(mean), stds: Float64Array.of(Math.sqrt(Math.max(0, variance))), weights: Float64Array.of(1), bottom: 0 };
}

function pairMarginal(a: Marginal, b: Marginal, combine: (m1: number, s1: number, m2: number, s2: number) => [number, number]): Marginal {
  const size = a.means.length * b.means.length;
  const means = new Float64Array(size), stds = new Float64Array(size), weights = new Float64Array(size);
  let k = 0;
  for (let i = 0; i < a.means.length; i++) {
    for (let j = 0; j < b.means.length; j++, k++) {
      [means[k], stds[k]] = combine(a.means[i], a.stds[i], b.means[j], b.stds[j]);
      weights[k] = a.weights[i] * b.weights[j];
    }
  }
  return compressMarginal(means, stds, weights);
}

/** The marginal of a·x + b. */
export function affineMarginal(m: Marginal, scale: number, shift: number): Marginal {
  const means = m.means.map((v) => scale * v + shift);
  const stds = m.stds.map((s) => Math.abs(scale) * s);
  return scale > 0 ? { means, stds, weights: m.weights, bottom: m.bottom } : compressMarginal(means, stds, m.weights);
}

/** E[x], E[x²], E[x⁴] and E[(x − E x)⁴] of a marginal (a bump N(m, s²) has E[x⁴] = m⁴ + 6m²s² + 3s⁴). */
export function marginalMoments(m: Marginal): { mean: number; second: number; fourth: number; centralFourth: number } {
  let mean = 0, second = 0;
  for (let i = 0; i < m.means.length; i++) {
    mean += m.weights[i] * m.means[i];
    second += m.weights[i] * (m.means[i] ** 2 + m.stds[i] ** 2);
  }
  let fourth = 0, centralFourth = 0;
  for (let i = 0; i < m.means.length; i++) {
    const s2 = m.stds[i] ** 2;
    const c = m.means[i] - mean;
    fourth += m.weights[i] * (m.means[i] ** 4 + 6 * m.means[i] ** 2 * s2 + 3 * s2 * s2);
    centralFourth += m.weights[i] * (c ** 4 + 6 * c * c * s2 + 3 * s2 * s2);
  }
  return { mean, second, fourth, centralFourth };
}
