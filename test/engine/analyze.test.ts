import * as assert from 'node:assert/strict';
import { analyze } from '../../src/engine';
import { referenceBackend } from '../../src/engine/backend/reference/referenceBackend';
import { Rng } from '../../src/engine/random/rng';
import { assertClose, readRepoFile } from '../repo';

function naiveGemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
    c[i * n + j] = s;
  }
  return c;
}

suite('engine contract', () => {
  test('GEMM: every transpose combination on odd shapes equals the naive triple loop (float32 tolerance)', () => {
    const rng = new Rng(1, 1);
    for (const [m, n, k] of [[1, 1, 1], [5, 7, 3], [17, 9, 33], [4, 65, 6], [3, 2, 129]]) {
      for (const transA of [false, true]) for (const transB of [false, true]) {
        const a = new Float32Array(m * k).map(() => rng.normal());
        const b = new Float32Array(k * n).map(() => rng.normal());
        const c = new Float32Array(m * n).fill(1);
        referenceBackend.gemm(transA, transB, m, n, k, a, b, c, true);
        const expected = naiveGemm(transA, transB, m, n, k, a, b);
        for (let i = 0; i < m * n; i++) assertClose(c[i], expected[i] + 1, 1e-5, 1e-5, `C[${i}] of ${m}×${n}×${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`);
      }
    }
  });

  test('im2col and col2im are adjoint: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩', () => {
    const g = { channels: 2, height: 5, width: 6, kernelHeight: 3, kernelWidth: 2, strideHeight: 2, strideWidth: 1, padTop: 1, padLeft: 1, outHeight: 3, outWidth: 7 };
    const rng = new Rng(3, 3);
    const x = new Float32Array(2 * 5 * 6).map(() => rng.normal());
    const cols = new Float32Array(2 * 3 * 2 * 3 * 7);
    referenceBackend.im2col(x, g, cols);
    const c = new Float32Array(cols.length).map(() => rng.normal());
    const back = new Float32Array(x.length);
    referenceBackend.col2im(c, g, back);
    let lhs = 0, rhs = 0;
    for (let i = 0; i < cols.length; i++) lhs += cols[i] * c[i];
    for (let i = 0; i < x.length; i++) rhs += x[i] * back[i];
    assertClose(lhs, rhs, 1e-5);
  });

  test('deterministic: the same file and seed give the same report bit for bit; another seed differs', () => {
    const text = readRepoFile('examples', 'small-cnn.net.json');
    const strip = (r: ReturnType<typeof analyze>): string => JSON.stringify({ ...r, timings: null });
    assert.equal(strip(analyze(text)), strip(analyze(text)));
    assert.notEqual(strip(analyze(text)), strip(analyze(text, { seed: 1 })));
  });

  test('report fields a mode does not compute are null, never missing', () => {
    const text = readRepoFile('examples', 'small-cnn.net.json');
    const analytic = analyze(text, { mode: 'analytic' });
    const sampled = analyze(text, { mode: 'sampled' });
    for (const l of analytic.layers) {
      assert.equal(l.activation, null);
      assert.equal(l.gradient, null);
      assert.ok(l.predicted);
      assert.ok('weightGradient' in l && 'preActivation' in l);
    }
    for (const l of sampled.layers) {
      assert.equal(l.predicted, null);
      assert.ok(l.activation && l.gradient);
      assert.equal(l.activation.histogram.counts.reduce((a, b) => a + b, 0), 16 * l.outputShape.reduce((a, b) => a * b, 1));
    }
  });

  test('cancelling the sampled run falls back to the prediction', () => {
    const report = analyze(readRepoFile('examples', 'small-cnn.net.json'), { mode: 'both', onProgress: (f) => f > 0.2 });
    assert.match(report.sampledRefused!, /cancelled/);
    assert.ok(report.layers.every((l) => l.activation === null && l.predicted !== null));
  });

  test('copies made by repeat share their path; a residual block follows its branch', () => {
    const report = analyze(readRepoFile('examples', 'residual-kaiming.net.json'), { mode: 'analytic' });
    assert.deepEqual(report.layers.slice(0, 4).map((l) => [l.index, l.type, l.path]), [
      [0, 'dense', '/layers/0/layers/0/layers/0'], [1, 'dense', '/layers/0/layers/0/layers/1'], [2, 'residual', '/layers/0/layers/0'], [3, 'dense', '/layers/0/layers/0/layers/0']]);
  });
});
