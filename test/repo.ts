import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root (the folder holding package.json), whether tests run from out/ or from source. */
export const ROOT = ((): string => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();

export function readRepoFile(...parts: string[]): string {
  return fs.readFileSync(path.join(ROOT, ...parts), 'utf8');
}

export function readRepoBytes(...parts: string[]): Uint8Array {
  return fs.readFileSync(path.join(ROOT, ...parts));
}

/**
 * The moments of a product from a fused kernel against the moments of the stored product: the same count, mean and
 * M2 to 1e-4 (the summation orders differ), min and max to 1e-5.
 */
export function assertProductMoments(got: { count: number; mean: number; m2: number; min: number; max: number }, expected: typeof got, what: string): void {
  if (got.count !== expected.count) throw new Error(`${what}: count ${got.count}, expected ${expected.count}`);
  assertClose(got.mean, expected.mean, 1e-4, 1e-5, `${what} mean`);
  assertClose(got.m2, expected.m2, 1e-4, 0, `${what} M2`);
  assertClose(got.min, expected.min, 1e-5, 1e-5, `${what} min`);
  assertClose(got.max, expected.max, 1e-5, 1e-5, `${what} max`);
}

/** |actual − expected| ≤ atol + rtol·|expected|, with a message naming both. */
export function assertClose(actual: number, expected: number, rtol: number, atol = 0, what = 'value'): void {
  const ok = Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
  if (!ok) throw new Error(`${what}: expected ${expected}, got ${actual} (rtol ${rtol}, atol ${atol})`);
}
