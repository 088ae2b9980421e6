import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyze, createWasmBackend, wasmSimdSupported } from '../../src/engine';
import { createKernelMemory } from '../../src/engine/backend/wasm/wasmBackend';
import { loadComputeBackend } from '../../src/kernels/loadComputeBackend';
import { referenceBackend } from '../../src/engine/backend/reference/referenceBackend';
import { Rng } from '../../src/engine/random/rng';
import { streamKey } from '../../src/engine/random/fill';
import { assertClose, assertProductMoments, readRepoBytes, readRepoFile, ROOT } from '../repo';

const { backend: wasm } = loadComputeBackend(path.join(ROOT, 'dist'));

suite('WebAssembly SIMD backend against the TypeScript reference', () => {
  test('this Node has WebAssembly SIMD, and the build produced the kernels', () => {
    assert.equal(wasmSimdSupported(), true);
    assert.match(wasm.name, /^wasm-simd128( × \d+ threads)?$/);
  });

  test('GEMM agrees with the reference within float32 tolerance, odd shapes and edges included', () => {
    const rng = new Rng(7, 7);
    const shapes = [[1, 1, 1], [3, 5, 2], [4, 8, 4], [5, 9, 7], [17, 33, 65], [16, 130, 257], [64, 49, 27], [7, 1, 300]];
    for (const [m, n, k] of shapes) {
      for (const transA of [false, true]) for (const transB of [false, true]) for (const accumulate of [false, true]) {
        const a = new Float32Array(m * k).map(() => rng.normal());
        const b = new Float32Array(k * n).map(() => rng.normal());
        const init = new Float32Array(m * n).map(() => rng.normal());
        const expected = new Float32Array(init);
        const actual = new Float32Array(init);
        referenceBackend.gemm(transA, transB, m, n, k, a, b, expected, accumulate);
        wasm.gemm(transA, transB, m, n, k, a, b, actual, accumulate);
        // Summation order differs: allow a few float32 ulps of the sum's magnitude (√k·max|a||b|).
        const tolerance = 1e-5 * Math.sqrt(k) * 8;
        for (let i = 0; i < m * n; i++) assertClose(actual[i], expected[i], 0, tolerance, `${m}×${n}×${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${accumulate ? '+' : ''} C[${i}]`);
      }
    }
  });

  test('the engine with the WebAssembly backend matches the NumPy golden statistics', () => {
    const golden = JSON.parse(readRepoFile('test', 'golden', 'golden.json'));
    const networks = JSON.parse(readRepoFile('test', 'golden', 'networks.json'));
    for (const name of Object.keys(golden.networks)) {
      const report = analyze(JSON.stringify(networks[name]), { mode: 'sampled', backend: wasm });
      assert.equal(report.backend, wasm.name);
      report.layers.forEach((l, i) => {
        const e = golden.networks[name].layers[i];
        assertClose(l.activation!.std, e.std, 2e-4, 1e-6, `${name} layer ${i} std`);
        assertClose(l.gradient!.std, e.gradStd, 2e-4, 1e-6, `${name} layer ${i} gradient std`);
        if (e.weightGradStd !== undefined) assertClose(l.weightGradient!.std, e.weightGradStd, 2e-4, 1e-6, `${name} layer ${i} weight gradient std`);
      });
    }
  });

  test('on the lecture network both backends agree to 1e-4 and are deterministic', () => {
    const text = readRepoFile('examples', 'tanh-0.01-randn.net.json');
    const a = analyze(text, { mode: 'sampled', backend: wasm });
    const b = analyze(text, { mode: 'sampled', backend: referenceBackend });
    a.layers.forEach((l, i) => {
      assertClose(l.activation!.std, b.layers[i].activation!.std, 1e-4, 0, `layer ${i} std`);
      assertClose(l.gradient!.std, b.layers[i].gradient!.std, 1e-4, 0, `layer ${i} gradient std`);
    });
    const again = analyze(text, { mode: 'sampled', backend: wasm });
    assert.deepEqual(again.layers.map((l) => l.activation!.std), a.layers.map((l) => l.activation!.std));
  });

  test('invalid kernels fall back: createWasmBackend returns null', () => {
    assert.equal(createWasmBackend(new Uint8Array([0, 97, 115, 109, 9, 9])), null);
  });

  test('without the kernels the reference backend is used, with a note saying why', () => {
    const loaded = loadComputeBackend(path.join(ROOT, 'no-such-dist'));
    assert.equal(loaded.backend, referenceBackend);
    assert.match(loaded.note ?? '', /WebAssembly kernels could not be loaded .*using the TypeScript reference backend/);
    assert.equal(loaded.memoryBytes(), 0);
    const report = analyze(readRepoFile('test', 'fixtures', 'edit-me.net.json'), { mode: 'sampled', backend: loaded.backend });
    assert.equal(report.backend, 'typescript-reference');
  });
});

