/**
 * T5's relative position bucket of a key at distance `relative` = key position − query position
 * (`T5Attention._relative_position_bucket`, Raffel et al., 2020): bidirectional, half the buckets for keys after the
 * query; then distances below `buckets/2` (of the buckets left) get a bucket each, longer ones share logarithmically
 * spaced buckets up to `maxDistance`, beyond which all share the last. Unidirectional (a decoder), keys after the
 * query count as distance 0.
 */
export function relativePositionBucket(relative: number, bidirectional: boolean, buckets: number, maxDistance: number): number {
  let n = buckets;
  let bucket = 0;
  let distance: number;
  if (bidirectional) {
    n = Math.floor(n / 2);
    if (relative > 0) bucket += n;
    distance = Math.abs(relative);
  } else {
    distance = -Math.min(relative, 0);
  }
  const maxExact = Math.floor(n / 2);
  if (distance < maxExact) return bucket + distance;
  // torch: max_exact + (log(d / max_exact) / log(max_distance / max_exact) · (n − max_exact)).long(), in float32.
  const large = maxExact + Math.trunc(Math.fround(Math.fround(Math.log(distance / maxExact)) / Math.fround(Math.log(maxDistance / maxExact)) * (n - maxExact)));
  return bucket + Math.min(large, n - 1);
}
