import type { ComputeBackend } from './computeBackend';
import type { TensorMoments } from './tensorMoments';

/** The moments of a product that std needs: count, mean and M2 = Σ(c − mean)². */
export type ProductMoments = Pick<TensorMoments, 'count' | 'mean' | 'm2'>;

/**
 * Count, mean and M2 of the m×n product C = Aᵀ·B (A stored k×m, B k×n, row-major) without forming C: the weight
 * gradient dW = dpreᵀ·x over k rows of a batch. With few rows (k·(m + n) ≤ m·n/8: a small batch through wide
 * layers) from the two k×k Gram matrices, in float64:
 *   Σ_ij C_ij = Σ_r (Σ_i A_ri)(Σ_j B_rj),   Σ_ij C_ij² = ‖AᵀB‖_F² = tr(AᵀB·BᵀA) = Σ_{r,s} (A·Aᵀ)_rs·(B·Bᵀ)_rs,
 * M2 = Σ C² − (Σ C)²/(m·n): O(k²·(m + n)) work instead of the O(k·m·n) of the product. Where the mean dominates
 * (M2 < 10⁻⁹·Σ C², whose difference would lose digits) and otherwise, `backend.gemmMoments` forms C block by block.
 */
export function productMoments(backend: ComputeBackend, m: number, n: number, k: number, a: Float32Array, b: Float32Array): ProductMoments {
  const count = m * n;
  if (k * (m + n) <= count / 8) {
    const sumA = rowSums(a, k, m);
    const sumB = rowSums(b, k, n);
    let sum = 0;
    for (let r = 0; r < k; r++) sum += sumA[r] * sumB[r];
    const ga = gram(a, k, m);
    const gb = gram(b, k, n);
    // Both Grams are symmetric: the off-diagonal pairs count twice.
    let squares = 0;
    for (let r = 0; r < k; r++) {
      squares += ga[r * k + r] * gb[r * k + r];
      for (let s = r + 1; s < k; s++) squares += 2 * ga[r * k + s] * gb[r * k + s];
    }
    const m2 = squares - (sum * sum) / count;
    if (m2 >= 1e-9 * squares) return { count, mean: sum / count, m2 };
  }
  return backend.gemmMoments(m, n, k, a, b, true);
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
