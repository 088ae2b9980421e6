import type { ComputeBackend, ConvGeometry, NormGroups } from '../computeBackend';
import { activateInto, multiplyByDerivative } from '../../math/activation';
import { fillNormalRange, fillUniformRange } from '../../random/fill';
import { blockedGemmMoments } from '../blockedGemmMoments';
import { countDistinctRows } from '../../sampled/layerStats';
import type { TensorMoments } from '../tensorMoments';
import { referenceAttentionBackward, referenceAttentionForward, referenceRotary } from './referenceAttention';

/**
 * The reference compute backend: plain TypeScript loops on Float32Array, written for clarity first and cache order
 * second. It is the oracle every faster backend is checked against.
 */
export const referenceBackend: ComputeBackend = {
  name: 'typescript-reference',
  allocate: (length) => new Float32Array(length),
  release: () => undefined,
  gemm,
  gemmMoments(m: number, n: number, k: number, a: Float32Array, b: Float32Array, transA = false): TensorMoments {
    if (!transA) return blockedGemmMoments(referenceBackend, m, n, k, a, b);
    const at = new Float32Array(m * k);
    transpose(a, k, m, at);
    return blockedGemmMoments(referenceBackend, m, n, k, at, b);
  },
  fillNormal: (key, out, mean, std, start = 0) => fillNormalRange(key, out, mean, std, start),
  fillUniform: (key, out, low, high, start = 0) => fillUniformRange(key, out, low, high - low, start),
  moments,
  histogram,
  countOutside(x: Float32Array, lo: number, hi: number): number {
    let count = 0;
    for (let i = 0; i < x.length; i++) if (x[i] < lo || x[i] > hi) count++;
    return count;
  },
  countDeadUnits(z: Float32Array, batch: number, units: number): number {
    let dead = 0;
    for (let u = 0; u < units; u++) {
      let alive = false;
      for (let b = 0; b < batch && !alive; b++) alive = z[b * units + u] > 0;
      if (!alive) dead++;
    }
    return dead;
  },
  distinctRows: countDistinctRows,
  activate: activateInto,
  multiplyByDerivative,
  transpose,
  attentionForward: (shape, q, k, v, out, rowStats) => referenceAttentionForward(gemm, shape, q, k, v, out, rowStats),
  attentionBackward: (shape, q, k, v, _rowStats, dOut, dq, dk, dv) => referenceAttentionBackward(gemm, shape, q, k, v, dOut, dq, dk, dv),
  rotary: referenceRotary,
  im2col,
  col2im,
  normalize,
  normalizeBackward,
};

/** out[c·rows + r] = x[r·cols + c]. */
function transpose(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
}

/** Calls f(at, i) for every element of group g in order (run by run), i its position within its run. */
function forEachInGroup(groups: NormGroups, g: number, f: (at: number, i: number) => void): void {
  for (let s = 0; s < groups.segments; s++) {
    const base = g * groups.groupStride + s * groups.segmentStride;
    for (let i = 0; i < groups.length; i++) f(base + i, i);
  }
}

/** See `ComputeBackend.normalize`. */
function normalize(x: Float32Array, xhat: Float32Array, y: Float32Array | null, gain: Float32Array | null, groups: NormGroups, eps: number, center: boolean, invStd: Float64Array): void {
  const n = groups.segments * groups.length;
  for (let g = 0; g < groups.groups; g++) {
    let sum = 0;
    if (center) forEachInGroup(groups, g, (at) => { sum += x[at]; });
    const mean = sum / n;
    let m2 = 0;
    forEachInGroup(groups, g, (at) => { const d = x[at] - mean; m2 += d * d; });
    const inv = 1 / Math.sqrt(m2 / n + eps);
    invStd[g] = inv;
    forEachInGroup(groups, g, (at, i) => {
      xhat[at] = (x[at] - mean) * inv;
      if (y && gain) y[at] = xhat[at] * gain[i];
    });
  }
}

/** See `ComputeBackend.normalizeBackward`. */
function normalizeBackward(xhat: Float32Array, dy: Float32Array, gain: Float32Array | null, invStd: Float64Array, groups: NormGroups, center: boolean, dx: Float32Array): void {
  const n = groups.segments * groups.length;
  const d = gain ? (at: number, i: number): number => dy[at] * gain[i] : (at: number): number => dy[at];
  for (let g = 0; g < groups.groups; g++) {
    let sumDy = 0;
    let sumDyX = 0;
    forEachInGroup(groups, g, (at, i) => { const v = d(at, i); sumDy += v; sumDyX += v * xhat[at]; });
    const meanDy = center ? sumDy / n : 0;
    const meanDyX = sumDyX / n;
    forEachInGroup(groups, g, (at, i) => { dx[at] = invStd[g] * (d(at, i) - meanDy - xhat[at] * meanDyX); });
  }
}

