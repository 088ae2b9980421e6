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

/** |actual − expected| ≤ atol + rtol·|expected|, with a message naming both. */
export function assertClose(actual: number, expected: number, rtol: number, atol = 0, what = 'value'): void {
  const ok = Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
  if (!ok) throw new Error(`${what}: expected ${expected}, got ${actual} (rtol ${rtol}, atol ${atol})`);
}
