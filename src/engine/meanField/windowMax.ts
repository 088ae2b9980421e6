import { compositeRule, type ProbabilityRule } from '../math/compositeRule';
import { normalCdf, normalPdf } from '../math/gaussian';
import { maxOfNormalsRule } from '../math/maxOfNormals';
import { type ElementLaw, sharedRule, unitMoments, withWindow } from './elementLaw';

// Second-order statistics of max pooling with overlapping windows (stride < size), where neighbouring outputs share
// inputs: what a global average after it and the gradient coming back through it depend on.

/**
 * P(two windows of k elements that share j have their max at the same element) = j/(2k − j): the max of the union
 * of 2k − j exchangeable continuous elements is equally likely to be any of them, and both maxima coincide exactly
 * when it lies in the shared part.
 */
export function sameArgmaxProbability(k: number, j: number): number {
  return j <= 0 ? 0 : j / (2 * k - j);
}

/**
 * Cov(y₁, y₂ | s) averaged over s, for y₁ = max over window 1, y₂ = max over window 2, windows of k elements of one
 * unit sharing j, elements value(s, e) of a monotone law whose e are independent given s:
 * y₁ = value(s, max(A, C)), y₂ = value(s, max(B, C)) with C the max over the shared j, A and B over the others, all
 * independent, so E[y₁y₂ | s] = E_C[h(C)²] with h(c) = E_A[value(s, max(A, c))]. Quadrature: Gauss–Hermite in s,
 * the composite max-of-normals rule in C and A (which share nodes: prefix sums make it O(nodes) per s). j = k gives
 * Var(y | s), j = 0 gives 0.
 */
export function overlappingMaxCovariance(law: ElementLaw, k: number, j: number): number {
  if (j <= 0) return 0;
  const w = law.window;
  const outer = sharedRule(law);
  if (j >= k) {
    let sum = 0;
    for (let i = 0; i < outer.nodes.length; i++) {
      const u = unitMoments(withWindow(law, w * k), outer.nodes[i]);
      sum += outer.weights[i] * (u.second - u.mean * u.mean);
    }
    return sum;
  }
  // C and A share the composite rule's nodes (in increasing order), so h at every node of C is one pass of prefix
  // sums: h(c_i) = value(s, c_i)·P(A ≤ c_i) + Σ_{a_m > c_i} p_m·value(s, a_m), the rule applied to a ↦ value(s, max(a, c)).
  const shared = maxOfNormalsRule(w * j);
  const rest = maxOfNormalsRule(w * (k - j));
  const whole = withWindow(law, w * k);
  const nodes = rest.nodes;
  const values = new Float64Array(nodes.length);
  const tail = new Float64Array(nodes.length + 1);
  let sum = 0;
  for (let i = 0; i < outer.nodes.length; i++) {
    const s = outer.nodes[i];
    for (let m = 0; m < nodes.length; m++) values[m] = law.value(s, nodes[m]);
    tail[nodes.length] = 0;
    for (let m = nodes.length - 1; m >= 0; m--) tail[m] = tail[m + 1] + rest.weights[m] * values[m];
    let below = 0;
    let cross = 0;
    for (let c = 0; c < nodes.length; c++) {
      below += rest.weights[c];
      const h = values[c] * below + tail[c + 1];
      cross += shared.weights[c] * h * h;
    }
    const mean = unitMoments(whole, s).mean;
    sum += outer.weights[i] * (cross - mean * mean);
  }
  return sum;
}

/** The pairs of output positions of a pooling, by how many input elements their windows share. */
export interface WindowPairs {
  /** Output positions per channel. */
  positions: number;
  /** For each overlap j > 0 between two different windows, the number of ordered pairs of positions. */
  overlaps: Map<number, number>;
}

/**
 * Counts, over ordered pairs of different output positions of an oh×ow pooling grid with kh×kw windows and strides
 * (sh, sw), how many share j inputs: offsets (dy, dx) occur (oh − |dy|)·(ow − |dx|) times and share
 * max(0, kh − |dy|·sh)·max(0, kw − |dx|·sw) inputs.
 */
