import * as assert from 'node:assert/strict';
import { countDistinctRows } from '../../../src/engine/sampled/layerStats';
import { Rng } from '../../../src/engine/random/rng';

/** The oracle: rows (with their bias) as strings of their float bits, counted in a Set. */
function distinctBySet(w: Float32Array, rows: number, cols: number, bias: Float32Array | null): number {
  const seen = new Set<string>();
  for (let r = 0; r < rows; r++) seen.add(`${Array.from(new Int32Array(w.buffer, w.byteOffset + r * cols * 4, cols)).join(',')}|${bias ? new Int32Array(bias.buffer, bias.byteOffset + r * 4, 1)[0] : ''}`);
  return seen.size;
}

suite('distinct units (countDistinctRows)', () => {
  test('counts the rows that differ in a bit of a weight or of their bias, as a set of their bits does', () => {
    const rng = new Rng(5, 1);
    for (let trial = 0; trial < 200; trial++) {
      const rows = 1 + Math.floor(rng.uniform() * 40);
      const cols = 1 + Math.floor(rng.uniform() * 6);
      // Few distinct values, so that rows repeat; -0 and 0 differ in their bits, and count as different rows.
      const palette = [0, -0, 1, 0.5, NaN];
      const w = Float32Array.from({ length: rows * cols }, () => palette[Math.floor(rng.uniform() * (trial % 2 ? 2 : palette.length))]);
      const bias = trial % 3 === 0 ? Float32Array.from({ length: rows }, () => palette[Math.floor(rng.uniform() * 2)]) : null;
      assert.equal(countDistinctRows(w, rows, cols, bias), distinctBySet(w, rows, cols, bias), `trial ${trial}`);
    }
  });

  test('holds more units than a Map can (2²⁴ entries): 17 million distinct rows, and as many equal ones', () => {
    const rows = 17_000_000;
    const w = new Float32Array(rows);
    // Bit patterns 0 … 16,999,999: distinct floats (denormals), where the integers past 2²⁴ would round together.
    const bits = new Int32Array(w.buffer);
    for (let r = 0; r < rows; r++) bits[r] = r;
    assert.equal(countDistinctRows(w, rows, 1, null), rows);
    w.fill(0.25);
    assert.equal(countDistinctRows(w, rows, 1, null), 1);
  });
});
