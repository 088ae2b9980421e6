import type { ComputeBackend } from '../backend/computeBackend';
import { normalCdf, normalQuantile } from '../math/gaussian';
import { type ResolvedInit, truncatedFrame } from './resolveInit';
import { streamKey } from '../random/fill';
import { lowbias32, Rng } from '../random/rng';

/**
 * Fills `out` (a rows × cols row-major weight, or a bias with rows = 1) with values drawn from a resolved init times
 * its multiplier, from stream `stream` of run seed `seed`. Normal and uniform draws are the backend's bulk fills
 * (`fill.ts`) with the multiplier folded into their parameters (mean·k + std·k·z); constants are value·k. Truncated
 * normals use rejection on the bulk fill while the interval holds at least 30% of the mass, inversion
 * u ↦ Φ⁻¹(Φ(α) + u·(Φ(β) − Φ(α))) (as `torch.nn.init.trunc_normal_` does) while it holds at least 1%, and exact
 * rejection samplers in the tail frame below that (`sampleExactTruncated`), bounded in time for any finite parameters. Orthogonal follows
 * `torch.nn.init.orthogonal_`: QR of a Gaussian matrix (transposed when rows < cols), columns times sign(diag R).
 * Those two are multiplied afterwards; orthogonal and inversion draw from `Rng` one value at a time.
 */
export function sampleInit(init: ResolvedInit, seed: number, stream: number, backend: ComputeBackend, out: Float32Array, rows: number, cols: number): void {
  const d = init.distribution;
  const k = init.multiplier;
  switch (d.kind) {
    case 'constant': out.fill(d.value * k); return;
    case 'normal': backend.fillNormal(streamKey(seed, stream), out, d.mean * k, d.std * k); return;
    case 'uniform': backend.fillUniform(streamKey(seed, stream), out, d.low * k, d.high * k); return;
    case 'truncated_normal': sampleTruncatedNormal(backend, seed, stream, out, d.mean, d.std, d.a, d.b); break;
    case 'orthogonal': sampleOrthogonal(new Rng(seed, stream), out, rows, cols, d.gain); break;
  }
  if (k !== 1) {
    for (let i = 0; i < out.length; i++) out[i] *= k;
  }
}

/** Below this mass the inversion's Φ(β) − Φ(α) loses digits; the exact samplers take over (see `moments`). */
const INVERSION_MASS = 0.01;
/**
 * Rounds of rejection before the rest is drawn by the exact sampler; rounds also stop after one that keeps no value.
 * With at least 30% of the mass in [a, b] a round of 4m + 64 draws keeps none with probability below
 * 0.7⁶⁸ ≈ 3·10⁻¹¹, so in practice only an interval that float32 cannot resolve (narrower than the spacing of float32
 * values near the mean, where every draw rounds outside it) ever stops early.
 */
const MAX_REJECTION_ROUNDS = 8;
/** Proposals per value of the exact sampler: each is accepted with probability above 0.2, so 0.8¹⁰⁰⁰ never fails. */
const MAX_PROPOSALS = 1000;

/**
 * Truncated normal. While [a, b] holds at least 30% of the mass: rejection on the bulk fill, i.e. the first n values
 * of fillNormal(stream, mean, std) (float32) that lie in [a, b], drawn in rounds of 4·(n − kept) + 64 values, round
 * r > 0 from key lowbias32(key ⊕ r·0x9e3779b9) (a fixed count, so the kept values do not depend on Φ's rounding),
 * at most 8 and none after a round that kept nothing. While it holds at least 1%: inversion one value at a time from `Rng`. Below that (far tails,
 * where Φ(β) − Φ(α) underflows, and narrow intervals, where it cancels) `sampleExactTruncated`. σ = 0 or a ≥ b: the
 * mean clamped to [a, b].
 */
function sampleTruncatedNormal(backend: ComputeBackend, seed: number, stream: number, out: Float32Array, mean: number, std: number, a: number, b: number): void {
  if (std === 0 || !(a < b)) {
    out.fill(Math.min(Math.max(mean, a), b));
    return;
  }
  const lo = normalCdf((a - mean) / std);
  const hi = normalCdf((b - mean) / std);
  if (hi - lo >= 0.3) {
    const key = streamKey(seed, stream);
    let kept = 0;
    for (let round = 0, before = -1; kept < out.length && kept > before && round < MAX_REJECTION_ROUNDS; round++) {
      before = kept;
      const draws = backend.allocate(4 * (out.length - kept) + 64);
      backend.fillNormal(round === 0 ? key : lowbias32((key ^ Math.imul(round, 0x9e3779b9)) >>> 0), draws, mean, std);
      for (let i = 0; i < draws.length && kept < out.length; i++) {
        const v = draws[i];
        if (v >= a && v <= b) out[kept++] = v;
      }
      backend.release(draws);
    }
    if (kept < out.length) sampleExactTruncated(new Rng(seed, stream), out.subarray(kept), mean, std, a, b);
    return;
  }
  const rng = new Rng(seed, stream);
  if (hi - lo < INVERSION_MASS) {
    sampleExactTruncated(rng, out, mean, std, a, b);
    return;
  }
  for (let i = 0; i < out.length; i++) {
    const p = lo + (hi - lo) * rng.uniform();
    out[i] = Math.min(Math.max(mean + std * normalQuantile(Math.min(Math.max(p, 1e-300), 1 - 1e-16)), a), b);
  }
}

