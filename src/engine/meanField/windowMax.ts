import { compositeRule, type ProbabilityRule } from '../math/compositeRule';
import { normalCdf, normalPdf } from '../math/gaussian';
import { maxOfNormalsRule } from '../math/maxOfNormals';
import { type ElementLaw, sharedRule, unitMoments, withWindow } from './elementLaw';

// Second-order statistics of max pooling with overlapping windows (stride < size), where neighbouring outputs share
// inputs, or windows of different sizes (clipped at the edges by padding "same"): what a global average after it and
// the gradient coming back through it depend on.

/**
 * P(two windows of k₁ and k₂ elements that share j have their max at the same element) = j/(k₁ + k₂ − j): the max
 * of the union of k₁ + k₂ − j exchangeable continuous elements is equally likely to be any of them, and both maxima
 * coincide exactly when it lies in the shared part (j/(2k − j) for two windows of k).
 */
export function sameArgmaxProbability(k1: number, k2: number, j: number): number {
  return j <= 0 ? 0 : j / (k1 + k2 - j);
}

/**
 * Cov(y₁, y₂ | s) averaged over s, for y₁ = max over window 1 (k₁ elements), y₂ = max over window 2 (k₂), sharing
 * j, of one unit, elements value(s, e) of a monotone law whose e are independent given s:
 * y₁ = value(s, max(A, C)), y₂ = value(s, max(B, C)) with C the max over the shared j, A over the other k₁ − j, B
 * over the other k₂ − j, all independent, so E[y₁y₂ | s] = E_C[h₁(C)·h₂(C)] with h₁(c) = E_A[value(s, max(A, c))]
 * (h₁(c) = value(s, c) when window 1 lies inside window 2). Quadrature: Gauss–Hermite in s, the composite
 * max-of-normals rule in C, A and B (which share nodes: prefix sums make it O(nodes) per s). j = k₁ = k₂ gives
 * Var(y | s), j = 0 gives 0.
 */