export function windowPairs(oh: number, ow: number, kh: number, kw: number, sh: number, sw: number): WindowPairs {
  const overlaps = new Map<number, number>();
  for (let dy = -(oh - 1); dy <= oh - 1; dy++) {
    const rows = Math.max(0, kh - Math.abs(dy) * sh);
    if (rows === 0) continue;
    for (let dx = -(ow - 1); dx <= ow - 1; dx++) {
      const cols = Math.max(0, kw - Math.abs(dx) * sw);
      if (cols === 0 || (dy === 0 && dx === 0)) continue;
      const j = rows * cols;
      overlaps.set(j, (overlaps.get(j) ?? 0) + (oh - Math.abs(dy)) * (ow - Math.abs(dx)));
    }
  }
  return { positions: oh * ow, overlaps };
}

/**
 * E_s Var(mean of a channel's max-pooled outputs | s) = (1/n²)·Σ_{p,q} Cov(y_p, y_q | s): the within-unit variance
 * a global average pooling after an overlapping max pooling keeps, from `overlappingMaxCovariance` per overlap.
 */
export function maxPoolChannelAverageVariance(law: ElementLaw, k: number, pairs: WindowPairs): number {
  let sum = pairs.positions * overlappingMaxCovariance(law, k, k);
  for (const [j, count] of pairs.overlaps) sum += count * overlappingMaxCovariance(law, k, j);
  return sum / (pairs.positions * pairs.positions);
}

/** Σ over ordered pairs of different windows of P(same argmax), plus one per window: E[Σ_p m_p²], m_p windows whose max is p. */
export function sameArgmaxPairs(k: number, pairs: WindowPairs): number {
  let sum = pairs.positions;
  for (const [j, count] of pairs.overlaps) sum += count * sameArgmaxProbability(k, j);
  return sum;
}

const tieRules = new Map<number, ProbabilityRule>();

/**
 * The per-unit offset a max pooling makes of a conv's per-filter neighbour correlations (`lagCorrelationVariance`):
 * for standard normal e's with small correlations ρ_ij, ∂E[g(max e)]/∂ρ_ij = E[∂_i∂_j g(max e)] = −c_k with
 * c_k = ∫ g′(t)·φ(t)²·Φ(t)^{k−2} dt (Price's theorem; the two elements tie at the top), so one unit's mean of its
 * maxima moves by −c_k·Σ_{i<j} ρ_ij. Its variance over units, Σ_δ n_δ²·Var ρ_δ·E_s[c_k(s)²] with n_δ = (kh − |dy|)·
 * (kw − |dx|) pairs of the window at lag δ, is shared by the unit's elements. g = value(s, ·) of the (monotone, window 1)
 * law; g′ by central differences.
 */
export function maxPoolCorrelationOffsetVariance(law: ElementLaw, kh: number, kw: number, lagVariance: (dy: number, dx: number) => number): number {
  const k = kh * kw;
  if (k < 2 || law.window !== 1) return 0;
  let pairs = 0;
  for (let dy = 0; dy < kh; dy++) for (let dx = -(kw - 1); dx < kw; dx++) {
    if (dy === 0 && dx <= 0) continue;
    const n = (kh - dy) * (kw - Math.abs(dx));
    pairs += n * n * lagVariance(dy, dx);
  }
  if (!(pairs > 0)) return 0;
  let rule = tieRules.get(k);
  if (!rule) {
    const breaks: number[] = [];
    for (let t = -9; t <= 9 + 1e-9; t += 0.25) breaks.push(t);
    rule = compositeRule(breaks, (t) => normalPdf(t) ** 2 * normalCdf(t) ** (k - 2));
    tieRules.set(k, rule);
  }
  const outer = sharedRule(law);
  const h = 1e-4;
  let c2 = 0;
  for (let i = 0; i < outer.nodes.length; i++) {
    const s = outer.nodes[i];
    let c = 0;
    for (let m = 0; m < rule.nodes.length; m++) {
      const t = rule.nodes[m];
      c += rule.weights[m] * (law.value(s, t + h) - law.value(s, t - h)) / (2 * h);
    }
    c2 += outer.weights[i] * c * c;
  }
  return pairs * c2;
}