/**
 * Exact sampling of N(μ, σ²) on [a, b] (σ > 0, a < b) for any finite parameters, without Φ: in the frame of
 * `truncatedFrame`, y on [0, w] with density ∝ e^{−l·y − y²/2} by rejection from
 * - a uniform proposal on [0, w], accepted with probability e^{−l·y − y²/2}, when l·w + w²/2 ≤ 1;
 * - a truncated exponential of rate l, y = −ln(1 − u(1 − e^{−l·w}))/l, accepted with probability e^{−y²/2}, when
 *   l ≥ 1 (Robert, 1995, "Simulation of truncated normal variables");
 * - otherwise |z| for z ~ N(0, 1), accepted when it lies in [l, l + w];
 * and around the mean, a uniform proposal on [−left, right] accepted with probability e^{−x²/2} when the interval is
 * at most 2σ wide, else z ~ N(0, 1) accepted inside it. Each proposal is accepted with probability above 0.2, so the
 * time is bounded (at most `MAX_PROPOSALS` per value, after which the last proposal, inside [a, b], is kept).
 * Uniforms have 48 bits. A vanishing interval far from μ gives the point mass at the nearer bound, as the limit does.
 */
function sampleExactTruncated(rng: Rng, out: Float32Array, mean: number, std: number, a: number, b: number): void {
  const u48 = (): number => rng.uniform() + rng.uniform() * 5.9604644775390625e-8;
  const frame = truncatedFrame(mean, std, a, b);
  const clamp = (x: number): number => Math.min(Math.max(x, a), b);
  if (frame.side === 'around') {
    const { left, right } = frame;
    const narrow = left + right <= 2;
    for (let i = 0; i < out.length; i++) {
      let x = 0;
      for (let tries = 0; tries < MAX_PROPOSALS; tries++) {
        if (narrow) {
          x = -left + (left + right) * u48();
          if (u48() < Math.exp(-0.5 * x * x)) break;
        } else {
          x = rng.normal();
          if (x >= -left && x <= right) break;
          x = 0;
        }
      }
      out[i] = clamp(mean + std * x);
    }
    return;
  }
  const { l, w } = frame;
  const sign = frame.side === 'above' ? 1 : -1;
  const method = l * w + 0.5 * w * w <= 1 ? 'uniform' : l >= 1 ? 'exponential' : 'normal';
  // 1 − e^{−l·w}, the exponential's mass on [0, w] (1 when l·w is huge).
  const expMass = -Math.expm1(-l * w);
  for (let i = 0; i < out.length; i++) {
    let y = 0;
    for (let tries = 0; tries < MAX_PROPOSALS; tries++) {
      if (method === 'uniform') {
        y = w * u48();
        if (u48() < Math.exp(-(l * y + 0.5 * y * y))) break;
      } else if (method === 'exponential') {
        y = Math.min(-Math.log1p(-u48() * expMass) / l, w);
        if (u48() < Math.exp(-0.5 * y * y)) break;
      } else {
        const x = Math.abs(rng.normal());
        y = x - l;
        if (y >= 0 && y <= w) break;
        y = 0;
      }
    }
    out[i] = clamp(frame.bound + sign * std * y);
  }
}

/** Householder QR in float64 of a tall m×n Gaussian matrix (m ≥ n), Q formed explicitly and sign-corrected. */
function sampleOrthogonal(rng: Rng, out: Float32Array, rows: number, cols: number, gain: number): void {
  const transpose = rows < cols;
  const m = transpose ? cols : rows;
  const n = transpose ? rows : cols;
  // a is column-major m×n: column j at a[j*m ... j*m+m).
  const a = new Float64Array(m * n);
  for (let i = 0; i < m * n; i++) a[i] = rng.normal();
  const vs = new Float64Array(m * n);
  const rDiagSign = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const col = j * m;
    let norm = 0;
    for (let i = j; i < m; i++) norm += a[col + i] * a[col + i];
    norm = Math.sqrt(norm);
    const alpha = a[col + j] > 0 ? -norm : norm;
    // v = x − αe₁, normalized; R_jj = α.
    let vnorm = 0;
    for (let i = j; i < m; i++) {
      const v = a[col + i] - (i === j ? alpha : 0);
      vs[col + i] = v;
      vnorm += v * v;
    }
    vnorm = Math.sqrt(vnorm);
    if (vnorm > 0) for (let i = j; i < m; i++) vs[col + i] /= vnorm;
    rDiagSign[j] = alpha >= 0 ? 1 : -1;
    for (let k = j + 1; k < n; k++) {
      const ck = k * m;
      let dot = 0;
      for (let i = j; i < m; i++) dot += vs[col + i] * a[ck + i];
      for (let i = j; i < m; i++) a[ck + i] -= 2 * dot * vs[col + i];
    }
  }
  // Q = H₀H₁…H_{n−1}·[I; 0], applied right to left to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * m + j] = 1;
  for (let h = n - 1; h >= 0; h--) {
    const col = h * m;
    for (let k = 0; k < n; k++) {
      const ck = k * m;
      let dot = 0;
      for (let i = h; i < m; i++) dot += vs[col + i] * q[ck + i];
      if (dot !== 0) for (let i = h; i < m; i++) q[ck + i] -= 2 * dot * vs[col + i];
    }
  }
  for (let j = 0; j < n; j++) {
    const s = rDiagSign[j] * gain;
    for (let i = 0; i < m; i++) {
      const v = q[j * m + i] * s;
      // Q is m×n (tall); the weight is rows×cols: Q itself, or Qᵀ when the matrix was transposed.
      if (transpose) out[j * cols + i] = v;
      else out[i * cols + j] = v;
    }
  }
}
