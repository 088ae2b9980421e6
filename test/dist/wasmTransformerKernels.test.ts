import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadComputeBackend } from '../../src/kernels/loadComputeBackend';
import { referenceBackend } from '../../src/engine/backend/reference/referenceBackend';
import { streamKey } from '../../src/engine/random/fill';
import { assertClose, assertProductMoments, ROOT } from '../repo';
import type { AttentionShape, ComputeBackend, HeadsView } from '../../src/engine/backend/computeBackend';
import { ATTENTION_ROW_STATS } from '../../src/engine/math/softmax';

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
    for (const [rows, cols] of [[1, 1], [1, 7], [7, 1], [4, 4], [5, 9], [13, 4], [64, 768], [130, 257], [512, 3], [1024, 701]]) {
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
        assertProductMoments(got, e, `${name} ${m}×${n}×${k}`);
      }
    }
  });

  /** q, k, v as a fused [rows, (H + 2G)·dh (+ 3 spare columns)] tensor, or as three tensors; copies for both backends. */
  function attentionCase(shape: AttentionShape, fused: boolean, seed: number, inPlace: boolean): { views: HeadsView[]; make: (backend: ComputeBackend) => HeadsView[] } {
    const { batch, tokens, heads: H, kvHeads: G, headDim: dh } = shape;
    const rows = batch * tokens;
    const widths = [H * dh, G * dh, G * dh];
    const stride = fused ? H * dh + 2 * G * dh + 3 : 0;
    const datas = fused ? [normals(rows * stride, seed, 1.3)] : widths.map((w, i) => normals(rows * w, seed + i, 1.3));
    const viewsOf = (ds: Float32Array[]): HeadsView[] => (fused
      ? [{ data: ds[0], stride, offset: 1 }, { data: ds[0], stride, offset: 1 + H * dh }, { data: ds[0], stride, offset: 1 + (H + G) * dh }]
      : ds.map((data, i) => ({ data, stride: widths[i], offset: 0 })));
    return {
      views: viewsOf(datas),
      make: (backend) => viewsOf(datas.map((d) => {
        const t = inPlace ? backend.allocate(d.length) : new Float32Array(d.length);
        t.set(d);
        return t;
      })),
    };
  }

  test('attention forward and backward agree with the reference: causal or not, MHA, GQA, MQA, odd sizes, fused or separate, in place or copied', () => {
    const shapes: [number, number, number, number, number][] = [[1, 1, 1, 1, 1], [2, 5, 2, 1, 3], [3, 9, 4, 2, 7], [2, 17, 6, 3, 8], [1, 37, 3, 1, 11], [2, 64, 4, 4, 16], [1, 130, 2, 1, 64]];
    let seed = 1;
    for (const [batch, tokens, heads, kvHeads, headDim] of shapes) for (const causal of [false, true]) for (const fused of [false, true]) {
      const inPlace = seed % 2 === 0;
      const shape: AttentionShape = { batch, tokens, heads, kvHeads, headDim, causal, scale: seed % 3 === 0 ? 1 : 1 / Math.sqrt(headDim) };
      const what = `${JSON.stringify(shape)}${fused ? ' fused' : ''}${inPlace ? ' in place' : ''}`;
      const c = attentionCase(shape, fused, seed++, inPlace);
      const rows = batch * tokens;
      const results = [referenceBackend, wasm].map((backend) => {
        const [q, k, v] = c.make(backend);
        const alloc = (n: number): Float32Array => (inPlace && backend === wasm ? wasm.allocate(n) : new Float32Array(n));
        const out = { data: alloc(rows * (heads * headDim + 2)), stride: heads * headDim + 2, offset: 2 };
        out.data.fill(7);
        const rowStats = alloc(batch * heads * tokens * ATTENTION_ROW_STATS);
        backend.attentionForward(shape, q, k, v, out, rowStats);
        const dOut = { data: normals(rows * heads * headDim, seed + 100), stride: heads * headDim, offset: 0 };
        const grads = [heads, kvHeads, kvHeads].map((n) => ({ data: alloc(rows * n * headDim).fill(NaN), stride: n * headDim, offset: 0 }));
        backend.attentionBackward(shape, q, k, v, rowStats, dOut, grads[0], grads[1], grads[2]);
        return { out: new Float32Array(out.data), rowStats: new Float32Array(rowStats), grads: grads.map((g) => new Float32Array(g.data)) };
      });
      const [e, a] = results;
      const close = (x: Float32Array, y: Float32Array, name: string, rtol: number): void => {
        const scale = y.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
        for (let i = 0; i < y.length; i++) assertClose(x[i], y[i], rtol, rtol * scale, `${what} ${name}[${i}]`);
      };
      close(a.out, e.out, 'out', 1e-5);
      assert.equal(a.out[0], 7, `${what}: columns before the heads untouched`);
      for (let r = 0; r < e.rowStats.length / ATTENTION_ROW_STATS; r++) {
        const at = r * ATTENTION_ROW_STATS;
        const [ea, aa] = [e.rowStats.subarray(at, at + ATTENTION_ROW_STATS), a.rowStats.subarray(at, at + ATTENTION_ROW_STATS)];
        assertClose(aa[0], ea[0], 1e-5, 1e-6, `${what} row ${r} max`);
        assertClose(aa[1], ea[1], 1e-5, 0, `${what} row ${r} l`);
        assertClose(aa[2], ea[2], 1e-4, 1e-6 * Math.abs(ea[1]), `${what} row ${r} Σ p·(s − max)`);
        assertClose(aa[3], ea[3], 1e-5, 1e-6, `${what} row ${r} mean`);
        assertClose(aa[4], ea[4], 1e-4, 1e-6, `${what} row ${r} M2`);
      }
      ['dq', 'dk', 'dv'].forEach((name, i) => close(a.grads[i], e.grads[i], name, 2e-5));
    }
  });

  test('rotary equals the reference bit for bit, both directions, partial rotation, heads at an offset', () => {
    for (const [rows, tokens, heads, headDim, dims] of [[6, 3, 2, 4, 4], [20, 10, 3, 7, 4], [128, 64, 4, 16, 16], [9, 9, 1, 64, 2]]) for (const direction of [1, -1] as const) {
      const stride = heads * headDim + 5;
      const x = normals(rows * stride, rows + dims);
      const [e, a] = [new Float32Array(x), new Float32Array(x)];
      referenceBackend.rotary({ data: e, stride, offset: 3 }, heads, headDim, rows, tokens, { dims, base: 500 }, direction);
      wasm.rotary({ data: a, stride, offset: 3 }, heads, headDim, rows, tokens, { dims, base: 500 }, direction);
      assert.deepEqual(a, e, `rows ${rows}, heads ${heads}×${headDim}, ${dims} rotated, direction ${direction}`);
      assert.notDeepEqual(e, x, 'something rotated');
    }
  });
});
