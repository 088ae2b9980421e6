import * as assert from 'node:assert/strict';
import { productMoments } from '../../../src/engine/backend/productMoments';
import { referenceBackend } from '../../../src/engine/backend/reference/referenceBackend';
import { streamKey } from '../../../src/engine/random/fill';

/** Count, mean and M2 of C = Aᵀ·B formed entry by entry in float64, in two passes: the oracle. */
function direct(m: number, n: number, k: number, a: Float32Array, b: Float32Array): { count: number; mean: number; m2: number } {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let r = 0; r < k; r++) s += a[r * m + i] * b[r * n + j];
    c[i * n + j] = s;
  }
  const mean = c.reduce((x, y) => x + y, 0) / c.length;
  return { count: c.length, mean, m2: c.reduce((x, y) => x + (y - mean) ** 2, 0) };
}

function normals(key: number, length: number, mean: number, std: number): Float32Array {
  const x = new Float32Array(length);
  referenceBackend.fillNormal(streamKey(5, key), x, mean, std);
  return x;
}

suite('productMoments: the moments of dW = dpreᵀ·x without forming it', () => {
  test('a small batch (float64 Grams), a larger one (the Grams\' upper triangles by GEMM, in two row blocks) and a large one (formed by gemmMoments) all give the float64 moments of the product', () => {
    for (const [m, n, k] of [[96, 80, 4], [600, 500, 100], [40, 24, 30]]) {
      const a = normals(1, k * m, 0.3, 1.5);
      const b = normals(2, k * n, -0.2, 0.7);
      const got = productMoments(referenceBackend, m, n, k, a, b);
      const want = direct(m, n, k, a, b);
      assert.equal(got.count, want.count);
      assert.ok(Math.abs(got.mean - want.mean) < 1e-6 * Math.sqrt(want.m2 / want.count), `${m}×${n}×${k}: mean ${got.mean} vs ${want.mean}`);
      assert.ok(Math.abs(got.m2 / want.m2 - 1) < 1e-5, `${m}×${n}×${k}: M2 ${got.m2} vs ${want.m2}`);
    }
  });

  test('a product whose mean dwarfs its spread (Σc² − (Σc)²/N would cancel) is formed instead: the spread is still right', () => {
    const [m, n, k] = [96, 80, 4];
    const a = normals(3, k * m, 1000, 1e-3);
    const b = normals(4, k * n, 1000, 1e-3);
    const got = productMoments(referenceBackend, m, n, k, a, b);
    assert.equal(got.m2, referenceBackend.gemmMoments(m, n, k, a, b, true).m2);
    const want = direct(m, n, k, a, b);
    assert.ok(Math.abs(got.m2 / want.m2 - 1) < 0.05, `M2 ${got.m2} vs ${want.m2}`);
  });
});
