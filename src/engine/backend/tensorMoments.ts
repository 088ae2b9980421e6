/** Count, mean, sum of squared deviations (M2), min and max of a set of values, accumulated in float64. */
export interface TensorMoments {
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
}

/** The moments of no values: the identity of `mergeMoments`. */
export const EMPTY_MOMENTS: TensorMoments = { count: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity };

/**
 * Moments of the union of two sets (Chan, Golub & LeVeque, 1979): with δ = meanB − meanA and n = nA + nB,
 * mean = meanA + δ·nB/n and M2 = M2A + M2B + δ²·nA·nB/n. Stable for blocks of any size.
 */
export function mergeMoments(a: TensorMoments, b: TensorMoments): TensorMoments {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    mean: a.mean + (delta * b.count) / count,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

/** Population standard deviation √(M2/n) (NumPy's `std` with ddof = 0). */
export function momentsStd(m: Pick<TensorMoments, 'count' | 'm2'>): number {
  return m.count > 0 ? Math.sqrt(m.m2 / m.count) : 0;
}
