import type { ComputeBackend } from './computeBackend';
import { EMPTY_MOMENTS, mergeMoments, type TensorMoments } from './tensorMoments';

/** Rows per block: about this many floats (2 MiB, so that a block stays in cache from the GEMM to the moments). */
const BLOCK_FLOATS = 1 << 19;

/**
 * Moments of the m×n product A·B (A m×k, B k×n, row-major) computed block of rows by block of rows, so the product is
 * never held whole (the dense weight gradient dW = dpreᵀ·x can be 64 MiB), and merged with `mergeMoments`.
 */
export function blockedGemmMoments(backend: ComputeBackend, m: number, n: number, k: number, a: Float32Array, b: Float32Array): TensorMoments {
  if (m === 0 || n === 0) return EMPTY_MOMENTS;
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK_FLOATS / n));
  const block = backend.allocate(Math.min(rowsPerBlock, m) * n);
  let moments = EMPTY_MOMENTS;
  try {
    for (let r0 = 0; r0 < m; r0 += rowsPerBlock) {
      const rows = Math.min(rowsPerBlock, m - r0);
      const view = block.subarray(0, rows * n);
      backend.gemm(false, false, rows, n, k, a.subarray(r0 * k, (r0 + rows) * k), b, view, false);
      moments = mergeMoments(moments, backend.moments(view));
    }
  } finally {
    backend.release(block);
  }
  return moments;
}