/** C ← op(A)·op(B) (+ C); see `ComputeBackend.gemm`. Loop orders keep the innermost loop on contiguous rows. */
function gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean): void {
  if (!accumulate) c.fill(0, 0, m * n);
  if (!transB) {
    // C_i += Σ_p A[i,p]·B_p, four rows of B per pass so each row of C is loaded and stored a quarter as often.
    const at = transA ? (i: number, p: number): number => a[p * m + i] : (i: number, p: number): number => a[i * k + p];
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const b0 = p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
      for (let i = 0; i < m; i++) {
        const a0 = at(i, p), a1 = at(i, p + 1), a2 = at(i, p + 2), a3 = at(i, p + 3);
        if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
        const cRow = i * n;
        for (let j = 0; j < n; j++) c[cRow + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
      }
    }
    for (; p < k; p++) {
      const bRow = p * n;
      for (let i = 0; i < m; i++) {
        const av = at(i, p);
        if (av === 0) continue;
        const cRow = i * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
      }
    }
    return;
  }
  if (!transA) {
    // C[i,j] = A_i · B_j (both rows contiguous); four rows of A share each pass over a row of B.
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let p = 0; p < k; p++) {
          const bv = b[bj + p];
          s0 += a[a0 + p] * bv;
          s1 += a[a1 + p] * bv;
          s2 += a[a2 + p] * bv;
          s3 += a[a3 + p] * bv;
        }
        c[i * n + j] += s0;
        c[(i + 1) * n + j] += s1;
        c[(i + 2) * n + j] += s2;
        c[(i + 3) * n + j] += s3;
      }
    }
    for (; i < m; i++) {
      const ai = i * k;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        c[i * n + j] += s;
      }
    }
    return;
  }
  // Both transposed (rare): C[i,j] = Σ_p A[p,i]·B[j,p].
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[p * m + i] * b[j * k + p];
      c[i * n + j] += s;
    }
  }
}

function moments(x: Float32Array): TensorMoments {
  const n = x.length;
  if (n === 0) return { count: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    m2 += d * d;
  }
  return { count: n, mean, m2, min, max };
}

function histogram(x: Float32Array, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const scale = bins / (hi - lo);
  for (let i = 0; i < x.length; i++) {
    let bin = Math.floor((x[i] - lo) * scale);
    if (bin !== bin) continue;
    if (bin < 0) bin = 0;
    else if (bin >= bins) bin = bins - 1;
    counts[bin]++;
  }
  return counts;
}

function im2col(x: Float32Array, g: ConvGeometry, cols: Float32Array): void {
  const outSize = g.outHeight * g.outWidth;
  for (let c = 0; c < g.channels; c++) {
    for (let i = 0; i < g.kernelHeight; i++) {
      for (let j = 0; j < g.kernelWidth; j++) {
        const row = ((c * g.kernelHeight + i) * g.kernelWidth + j) * outSize;
        for (let oy = 0; oy < g.outHeight; oy++) {
          const y = oy * g.strideHeight + i - g.padTop;
          const dst = row + oy * g.outWidth;
          if (y < 0 || y >= g.height) {
            cols.fill(0, dst, dst + g.outWidth);
            continue;
          }
          const src = (c * g.height + y) * g.width;
          for (let ox = 0; ox < g.outWidth; ox++) {
            const xx = ox * g.strideWidth + j - g.padLeft;
            cols[dst + ox] = xx >= 0 && xx < g.width ? x[src + xx] : 0;
          }
        }
      }
    }
  }
}

function col2im(cols: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const outSize = g.outHeight * g.outWidth;
  for (let c = 0; c < g.channels; c++) {
    for (let i = 0; i < g.kernelHeight; i++) {
      for (let j = 0; j < g.kernelWidth; j++) {
        const row = ((c * g.kernelHeight + i) * g.kernelWidth + j) * outSize;
        for (let oy = 0; oy < g.outHeight; oy++) {
          const y = oy * g.strideHeight + i - g.padTop;
          if (y < 0 || y >= g.height) continue;
          const src = row + oy * g.outWidth;
          const dst = (c * g.height + y) * g.width;
          for (let ox = 0; ox < g.outWidth; ox++) {
            const xx = ox * g.strideWidth + j - g.padLeft;
            if (xx >= 0 && xx < g.width) dx[dst + xx] += cols[src + ox];
          }
        }
      }
    }
  }
}
