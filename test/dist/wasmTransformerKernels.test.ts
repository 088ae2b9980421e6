import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadComputeBackend } from '../../src/kernels/loadComputeBackend';
import { referenceBackend } from '../../src/engine/backend/reference/referenceBackend';
import { streamKey } from '../../src/engine/random/fill';
import { assertClose, ROOT } from '../repo';

const { backend: wasm } = loadComputeBackend(path.join(ROOT, 'dist'));

/** n standard normals (times `std`) from their own stream, in a plain array. */
function normals(n: number, seed: number, std = 1): Float32Array {
  const x = new Float32Array(n);
  referenceBackend.fillNormal(streamKey(seed, n), x, 0, std);
  return x;
}

suite('WebAssembly kernels of the transformer ops against the TypeScript reference', () => {
  test('x·Wᵀ with B packed transposed (A with 32 rows or more) agrees with the reference, odd shapes, in place or copied', () => {
    for (const [m, n, k] of [[32, 8, 4], [33, 17, 5], [37, 9, 259], [100, 30, 1], [64, 1, 300], [512, 72, 65]]) {
      for (const accumulate of [false, true]) for (const inPlace of [false, true]) {
        const a = normals(m * k, m), b = normals(n * k, n), init = normals(m * n, k);
        const expected = new Float32Array(init);
        referenceBackend.gemm(false, true, m, n, k, a, b, expected, accumulate);
        const [aw, bw, cw] = inPlace ? [a, b, init].map((t) => { const w = wasm.allocate(t.length); w.set(t); return w; }) : [a, b, new Float32Array(init)];
        wasm.gemm(false, true, m, n, k, aw, bw, cw, accumulate);
        const tolerance = 1e-5 * Math.sqrt(k) * 8;
        for (let i = 0; i < m * n; i++) assertClose(cw[i], expected[i], 0, tolerance, `${m}×${n}×${k}${accumulate ? '+' : ''}${inPlace ? ' in place' : ''} C[${i}]`);
        if (inPlace) for (const t of [aw, bw, cw]) wasm.release(t);
      }
    }
  });

  test('transpose equals the reference exactly, odd shapes, in place or copied', () => {
    for (const [rows, cols] of [[1, 1], [1, 7], [7, 1], [4, 4], [5, 9], [13, 4], [64, 768], [130, 257], [512, 3]]) {
      const x = normals(rows * cols, rows + cols);
      const expected = new Float32Array(rows * cols);
      referenceBackend.transpose(x, rows, cols, expected);
      const copied = new Float32Array(rows * cols).fill(NaN);
      wasm.transpose(x, rows, cols, copied);
      assert.deepEqual(copied, expected, `${rows}×${cols} copied`);
      const src = wasm.allocate(rows * cols), dst = wasm.allocate(rows * cols);
      src.set(x);
      wasm.transpose(src, rows, cols, dst);
      assert.deepEqual(new Float32Array(dst), expected, `${rows}×${cols} in place`);
      wasm.release(src);
      wasm.release(dst);
    }
  });

  test('moments of a product with A stored transposed agree with the product\'s moments', () => {
    for (const [m, n, k] of [[4, 8, 1], [64, 200, 33], [5, 9, 3], [768, 64, 512], [30, 24, 7]]) {
      const at = normals(k * m, m, 0.7), b = normals(k * n, n, 1.3);
      const a = new Float32Array(m * k);
      referenceBackend.transpose(at, k, m, a);
      const product = new Float32Array(m * n);
      referenceBackend.gemm(false, false, m, n, k, a, b, product, false);
      const e = referenceBackend.moments(product);
      for (const [name, got] of [['wasm', wasm.gemmMoments(m, n, k, at, b, true)], ['reference', referenceBackend.gemmMoments(m, n, k, at, b, true)]] as const) {
        const what = `${name} ${m}×${n}×${k}`;
        assert.equal(got.count, e.count, what);
        assertClose(got.mean, e.mean, 1e-4, 1e-5, `${what} mean`);
        assertClose(got.m2, e.m2, 1e-4, 0, `${what} M2`);
        assertClose(got.min, e.min, 1e-5, 1e-5, `${what} min`);
        assertClose(got.max, e.max, 1e-5, 1e-5, `${what} max`);
      }
    }
  });
});
