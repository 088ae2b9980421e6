import type { ComputeBackend } from './computeBackend';
import type { TensorMoments } from './tensorMoments';

/** The moments of a product that std needs: count, mean and M2 = Σ(c − mean)². */
export type ProductMoments = Pick<TensorMoments, 'count' | 'mean' | 'm2'>;

/**
 * Count, mean and M2 of the m×n product C = Aᵀ·B (A stored k×m, B k×n, row-major) without forming C: the weight
 * gradient dW = dpreᵀ·x over k rows of a batch. From the two k×k Gram matrices:
 *   Σ_ij C_ij = Σ_r (Σ_i A_ri)(Σ_j B_rj),   Σ_ij C_ij² = ‖AᵀB‖_F² = tr(AᵀB·BᵀA) = Σ_{r,s} (A·Aᵀ)_rs·(B·Bᵀ)_rs,
 * M2 = Σ C² − (Σ C)²/(m·n): O(k²·(m + n)) work instead of the O(k·m·n) of the product.
 * - Few rows (k·(m + n) ≤ m·n/8: a small batch through wide layers): the Grams in float64 loops.
 * - More rows, while the Grams' upper triangles, k²·(m + n)/2 multiply–adds, cost at most half the product's and
 *   the product has 2¹⁸ entries or more (GPT-2's 512 rows of tokens through 768 × 3072 weights: 0.42; measured 47
 *   against 81 ms for the fused qkv weight): the Grams by the backend's GEMM in row blocks of the upper triangle
 *   (float32 products, as the product's own), summed in float64.
 * Where the mean dominates (M2 below 10⁻⁹ of Σ C² for float64 Grams, 10⁻³ for float32 ones, whose difference would
 * lose the digits) and otherwise, `backend.gemmMoments` forms C block by block.
 */
export function productMoments(backend: ComputeBackend, m: number, n: number, k: number, a: Float32Array, b: Float32Array): ProductMoments {
  const count = m * n;
  // Float64 loops for few rows; else the backend's GEMM, whose float32 Grams keep fewer digits through a cancellation.
  const loops = k * (m + n) <= count / 8;
  if (loops || (k * (m + n) <= count && count >= GRAM_MIN_COUNT)) {
    const sumA = rowSums(a, k, m);
    const sumB = rowSums(b, k, n);
    let sum = 0;
    for (let r = 0; r < k; r++) sum += sumA[r] * sumB[r];
    const squares = loops ? gramProduct(a, b, k, m, n) : blockedGramProduct(backend, a, b, k, m, n);
    const m2 = squares - (sum * sum) / count;
    if (m2 >= (loops ? 1e-9 : 1e-3) * squares) return { count, mean: sum / count, m2 };
  }
  return backend.gemmMoments(m, n, k, a, b, true);
}

/** Σ_{r,s} (A·Aᵀ)_rs·(B·Bᵀ)_rs for A k×m and B k×n, the Grams in float64 loops (symmetric: pairs r < s twice). */
function gramProduct(a: Float32Array, b: Float32Array, k: number, m: number, n: number): number {
  const ga = gram(a, k, m);
  const gb = gram(b, k, n);
  let squares = 0;
  for (let r = 0; r < k; r++) {
    squares += ga[r * k + r] * gb[r * k + r];
    for (let s = r + 1; s < k; s++) squares += 2 * ga[r * k + s] * gb[r * k + s];
  }
  return squares;
}

/** Rows of a Gram block: 64 rows by up to k columns, two such blocks in the backend's memory at a time. */
const GRAM_BLOCK_ROWS = 64;
/** Below this many entries the product is formed (a GEMM's fixed costs outweigh the saving). */
const GRAM_MIN_COUNT = 1 << 18;

/**
 * Σ_{r,s} (A·Aᵀ)_rs·(B·Bᵀ)_rs for A k×m and B k×n (row-major), each Gram computed by `backend.gemm` in blocks of
 * rows r0..r1 against rows r0..k (its upper triangle and the diagonal blocks whole), the pairs r < s counted twice.
 */
function blockedGramProduct(backend: ComputeBackend, a: Float32Array, b: Float32Array, k: number, m: number, n: number): number {
  const ga = backend.allocate(GRAM_BLOCK_ROWS * k);
  const gb = backend.allocate(GRAM_BLOCK_ROWS * k);
  let squares = 0;
  try {
    for (let r0 = 0; r0 < k; r0 += GRAM_BLOCK_ROWS) {
      const rows = Math.min(GRAM_BLOCK_ROWS, k - r0);
      const cols = k - r0;
      backend.gemm(false, true, rows, cols, m, a.subarray(r0 * m, (r0 + rows) * m), a.subarray(r0 * m), ga, false);
      backend.gemm(false, true, rows, cols, n, b.subarray(r0 * n, (r0 + rows) * n), b.subarray(r0 * n), gb, false);
      for (let i = 0; i < rows; i++) {
        const at = i * cols;
        squares += ga[at + i] * gb[at + i];
        let off = 0;
        for (let j = i + 1; j < cols; j++) off += ga[at + j] * gb[at + j];
        squares += 2 * off;
      }
    }
  } finally {
    backend.release(ga);
    backend.release(gb);
  }
  return squares;
}

/** Σ_j X_rj of each of the k rows of a k×cols row-major X, in float64. */
function rowSums(x: Float32Array, k: number, cols: number): Float64Array {
  const out = new Float64Array(k);
  for (let r = 0; r < k; r++) {
    let s = 0;
    for (let j = r * cols, end = j + cols; j < end; j++) s += x[j];
    out[r] = s;
  }
  return out;
}

/** The upper triangle (with the diagonal) of X·Xᵀ for a k×cols row-major X, in float64, as a k×k array. */
function gram(x: Float32Array, k: number, cols: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let r = 0; r < k; r++) {
    const ro = r * cols;
    for (let s = r; s < k; s++) {
      const so = s * cols;
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += x[ro + j] * x[so + j];
      g[r * k + s] = dot;
    }
  }
  return g;
}
