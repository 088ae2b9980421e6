import type { ComputeBackend } from '../backend/computeBackend';
import { EMPTY_MOMENTS, mergeMoments, type TensorMoments } from '../backend/tensorMoments';
import type { ResolvedInit } from '../init/resolveInit';
import { streamKey } from '../random/fill';

// A weight streamed by rows: drawn block after block from its random stream and used at once, so that a layer of any
// size holds one block instead of its whole matrix (an 8B model's 525 M-entry embedding table, its 58 M-entry MLP
// projections). Every value of the bulk fills depends on its index only (`random/fill.ts`), so a block holds exactly
// the values the whole matrix would; the products split over output rows, which keeps each output's sum over the
// same terms in the same order (y = x·Wᵀ is bit for bit the whole product's), while dx = dy·W adds the blocks'
// partial sums one after the other (float32 rounding of a different order).

/** Floats of one block: 1 Mi (4 MiB), a few of the kernels' 1 MiB of L2-sized panels, well above a GEMM's overhead. */
export const STREAM_BLOCK_FLOATS = 1 << 20;
/**
 * Weights above this many floats (16 MiB) are streamed. Below it a whole weight costs little memory, and drawing it
 * in one piece keeps its products whole (on twelve GPT-2-small blocks, 2.4 M-float weights streamed in 1 Mi-float
 * blocks made the run 8% slower).
 */
export const STREAM_MIN_FLOATS = 4 * STREAM_BLOCK_FLOATS;
/** The largest stream a block may start in: the kernels address a stream's values by 32-bit byte offsets. */
const MAX_STREAM_FLOATS = 2 ** 30;

/** A weight as its random stream draws it: [rows, cols] row-major from stream `stream` of the run's seed. */
export interface WeightSource {
  stream: number;
  init: ResolvedInit;
  rows: number;
  cols: number;
  /** A row drawn as zeros (an embedding's padding_idx), else null. */
  zeroRow: number | null;
  /** Floats of one block (STREAM_BLOCK_FLOATS; tests use small ones); a block holds at least one row. */
  blockFloats: number;
}

/**
 * Whether a weight is drawn block by block: its init is drawn value by value (normal, uniform, constant: the
 * truncated normal's rejection and the orthogonal init's QR need the whole matrix), and it has more than `minFloats`
 * values (STREAM_MIN_FLOATS; tests stream small weights).
 */
export function isStreamable(init: ResolvedInit, rows: number, cols: number, minFloats = STREAM_MIN_FLOATS): boolean {
  const kind = init.distribution.kind;
  return (kind === 'normal' || kind === 'uniform' || kind === 'constant') && rows * cols > minFloats && rows * cols <= MAX_STREAM_FLOATS;
}

/**
 * The floats a weight holds while an op uses it: one block when it is streamed (`isStreamable`) and, for its
 * products, the block's [m, block rows] staging of x·Wᵀ or of dy's columns; else the whole matrix.
 */
export function weightFloatsInFlight(init: ResolvedInit, rows: number, cols: number, m: number): number {
  if (!isStreamable(init, rows, cols)) return rows * cols;
  const per = blockRows(rows, cols, STREAM_BLOCK_FLOATS);
  return per * cols + m * per;
}

/** Rows per block: as many whole rows as fit in `blockFloats`, at least one. */
function blockRows(rows: number, cols: number, blockFloats: number): number {
  return Math.max(1, Math.min(rows, Math.floor(blockFloats / cols)));
}

/**
 * Draws rows [r0, r1) of a weight into `out` ((r1 − r0)·cols floats): values [r0·cols, r1·cols) of its stream, as
 * `sampleInit` draws the whole (the multiplier folded into the fill's parameters).
 */
