import { normalCdf } from '../math/gaussian';
import { type ElementLaw, gaussianLaw, maxLaw } from './elementLaw';

// The law of an element of a pooling whose windows hold different numbers of inputs (TensorFlow's padding "same"
// clips the windows at the edges): an element picked at random among a unit's outputs is the pooling of n inputs
// with probability f_n, the fraction of output positions whose window holds n. A mixture over the own part e only
// (s, the unit's shared part, is the same at every position), written as one law by inverse transform sampling.

/** The own part of a mixture: P(e ≤ t) and P(e > t), each accurate in its own tail. */
interface OwnDistribution {
  below(t: number): number;
  above(t: number): number;
}

/** Past ±12 the own parts' quantiles of the rules' nodes (within ±9 of a standard normal) never reach. */
const RANGE = 12;
/** Entries kept per distribution: the rules' nodes, and the probes of bisections on value(s, ·), are fewer. */
const CACHE_LIMIT = 1 << 14;
/** Distributions whose quantiles are kept: a network's poolings have a few window mixtures each. */
const DISTRIBUTIONS_LIMIT = 64;

/**
 * q(e) by distribution (its `key`, the mixture's weights), across analyses: the quadratures call q at the same
 * nodes, and a what-if's prediction runs the same poolings again.
 */
const quantiles = new Map<string, Map<number, number>>();

/**
 * value′(s, e) = value(s, q(e)) with e ~ N(0, 1) and q = F⁻¹∘Φ, F the own part's distribution: q(e) has law F for
 * every s (inverse transform sampling), so value′ has the mixture's law exactly, and is monotone in e when value is.
 * q by bisection on [−12, 12], P(e ≤ t) against Φ(e) for e ≤ 0 and P(e > t) against Φ(−e) above, so that the tails
 * keep their relative precision; cached per e (the quadratures call it at fixed nodes).
 */
function inverseTransformLaw(value: (s: number, t: number) => number, shared: boolean, own: OwnDistribution, key: string): ElementLaw {
  const cache = quantiles.get(key) ?? new Map<number, number>();
  if (!quantiles.has(key)) {
    if (quantiles.size >= DISTRIBUTIONS_LIMIT) quantiles.clear();
    quantiles.set(key, cache);
  }
  const quantile = (e: number): number => {
    let q = cache.get(e);
    if (q !== undefined) return q;
    let lo = -RANGE, hi = RANGE;
    const lower = e <= 0;
    const target = normalCdf(lower ? e : -e);
    for (let i = 0; i < 64; i++) {
      const mid = 0.5 * (lo + hi);
      // F(mid) < Φ(e), or equivalently 1 − F(mid) > 1 − Φ(e): the quantile lies above mid.
      if (lower ? own.below(mid) < target : own.above(mid) > target) lo = mid; else hi = mid;
    }
    q = 0.5 * (lo + hi);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(e, q);
    return q;
  };
  return { value: (s, e) => value(s, quantile(e)), shared, window: 1, monotone: true };
}

/** f_n = count_n/Σ count: the fraction of positions whose window holds n inputs. */
function fractions(counts: ReadonlyMap<number, number>): [number, number][] {
  let total = 0;
  for (const c of counts.values()) total += c;
  return [...counts].map(([n, c]) => [n, c / total]);
}

/**
 * The law of a max pooling's output element when a fraction f_n of its windows hold n inputs of the monotone law
 * `law` (whose own part is the max of w normals): the max of n elements is value(s, max of n·w normals), so the own
 * part's distribution is the mixture F(t) = Σ_n f_n·Φ(t)^{n·w}, P(e > t) = Σ_n f_n·(1 − Φ(t)^{n·w}) computed as
 * −expm1(n·w·log1p(−Φ(−t))). Its moments are Σ_n f_n·(moments of `maxLaw(law, n)`), its unit mean
 * E[y | s] = Σ_n f_n·E[max of n | s] (the channel's mean over positions). One size: `maxLaw`. Undefined for a law
 * that is not monotone.
 */
export function windowMaxMixtureLaw(law: ElementLaw, counts: ReadonlyMap<number, number>): ElementLaw | undefined {
  if (!law.monotone) return undefined;
  if (counts.size === 1) return maxLaw(law, [...counts.keys()][0]);
  const parts = fractions(counts).map(([n, f]) => [n * law.window, f] as const);
  return inverseTransformLaw((s, t) => law.value(s, t), law.shared, {
    below(t) {
      let p = 0;
      for (const [m, f] of parts) p += f * normalCdf(t) ** m;
      return p;
    },
    above(t) {
      const logBelow = Math.log1p(-normalCdf(-t));
      let p = 0;
      for (const [m, f] of parts) p += f * -Math.expm1(m * logBelow);
      return p;
    },
  }, `max ${parts.join(' ')}`);
}

/**
 * The law of an average pooling's output element when a fraction f_n of its windows average n inputs of the
 * Gaussian law mean + σ_s·s + σ_e·e: a window's average is mean + σ_s·s + (σ_e/√n)·e, so the own part t (in units of
 * σ_e) has the mixture distribution F(t) = Σ_n f_n·Φ(t·√n), a scale mixture of normals: variance Σ_n f_n/n, not
 * Gaussian. One size: the Gaussian law with σ_e²/n.
 */
export function windowMeanMixtureLaw(gaussian: { mean: number; sharedStd: number; individualStd: number }, counts: ReadonlyMap<number, number>): ElementLaw {
  const { mean, sharedStd, individualStd } = gaussian;
  if (counts.size === 1) return gaussianLaw(mean, sharedStd ** 2, individualStd ** 2 / [...counts.keys()][0]);
  const parts = fractions(counts).map(([n, f]) => [Math.sqrt(n), f] as const);
  const base = gaussianLaw(mean, sharedStd ** 2, individualStd ** 2);
  return inverseTransformLaw((s, t) => mean + sharedStd * s + individualStd * t, base.shared, {
    below(t) {
      let p = 0;
      for (const [r, f] of parts) p += f * normalCdf(t * r);
      return p;
    },
    above(t) {
      let p = 0;
      for (const [r, f] of parts) p += f * normalCdf(-t * r);
      return p;
    },
  }, `mean ${parts.join(' ')}`);
}