export function overlappingMaxCovariance(law: ElementLaw, k1: number, k2: number, j: number): number {
  if (j <= 0) return 0;
  const w = law.window;
  const outer = sharedRule(law);
  if (j >= k1 && j >= k2) {
    let sum = 0;
    for (let i = 0; i < outer.nodes.length; i++) {
      const u = unitMoments(withWindow(law, w * k1), outer.nodes[i]);
      sum += outer.weights[i] * (u.second - u.mean * u.mean);
    }
    return sum;
  }
  // C, A and B share the composite rule's nodes (in increasing order), so h at every node of C is one pass of prefix
  // sums: h(c_i) = value(s, c_i)·P(A ≤ c_i) + Σ_{a_m > c_i} p_m·value(s, a_m), the rule applied to a ↦ value(s, max(a, c)).
  const shared = maxOfNormalsRule(w * j);
  const nodes = shared.nodes;
  const values = new Float64Array(nodes.length);
  const h1 = new Float64Array(nodes.length);
  const h2 = k2 === k1 ? h1 : new Float64Array(nodes.length);
  const tail = new Float64Array(nodes.length + 1);
  /** h(c) at every node for a window of `k` sharing j: the max of its other k − j elements against c. */
  const fill = (k: number, h: Float64Array): void => {
    if (k <= j) { h.set(values); return; }
    const rest = maxOfNormalsRule(w * (k - j));
    tail[nodes.length] = 0;
    for (let m = nodes.length - 1; m >= 0; m--) tail[m] = tail[m + 1] + rest.weights[m] * values[m];
    let below = 0;
    for (let c = 0; c < nodes.length; c++) {
      below += rest.weights[c];
      h[c] = values[c] * below + tail[c + 1];
    }
  };
  const whole1 = withWindow(law, w * k1);
  const whole2 = withWindow(law, w * k2);
  let sum = 0;
  for (let i = 0; i < outer.nodes.length; i++) {
    const s = outer.nodes[i];
    for (let m = 0; m < nodes.length; m++) values[m] = law.value(s, nodes[m]);
    fill(k1, h1);
    if (h2 !== h1) fill(k2, h2);
    let cross = 0;
    for (let c = 0; c < nodes.length; c++) cross += shared.weights[c] * h1[c] * h2[c];
    const mean1 = unitMoments(whole1, s).mean;
    const mean2 = k2 === k1 ? mean1 : unitMoments(whole2, s).mean;
    sum += outer.weights[i] * (cross - mean1 * mean2);
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
  let sum = pairs.positions * overlappingMaxCovariance(law, k, k, k);
  for (const [j, count] of pairs.overlaps) sum += count * overlappingMaxCovariance(law, k, k, j);
  return sum / (pairs.positions * pairs.positions);
}

/** Σ over ordered pairs of different windows of P(same argmax), plus one per window: E[Σ_p m_p²], m_p windows whose max is p. */
export function sameArgmaxPairs(k: number, pairs: WindowPairs): number {
  let sum = pairs.positions;
  for (const [j, count] of pairs.overlaps) sum += count * sameArgmaxProbability(k, k, j);
  return sum;
}

/** Ordered pairs of output positions (p, q) of a pooling whose windows hold k₁ and k₂ inputs and share j; p = q included. */
export interface WindowPairCount {
  k1: number;
  k2: number;
  j: number;
  count: number;
}

/**
 * The same two sums for windows of different sizes (clipped at the edges by padding "same"), over `pairs` of
 * positions p, q (p = q included): E_s Var(mean of a channel's max-pooled outputs | s) =
 * (1/n²)·Σ_{p,q} Cov(y_p, y_q | s) (`overlappingMaxCovariance` with each pair's k₁, k₂, j), and
 * E[Σ_i m_i²] = Σ_{p,q} P(same argmax) (`sameArgmaxProbability`), n the positions.
 */
export function clippedMaxPairSums(law: ElementLaw, pairs: readonly WindowPairCount[], positions: number): { channelAverageVariance: number; sameArgmaxPairs: number } {
  let covariance = 0, same = 0;
  for (const { k1, k2, j, count } of pairs) {
    covariance += count * overlappingMaxCovariance(law, k1, k2, j);
    same += count * sameArgmaxProbability(k1, k2, j);
  }
  return { channelAverageVariance: covariance / (positions * positions), sameArgmaxPairs: same };
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
  const outer = sharedRule(law);
  let c2 = 0;
  for (let i = 0; i < outer.nodes.length; i++) {
    const c = tieSlope(law, k, outer.nodes[i]);
    c2 += outer.weights[i] * c * c;
  }
  return pairs * c2;
}

/**
 * The same offset for windows of different shapes (clipped at the edges by padding "same"): a unit's mean of its
 * maxima over positions moves by −Σ_δ ρ_δ·Σ_shape f_shape·c_{k_shape}·n_δ(shape), f the fraction of positions with
 * that window shape (rows × cols inside, k = rows·cols, n_δ(shape) = (rows − |dy|)⁺·(cols − |dx|)⁺), so its variance
 * over units is Σ_δ Var ρ_δ·E_s[(Σ_shape f·c_k(s)·n_δ)²]; one full shape gives `maxPoolCorrelationOffsetVariance`.
 */
export function clippedMaxPoolCorrelationOffsetVariance(law: ElementLaw, shapes: readonly { rows: number; cols: number; count: number }[], lagVariance: (dy: number, dx: number) => number): number {
  if (law.window !== 1) return 0;
  let positions = 0, kh = 0, kw = 0;
  for (const shape of shapes) { positions += shape.count; kh = Math.max(kh, shape.rows); kw = Math.max(kw, shape.cols); }
  const outer = sharedRule(law);
  // c_k(s) for each window size with pairs in it, at every node of s.
  const slopes = new Map<number, Float64Array>();
  for (const { rows, cols } of shapes) {
    const k = rows * cols;
    if (k < 2 || slopes.has(k)) continue;
    slopes.set(k, Float64Array.from(outer.nodes, (s) => tieSlope(law, k, s)));
  }
  let sum = 0;
  for (let dy = 0; dy < kh; dy++) for (let dx = -(kw - 1); dx < kw; dx++) {
    if (dy === 0 && dx <= 0) continue;
    const v = lagVariance(dy, dx);
    if (!(v > 0)) continue;
    for (let i = 0; i < outer.nodes.length; i++) {
      let shift = 0;
      for (const { rows, cols, count } of shapes) {
        const n = Math.max(0, rows - dy) * Math.max(0, cols - Math.abs(dx));
        if (n > 0) shift += (count / positions) * slopes.get(rows * cols)![i] * n;
      }
      sum += outer.weights[i] * v * shift * shift;
    }
  }
  return sum;
}

/** c_k(s) = ∫ value′(s, t)·φ(t)²·Φ(t)^{k−2} dt, the tie density's weight on g′ (composite rule on [−9, 9], cached per k). */
function tieSlope(law: ElementLaw, k: number, s: number): number {
  let rule = tieRules.get(k);
  if (!rule) {
    const breaks: number[] = [];
    for (let t = -9; t <= 9 + 1e-9; t += 0.25) breaks.push(t);
    rule = compositeRule(breaks, (t) => normalPdf(t) ** 2 * normalCdf(t) ** (k - 2));
    tieRules.set(k, rule);
  }
  const h = 1e-4;
  let c = 0;
  for (let m = 0; m < rule.nodes.length; m++) {
    const t = rule.nodes[m];
    c += rule.weights[m] * (law.value(s, t + h) - law.value(s, t - h)) / (2 * h);
  }
  return c;
}