export function drawWeightRows(backend: ComputeBackend, seed: number, src: WeightSource, r0: number, out: Float32Array): void {
  const d = src.init.distribution;
  const k = src.init.multiplier;
  const start = r0 * src.cols;
  switch (d.kind) {
    case 'constant': out.fill(d.value * k); break;
    case 'normal': backend.fillNormal(streamKey(seed, src.stream), out, d.mean * k, d.std * k, start); break;
    case 'uniform': backend.fillUniform(streamKey(seed, src.stream), out, d.low * k, d.high * k, start); break;
    default: throw new Error(`a ${d.kind} init cannot be drawn by rows`);
  }
  const zero = src.zeroRow;
  if (zero !== null && zero >= r0 && zero < r0 + out.length / src.cols) out.fill(0, (zero - r0) * src.cols, (zero - r0 + 1) * src.cols);
}

/** Calls `visit(block, r0, r1)` for the row blocks of a weight in order, each drawn into a block the call reuses. */
export function forEachWeightBlock(backend: ComputeBackend, seed: number, src: WeightSource, visit: (block: Float32Array, r0: number, r1: number) => void): void {
  const per = blockRows(src.rows, src.cols, src.blockFloats);
  const buffer = backend.allocate(per * src.cols);
  try {
    for (let r0 = 0; r0 < src.rows; r0 += per) {
      const r1 = Math.min(src.rows, r0 + per);
      const block = r1 - r0 === per ? buffer : buffer.subarray(0, (r1 - r0) * src.cols);
      drawWeightRows(backend, seed, src, r0, block);
      visit(block, r0, r1);
    }
  } finally {
    backend.release(buffer);
  }
}

/**
 * y = x·Wᵀ for m rows of x ([m, cols]) into y ([m, rows]), W drawn block by block: block [r0, r1) gives columns
 * [r0, r1) of y. Returns the moments of W (merged over the blocks, Chan et al.), which the report gives as its std.
 */
export function streamedProject(backend: ComputeBackend, seed: number, src: WeightSource, x: Float32Array, m: number, y: Float32Array): TensorMoments {
  let moments = EMPTY_MOMENTS;
  const staged = backend.allocate(m * blockRows(src.rows, src.cols, src.blockFloats));
  try {
    forEachWeightBlock(backend, seed, src, (block, r0, r1) => {
      const n = r1 - r0;
      const part = staged.subarray(0, m * n);
      backend.gemm(false, true, m, n, src.cols, x, block, part, false);
      for (let i = 0; i < m; i++) y.set(part.subarray(i * n, (i + 1) * n), i * src.rows + r0);
      moments = mergeMoments(moments, backend.moments(block));
    });
  } finally {
    backend.release(staged);
  }
  return moments;
}

/**
 * dx = dy·W (or dx += dy·W when `accumulate`) for m rows of dy ([m, rows]) into dx ([m, cols]), W drawn block by
 * block: dx gathers dy[:, r0:r1]·W[r0:r1, :] over the blocks.
 */
export function streamedInputGradient(backend: ComputeBackend, seed: number, src: WeightSource, dy: Float32Array, m: number, dx: Float32Array, accumulate: boolean): void {
  const staged = backend.allocate(m * blockRows(src.rows, src.cols, src.blockFloats));
  try {
    forEachWeightBlock(backend, seed, src, (block, r0, r1) => {
      const n = r1 - r0;
      const part = staged.subarray(0, m * n);
      for (let i = 0; i < m; i++) part.set(dy.subarray(i * src.rows + r0, i * src.rows + r1), i * n);
      backend.gemm(false, false, m, src.cols, n, part, block, dx, accumulate || r0 > 0);
    });
  } finally {
    backend.release(staged);
  }
}

/** The moments of a weight drawn block by block (its std for the report, without holding it). */
export function streamedWeightMoments(backend: ComputeBackend, seed: number, src: WeightSource): TensorMoments {
  let moments = EMPTY_MOMENTS;
  forEachWeightBlock(backend, seed, src, (block) => { moments = mergeMoments(moments, backend.moments(block)); });
  return moments;
}
