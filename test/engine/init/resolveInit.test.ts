import * as assert from 'node:assert/strict';
import type { InitSpec } from '../../../src/engine/init/initSpec';
import { KERAS_TRUNCATION_STD, resolveInit } from '../../../src/engine/init/resolveInit';
import { referenceBackend } from '../../../src/engine/backend/reference/referenceBackend';
import { sampleInit } from '../../../src/engine/init/sampleInit';
import { assertClose } from '../../repo';

function spec(scheme: InitSpec['scheme'], options: InitSpec['options'] = {}, multiplier = 1): InitSpec {
  return { scheme, options, multiplier, path: '', source: 'layer' };
}

/** Sample std of n draws has relative standard error about 1/√(2n); allow 5 of them. */
function sampledStd(init: ReturnType<typeof resolveInit>, rows: number, cols: number, seed = 1): { mean: number; std: number } {
  const w = new Float32Array(rows * cols);
  sampleInit(init, seed, 99, referenceBackend, w, rows, cols);
  const m = referenceBackend.moments(w);
  return { mean: m.mean, std: Math.sqrt(m.m2 / m.count) };
}

suite('init schemes: PyTorch and Keras constants', () => {
  const dense = [256, 512];
  const conv = [64, 32, 3, 3];

  test('xavier: std = gain·√(2/(fanIn + fanOut)); uniform bound √3·std', () => {
    assert.equal(resolveInit(spec('xavier_normal'), dense).std, Math.sqrt(2 / 768));
    assert.equal(resolveInit(spec('xavier_normal', { gain: 5 / 3 }), dense).std, (5 / 3) * Math.sqrt(2 / 768));
    const u = resolveInit(spec('xavier_uniform'), conv);
    assert.deepEqual(u.distribution, { kind: 'uniform', low: -Math.sqrt(3) * Math.sqrt(2 / (288 + 576)), high: Math.sqrt(3) * Math.sqrt(2 / (288 + 576)) });
    assertClose(u.std, Math.sqrt(2 / (288 + 576)), 1e-12);
  });

  test('kaiming: std = gain/√fan with PyTorch defaults a=0, fan_in, leaky_relu', () => {
    assert.equal(resolveInit(spec('kaiming_normal'), dense).std, Math.SQRT2 / Math.sqrt(512));
    assert.equal(resolveInit(spec('kaiming_normal', { nonlinearity: 'relu', mode: 'fan_out' }), conv).std, Math.SQRT2 / Math.sqrt(576));
    assert.equal(resolveInit(spec('kaiming_normal', { nonlinearity: 'tanh' }), dense).std, (5 / 3) / Math.sqrt(512));
    const leaky = resolveInit(spec('kaiming_uniform', { nonlinearity: 'leaky_relu', a: 0.2 }), dense);
    assertClose(leaky.std, Math.sqrt(2 / 1.04) / Math.sqrt(512), 1e-12);
  });

  test('pytorch_default is U(±1/√fanIn) for weight and bias', () => {
    const w = resolveInit(spec('pytorch_default'), conv);
    assert.deepEqual(w.distribution, { kind: 'uniform', low: -1 / Math.sqrt(288), high: 1 / Math.sqrt(288) });
    assert.deepEqual(resolveInit(spec('pytorch_default'), conv, 'bias').distribution, w.distribution);
  });

  test('keras truncated normal divides by 0.87962566103423978 and cuts at ±2σ', () => {
    const r = resolveInit(spec('lecun_normal'), dense);
    const sigma = Math.sqrt(1 / 512) / 0.87962566103423978;
    assert.deepEqual(r.distribution, { kind: 'truncated_normal', mean: 0, std: sigma, a: -2 * sigma, b: 2 * sigma });
    // The truncated distribution then has exactly the intended std √(1/fanIn).
    assertClose(r.std, Math.sqrt(1 / 512), 2e-7);
    assert.equal(KERAS_TRUNCATION_STD, 0.87962566103423978);
  });

  test('variance_scaling modes and distributions (Keras)', () => {
    assertClose(resolveInit(spec('variance_scaling', { scale: 2, mode: 'fan_avg', distribution: 'uniform' }), dense).std, Math.sqrt(2 / 384), 1e-12);
    assertClose(resolveInit(spec('variance_scaling', { scale: 2, mode: 'fan_out', distribution: 'untruncated_normal' }), dense).std, Math.sqrt(2 / 256), 1e-12);
    assertClose(resolveInit(spec('variance_scaling'), dense).std, Math.sqrt(1 / 512), 2e-7);
    assertClose(resolveInit(spec('lecun_uniform'), dense).std, Math.sqrt(1 / 512), 1e-12);
  });

  test('keras_default is glorot_uniform with zero bias; multiplier scales the std', () => {
    assertClose(resolveInit(spec('keras_default'), dense).std, Math.sqrt(2 / 768), 1e-12);
    assert.equal(resolveInit(spec('keras_default'), dense, 'bias').std, 0);
    assert.equal(resolveInit(spec('kaiming_normal', {}, 0.5), dense).std, 0.5 * Math.SQRT2 / Math.sqrt(512));
  });

  test('sampled weights have the std the formula gives (within 5 standard errors)', () => {
    for (const [s, shape] of [[spec('xavier_uniform'), dense], [spec('kaiming_normal'), conv], [spec('lecun_normal'), dense],
      [spec('truncated_normal', { mean: 0.1, std: 0.3, a: -0.2, b: 0.5 }), dense], [spec('truncated_normal', { std: 1, a: 2, b: 3 }), dense],
      [spec('uniform', { low: -1, high: 3 }), dense]] as [InitSpec, number[]][]) {
      const r = resolveInit(s, shape);
      const rows = shape[0];
      const cols = shape.slice(1).reduce((a, b) => a * b, 1);
      const actual = sampledStd(r, rows, cols);
      const n = rows * cols;
      assertClose(actual.std, r.std, 5 / Math.sqrt(2 * n), 0, `${r.label} std`);
      assertClose(actual.mean, r.mean, 0, (5 * r.std) / Math.sqrt(n), `${r.label} mean`);
    }
  });

  test('truncated normal stays inside [a, b], also far in the tail (inversion)', () => {
    const r = resolveInit(spec('truncated_normal', { std: 1, a: 3, b: 3.5 }), [100, 100]);
    const w = new Float32Array(10000);
    sampleInit(r, 0, 5, referenceBackend, w, 100, 100);
    assert.ok(w.every((v) => v >= 3 && v <= 3.5));
  });

  test('orthogonal: W·Wᵀ = gain²·I for wide and tall matrices, sign-corrected as PyTorch', () => {
    for (const [rows, cols] of [[8, 20], [20, 8], [16, 16]]) {
      const r = resolveInit(spec('orthogonal', { gain: 2 }), [rows, cols]);
      const w = new Float32Array(rows * cols);
      sampleInit(r, 0, 7, referenceBackend, w, rows, cols);
      const small = Math.min(rows, cols);
      for (let i = 0; i < small; i++) for (let j = 0; j < small; j++) {
        let dot = 0;
        // rows ≤ cols: rows are orthonormal; otherwise columns are.
        for (let k = 0; k < Math.max(rows, cols); k++) dot += rows <= cols ? w[i * cols + k] * w[j * cols + k] : w[k * cols + i] * w[k * cols + j];
        assertClose(dot, i === j ? 4 : 0, 0, 1e-5, `(${rows}×${cols}) gram[${i},${j}]`);
      }
      assertClose(r.std, 2 / Math.sqrt(Math.max(rows, cols)), 1e-12);
    }
  });
});
