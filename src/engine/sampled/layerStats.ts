import { type Activation, canDie, saturationBounds } from '../math/activation';
import type { ComputeBackend } from '../backend/computeBackend';
import { momentsStd } from '../backend/tensorMoments';

/** Number of histogram bins for every layer. */
export const HISTOGRAM_BINS = 40;

export interface Histogram {
  /** bins + 1 increasing edges. */
  edges: number[];
  counts: number[];
}

/** What the sampled run measured on one layer's output. */
export interface OutputStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  histogram: Histogram;
  saturatedFraction: number;
  deadFraction: number;
}

/**
 * The histogram range for a layer: the activation's range when bounded (tanh [−1, 1], sigmoid [0, 1]), else
 * [−R₋, R₊] with R the sample's extreme rounded up to 1, 2, 2.5 or 5 × 10^k, so that charts share round edges.
 */
export function histogramRange(act: Activation, min: number, max: number): [number, number] {
  if (act.name === 'tanh') return [-1, 1];
  if (act.name === 'sigmoid') return [0, 1];
  const lo = min < 0 ? -niceCeil(-min) : 0;
  const hi = max > 0 ? niceCeil(max) : 0;
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

function niceCeil(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const exp = Math.floor(Math.log10(x));
  const base = Math.pow(10, exp);
  for (const step of [1, 2, 2.5, 5, 10]) if (step * base >= x * (1 - 1e-12)) return step * base;
  return 10 * base;
}

/**
 * Statistics of a layer's output `y` ([batch, units] row-major) given its pre-activation `z`: moments in float64,
 * a fixed-bin histogram, the fraction of saturated outputs (|tanh| > 0.99, sigmoid outside (0.01, 0.99)) and the
 * fraction of dead units (ReLU family: z ≤ 0 for every sample of the batch).
 */
export function outputStats(backend: ComputeBackend, act: Activation, z: Float32Array, y: Float32Array, batch: number): OutputStats {
  const m = backend.moments(y);
  const [lo, hi] = histogramRange(act, m.min, m.max);
  const counts = backend.histogram(y, lo, hi, HISTOGRAM_BINS);
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => lo + ((hi - lo) * i) / HISTOGRAM_BINS);
  const bounds = saturationBounds(act.name);
  const saturated = bounds ? backend.countOutside(y, bounds[0], bounds[1]) : 0;
  const units = z.length / batch;
  const deadFraction = canDie(act.name) && units > 0 ? backend.countDeadUnits(z, batch, units) / units : 0;
  return { mean: m.mean, std: momentsStd(m), min: m.min, max: m.max, histogram: { edges, counts }, saturatedFraction: saturated / y.length, deadFraction };
}

/**
 * The number of distinct units of a weight layer: rows of W (with their bias) that are bit-for-bit equal count as
 * one, as after zero or constant init, where every unit computes the same function (the symmetry problem). Rows are
 * grouped by a 32-bit FNV-1a hash of their float bits, then compared exactly within a group (`groupDistinctRows`).
 */
export function countDistinctRows(w: Float32Array, rows: number, cols: number, bias: Float32Array | null): number {
  const bits = new Int32Array(w.buffer, w.byteOffset, rows * cols);
  const hashes = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let h = 0x811c9dc5;
    const base = r * cols;
    for (let c = 0; c < cols; c++) h = Math.imul(h ^ bits[base + c], 0x01000193);
    hashes[r] = h;
  }
  return groupDistinctRows(w, rows, cols, bias, hashes);
}

/**
 * The number of distinct rows (with their bias) given any hash of each row's float bits (`hashes`, one per row,
 * overwritten): rows are sorted by hash (mixed with the bias bits) with a stable two-pass radix sort, then compared
 * exactly within each run of equal hashes, so the count does not depend on the hash. Memory: two row-index arrays
 * (8 bytes per row) and a 256 KiB count table, whatever the number of rows (a Map of groups cost some 80 bytes per
 * row, and cannot hold more than 2²⁴ of them).
 */
export function groupDistinctRows(w: Float32Array, rows: number, cols: number, bias: Float32Array | null, hashes: Int32Array): number {
  const bits = new Int32Array(w.buffer, w.byteOffset, rows * cols);
  const biasBits = bias ? new Int32Array(bias.buffer, bias.byteOffset, rows) : null;
  const keys = new Uint32Array(hashes.buffer, hashes.byteOffset, rows);
  if (biasBits) for (let r = 0; r < rows; r++) keys[r] = Math.imul(hashes[r] ^ biasBits[r], 0x01000193);
  let order = new Uint32Array(rows);
  let spare = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) order[r] = r;
  const counts = new Uint32Array(65537);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let r = 0; r < rows; r++) counts[((keys[r] >>> shift) & 0xffff) + 1]++;
    for (let d = 1; d <= 65536; d++) counts[d] += counts[d - 1];
    for (let i = 0; i < rows; i++) {
      const r = order[i];
      spare[counts[(keys[r] >>> shift) & 0xffff]++] = r;
    }
    [order, spare] = [spare, order];
  }
  let distinct = 0;
  const representatives: number[] = [];
  for (let i = 0; i < rows; ) {
    let end = i + 1;
    while (end < rows && keys[order[end]] === keys[order[i]]) end++;
    representatives.length = 0;
    for (let j = i; j < end; j++) {
      const r = order[j];
      if (!representatives.some((other) => rowsEqual(bits, biasBits, r, other, cols))) representatives.push(r);
    }
    distinct += representatives.length;
    i = end;
  }
  return distinct;
}

function rowsEqual(bits: Int32Array, biasBits: Int32Array | null, a: number, b: number, cols: number): boolean {
  if (biasBits && biasBits[a] !== biasBits[b]) return false;
  for (let c = 0; c < cols; c++) if (bits[a * cols + c] !== bits[b * cols + c]) return false;
  return true;
}