suite('WebAssembly fills and statistics against the TypeScript reference', () => {
  test('normal and uniform fills equal the reference bit for bit, at every size and chunk edge, in place or copied', () => {
    for (const n of [0, 1, 3, 7, 8, 9, 1001, 8191, 8192, 8193, 65536, 300007]) {
      const key = streamKey(3, 9);
      const expected = new Float32Array(n);
      referenceBackend.fillNormal(key, expected, 0.1, 2);
      const copied = new Float32Array(n);
      wasm.fillNormal(key, copied, 0.1, 2);
      assert.deepEqual(copied, expected, `normal fill of ${n}`);
      const inPlace = wasm.allocate(n);
      wasm.fillNormal(key, inPlace, 0.1, 2);
      assert.deepEqual(new Float32Array(inPlace), expected, `normal fill of ${n} in place`);
      wasm.release(inPlace);
      const u1 = new Float32Array(n);
      const u2 = new Float32Array(n);
      referenceBackend.fillUniform(key, u1, -1, 3);
      wasm.fillUniform(key, u2, -1, 3);
      assert.deepEqual(u2, u1, `uniform fill of ${n}`);
    }
  });

  test('fills from a start (a weight streamed by rows) equal the whole fill at those indices: chunk-aligned starts in place, others staged, across the 2 GiB mark', () => {
    const key = streamKey(4, 21);
    const whole = new Float32Array(5 * 8192 + 77);
    referenceBackend.fillNormal(key, whole, -0.2, 0.5);
    const wholeU = new Float32Array(whole.length);
    referenceBackend.fillUniform(key, wholeU, -1, 2);
    for (const [start, n] of [[0, 5], [8192, 8192], [8192, 20000], [3, 8189], [8191, 2], [2 * 8192 + 5, 3 * 8192 + 72], [16384, 300]]) {
      for (const inPlace of [false, true]) {
        const part = inPlace ? wasm.allocate(n) : new Float32Array(n);
        wasm.fillNormal(key, part, -0.2, 0.5, start);
        assert.deepEqual(new Float32Array(part), whole.subarray(start, start + n), `normal [${start}, ${start + n}) ${inPlace ? 'in place' : 'copied'}`);
        wasm.fillUniform(key, part, -1, 2, start);
        assert.deepEqual(new Float32Array(part), wholeU.subarray(start, start + n), `uniform [${start}, ${start + n})`);
        if (inPlace) wasm.release(part);
      }
    }
    // An 8B model's embedding table: values past 2³¹ bytes of the stream (the kernels' i32 addresses wrap).
    const far = 600_000_000;
    const expected = new Float32Array(9000);
    referenceBackend.fillNormal(key, expected, 0, 1, far);
    const actual = new Float32Array(9000);
    wasm.fillNormal(key, actual, 0, 1, far);
    assert.deepEqual(actual, expected);
  });

  test('moments, histograms, saturated and dead counts, distinct rows agree with the reference', () => {
    const cases: Float32Array[] = [];
    for (const n of [1, 5, 8, 13, 4096, 65536 + 13, 500000, (1 << 19) + 4099]) {
      const x = new Float32Array(n);
      referenceBackend.fillNormal(streamKey(1, n), x, 0.3, 1.5);
      cases.push(x);
    }
    cases.push(new Float32Array([NaN, 1, -2, Infinity, 0.99, -0.99, 0.9900001, -0.9900001, 0.01, 2, 3]));
    for (const x of cases) {
      const what = `n = ${x.length}`;
      const a = wasm.moments(x);
      const e = referenceBackend.moments(x);
      assert.equal(a.count, e.count, what);
      assert.equal(a.min, e.min, `${what} min`);
      assert.equal(a.max, e.max, `${what} max`);
      if (Number.isFinite(e.mean)) {
        assertClose(a.mean, e.mean, 1e-12, 1e-12, `${what} mean`);
        assertClose(a.m2, e.m2, 1e-12, 0, `${what} M2`);
      } else assert.ok(Number.isNaN(a.mean) && Number.isNaN(a.m2), `${what}: NaN propagates`);
      assert.deepEqual(wasm.histogram(x, -2.5, 2.5, 40), referenceBackend.histogram(x, -2.5, 2.5, 40), `${what} histogram`);
      assert.deepEqual(wasm.histogram(x, -1, 1, 7), referenceBackend.histogram(x, -1, 1, 7), `${what} histogram, 7 bins`);
      for (const [lo, hi] of [[-0.99, 0.99], [0.01, 0.99], [-Infinity, 0]]) {
        assert.equal(wasm.countOutside(x, lo, hi), referenceBackend.countOutside(x, lo, hi), `${what} outside [${lo}, ${hi}]`);
      }
      for (const batch of [1, 2, 4, 8]) {
        if (x.length % batch !== 0) continue;
        assert.equal(wasm.countDeadUnits(x, batch, x.length / batch), referenceBackend.countDeadUnits(x, batch, x.length / batch), `${what} dead over batch ${batch}`);
      }
    }
    // Rows that repeat, with and without a bias that splits them again.
    const rows = 37, cols = 70;
    const w = new Float32Array(rows * cols);
    referenceBackend.fillNormal(streamKey(5, 5), w, 0, 1);
    for (let r = 10; r < rows; r++) w.copyWithin(r * cols, (r % 10) * cols, (r % 10 + 1) * cols);
    const bias = new Float32Array(rows).map((_, r) => (r < 20 ? 0 : r));
    assert.equal(wasm.distinctRows(w, rows, cols, null), 10);
    assert.equal(referenceBackend.distinctRows(w, rows, cols, null), 10);
    assert.equal(wasm.distinctRows(w, rows, cols, bias), referenceBackend.distinctRows(w, rows, cols, bias));
    assert.equal(wasm.distinctRows(new Float32Array(64 * 4096), 64, 4096, null), 1);
  });

  test('tensors from allocate are used in place by GEMM, and released memory is reused', () => {
    const m = 16, n = 520, k = 300;
    const a = wasm.allocate(m * k), b = wasm.allocate(n * k), c = wasm.allocate(m * n);
    referenceBackend.fillNormal(1, a, 0, 1);
    referenceBackend.fillNormal(2, b, 0, 1);
    const expected = new Float32Array(m * n);
    referenceBackend.gemm(false, true, m, n, k, a, b, expected, false);
    c.fill(7);
    wasm.gemm(false, true, m, n, k, a, b, c, false);
    for (let i = 0; i < m * n; i++) assertClose(c[i], expected[i], 0, 1e-4, `C[${i}]`);
    const at = c.byteOffset;
    wasm.release(c);
    const again = wasm.allocate(m * n);
    assert.equal(again.byteOffset, at, 'the freed block is handed out again');
    for (const t of [a, b, again]) wasm.release(t);
  });

  test('activations and their derivatives agree with the reference to a few float32 ulps, tails and special values included', () => {
    // Where the kernel computes the argument of its exponential (gelu: z²/2; gelu_new: 2u = 2√(2/π)(z + 0.044715z³)),
    // float32 rounding of that argument moves e^argument by |argument| ulps: the tolerance scales with it.
    const exponent = (name: string, z: number): number => (name === 'gelu' ? z * z / 2 : name === 'gelu_new' ? Math.abs(1.6 * (z + 0.044715 * z ** 3)) : 0);
    for (const name of ['linear', 'relu', 'leaky_relu', 'tanh', 'sigmoid', 'gelu', 'gelu_new', 'silu'] as const) {
      const act = { name, negativeSlope: 0.2 };
      for (const n of [1, 3, 4, 7, 1000, 70001]) {
        const z = new Float32Array(n);
        referenceBackend.fillNormal(streamKey(8, n), z, 0, 4);
        if (n > 10) z.set([0, -0, 0.5, 0.625, -0.625, 0.7, 9, -9, 50, -50, 100, -100, 1e-8, -1e-8, NaN]);
        const expected = new Float32Array(n), actual = new Float32Array(n);
        referenceBackend.activate(act, z, expected);
        wasm.activate(act, z, actual);
        const g0 = new Float32Array(n);
        referenceBackend.fillNormal(streamKey(9, n), g0, 0, 1);
        const ge = new Float32Array(g0), ga = new Float32Array(g0);
        referenceBackend.multiplyByDerivative(act, z, ge);
        wasm.multiplyByDerivative(act, z, ga);
        for (let i = 0; i < n; i++) {
          const what = `${name} n=${n} z=${z[i]}`;
          if (Number.isNaN(expected[i])) assert.ok(Number.isNaN(actual[i]) || name === 'relu' || name === 'leaky_relu', what);
          else assertClose(actual[i], expected[i], 4e-7 * (1 + Math.min(88, exponent(name, z[i]))), 1e-30, `${what} φ`);
          if (Number.isNaN(ge[i])) continue;
          assertClose(ga[i], ge[i], 4e-6 * (1 + Math.min(88, exponent(name, z[i]))), 1e-7 * Math.abs(g0[i]), `${what} g·φ′`);
        }
      }
    }
  });

  test('normalizations forward and backward agree with the reference: batchnorm runs, layernorm and rmsnorm rows, odd lengths, a gain', () => {
    // [groups, segments, length, groupStride, segmentStride]: per-channel batchnorm over batch × positions, rows of a
    // [T, F] layernorm / rmsnorm, one row per sample, odd lengths that leave a tail after the blocks of 4.
    const layouts: [number, number, number, number, number][] = [[3, 4, 9, 9, 27], [16, 16, 1024, 1024, 16384], [12, 1, 5, 5, 0], [200, 1, 64, 64, 0], [4, 1, 3, 3, 0], [2, 3, 1, 1, 2], [7, 1, 4097, 4097, 0]];
    for (const [groups, segments, length, groupStride, segmentStride] of layouts) {
      const layout = { groups, segments, length, groupStride, segmentStride };
      const size = Math.max(groups * groupStride, (groups - 1) * groupStride + (segments - 1) * segmentStride + length);
      const x = new Float32Array(size);
      referenceBackend.fillNormal(streamKey(groups, length), x, 0.7, 2.5);
      const dy = new Float32Array(size);
      referenceBackend.fillNormal(streamKey(length, groups), dy, 0, 1);
      const gain = new Float32Array(length);
      referenceBackend.fillNormal(streamKey(3, length), gain, 1, 0.5);
      for (const center of [true, false]) for (const withGain of center ? [false] : [false, true]) {
        const what = `${JSON.stringify(layout)} center=${center} gain=${withGain}`;
        const run = (backend: typeof wasm): { xhat: Float32Array; y: Float32Array; inv: Float64Array; dx: Float32Array } => {
          const xhat = new Float32Array(size), y = new Float32Array(size), inv = new Float64Array(groups), dx = new Float32Array(size);
          backend.normalize(x, xhat, withGain ? y : null, withGain ? gain : null, layout, 1e-5, center, inv);
          backend.normalizeBackward(xhat, dy, withGain ? gain : null, inv, layout, center, dx);
          return { xhat, y, inv, dx };
        };
        const e = run(referenceBackend), a = run(wasm);
        // Only the order of the float64 sums differs: x̂ and dx agree to a float32 ulp or two.
        for (let g = 0; g < groups; g++) assertClose(a.inv[g], e.inv[g], 1e-12, 0, `${what} 1/σ[${g}]`);
        for (let i = 0; i < size; i++) {
          assertClose(a.xhat[i], e.xhat[i], 3e-7, 1e-7, `${what} x̂[${i}]`);
          assertClose(a.y[i], e.y[i], 3e-7, 1e-7, `${what} y[${i}]`);
          assertClose(a.dx[i], e.dx[i], 3e-7, 1e-6, `${what} dx[${i}]`);
        }
      }
    }
  });

  test('im2col and col2im agree with the reference for strides, paddings and kernels larger than the padding', () => {
    const geometries = [
      [3, 8, 8, 3, 3, 1, 1, 1, 1], [2, 7, 9, 3, 3, 2, 2, 1, 1], [4, 5, 5, 1, 1, 1, 1, 0, 0], [1, 6, 6, 5, 5, 1, 1, 2, 2],
      [2, 4, 4, 3, 3, 1, 1, 3, 3], [64, 14, 14, 3, 3, 1, 1, 1, 1], [3, 9, 7, 2, 4, 3, 1, 0, 2],
    ];
    for (const [channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padLeft] of geometries) {
      const outHeight = Math.floor((height + 2 * padTop - kernelHeight) / strideHeight) + 1;
      const outWidth = Math.floor((width + 2 * padLeft - kernelWidth) / strideWidth) + 1;
      const g = { channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padLeft, outHeight, outWidth };
      const what = JSON.stringify(g);
      const x = new Float32Array(channels * height * width);
      referenceBackend.fillNormal(streamKey(4, x.length), x, 0, 1);
      const size = channels * kernelHeight * kernelWidth * outHeight * outWidth;
      const ce = new Float32Array(size), ca = new Float32Array(size).fill(NaN);
      referenceBackend.im2col(x, g, ce);
      wasm.im2col(x, g, ca);
      assert.deepEqual(ca, ce, `im2col ${what}`);
      const dxe = new Float32Array(x), dxa = new Float32Array(x);
      referenceBackend.col2im(ce, g, dxe);
      wasm.col2im(ce, g, dxa);
      for (let i = 0; i < x.length; i++) assertClose(dxa[i], dxe[i], 1e-6, 1e-6, `col2im ${what} [${i}]`);
    }
  });

  test('moments of a product fused into the GEMM agree with the product\'s moments, kernel shapes and others', () => {
    for (const [m, n, k] of [[4, 8, 1], [16, 4096, 16], [64, 200, 33], [1000, 24, 7], [5, 9, 3], [12, 4100, 2]]) {
      const a = new Float32Array(m * k), b = new Float32Array(k * n);
      referenceBackend.fillNormal(streamKey(m, n), a, 0.2, 1);
      referenceBackend.fillNormal(streamKey(n, k), b, -0.1, 2);
      const product = new Float32Array(m * n);
      referenceBackend.gemm(false, false, m, n, k, a, b, product, false);
      const e = referenceBackend.moments(product);
      const w = wasm.gemmMoments(m, n, k, a, b);
      const r = referenceBackend.gemmMoments(m, n, k, a, b);
      for (const [name, got] of [['wasm', w], ['reference', r]] as const) {
        assertProductMoments(got, e, `${name} ${m}×${n}×${k}`);
      }
    }
  });

  test('a lecture run streams its weights by blocks of rows: the kernels\' memory peaks at one block (4 MiB) plus the activations, not a 64 MiB layer', () => {
    const memory = createKernelMemory();
    const own = createWasmBackend(readRepoBytes('dist', 'kernels.wasm'), { memory })!;
    const report = analyze(readRepoFile('examples', 'tanh-0.01-randn.net.json'), { mode: 'sampled', backend: own });
    assert.equal(report.layers.length, 6);
    const mib = memory.buffer.byteLength / 2 ** 20;
    // One 4 MiB block of W, its [16, 256] staging, the batch's activations and gradients (16 × 4096 floats each) and
    // the kernels' scratch; the whole 64 MiB weight is never held.
    assert.ok(mib >= 4 && mib < 16, `the kernels' memory grew to ${mib.toFixed(1)} MiB`);
  });
});
