import type { ComputeBackend } from '../backend/computeBackend';
import { normalCdf, normalQuantile } from '../math/gaussian';
import type { ResolvedInit } from './resolveInit';
import { streamKey } from '../random/fill';
import { lowbias32, Rng } from '../random/rng';

/**
 * Fills `out` (a rows × cols row-major weight, or a bias with rows = 1) with values drawn from a resolved init times
 * its multiplier, from stream `stream` of run seed `seed`. Normal and uniform draws are the backend's bulk fills
 * (`fill.ts`) with the multiplier folded into their parameters (mean·k + std·k·z); constants are value·k. Truncated
 * normals use rejection on the bulk fill while the interval holds at least 30% of the mass, and inversion
 * u ↦ Φ⁻¹(Φ(α) + u·(Φ(β) − Φ(α))) otherwise (as `torch.nn.init.trunc_normal_` does). Orthogonal follows
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

/**
 * Truncated normal. While [a, b] holds at least 30% of the mass: rejection on the bulk fill, i.e. the first n values
 * of fillNormal(stream, mean, std) (float32) that lie in [a, b], drawn in rounds of 4·(n − kept) + 64 values, round
 * r > 0 from key lowbias32(key ⊕ r·0x9e3779b9) (a fixed count, so the kept values do not depend on Φ's rounding).
 * Otherwise inversion one value at a time from `Rng`.
 */
function sampleTruncatedNormal(backend: ComputeBackend, seed: number, stream: number, out: Float32Array, mean: number, std: number, a: number, b: number): void {
  if (std === 0) {
    out.fill(Math.min(Math.max(mean, a), b));
    return;
  }
  const lo = normalCdf((a - mean) / std);
  const hi = normalCdf((b - mean) / std);
  if (hi - lo >= 0.3) {
    const key = streamKey(seed, stream);
    let kept = 0;
    for (let round = 0; kept < out.length; round++) {
      const draws = backend.allocate(4 * (out.length - kept) + 64);
      backend.fillNormal(round === 0 ? key : lowbias32((key ^ Math.imul(round, 0x9e3779b9)) >>> 0), draws, mean, std);
      for (let i = 0; i < draws.length && kept < out.length; i++) {
        const v = draws[i];
        if (v >= a && v <= b) out[kept++] = v;
      }
      backend.release(draws);
    }
    return;
  }
  const rng = new Rng(seed, stream);
  for (let i = 0; i < out.length; i++) {
    const p = lo + (hi - lo) * rng.uniform();
    out[i] = Math.min(Math.max(mean + std * normalQuantile(Math.min(Math.max(p, 1e-300), 1 - 1e-16)), a), b);
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
