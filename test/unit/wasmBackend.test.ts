import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyze, createWasmBackend, wasmSimdSupported } from '../../src/engine';
import { loadComputeBackend } from '../../src/computeBackend';
import { referenceBackend } from '../../src/engine/referenceBackend';
import { Rng } from '../../src/engine/rng';
import { assertClose, readRepoFile, ROOT } from './repo';

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
});

suite('the generator in WebAssembly continues the same sequence', () => {
  test('normal and uniform fills equal the reference ones in float32, bit for bit, spare normals and following draws included', () => {
    for (const n of [0, 1, 2, 3, 1001, 65536]) {
      const a = new Rng(3, 9);
      const b = new Rng(3, 9);
      a.normal(); // leaves a spare pending, which the fill must use first
      b.normal();
      const expected = new Float32Array(n);
      const actual = new Float32Array(n);
      referenceBackend.fillNormal(a, expected, 0.1, 2);
      wasm.fillNormal(b, actual, 0.1, 2);
      assert.deepEqual(actual, expected, `normal fill of ${n}`);
      const u1 = new Float32Array(7);
      const u2 = new Float32Array(7);
      referenceBackend.fillUniform(a, u1, -1, 3);
      wasm.fillUniform(b, u2, -1, 3);
      assert.deepEqual(u2, u1, `uniform fill after ${n}`);
      // The generators' doubles may differ in the last bit (their logarithms differ); what a tensor stores, float32, does not.
      assert.equal(Math.fround(b.normal()), Math.fround(a.normal()));
    }
  });
});
