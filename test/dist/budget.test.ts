import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { analyze, type ComputeBackend } from '../../src/engine';
import { referenceBackend } from '../../src/engine/backend/reference/referenceBackend';
import { formatBytes } from '../../src/engine/sampled/cost';

/** What the probe (memory/peakProbe.ts) prints for one network. */
interface Measured {
  estimateBytes: number;
  peakBytes: number;
  wasmBytes: number;
  jsBytes: number;
  heapBytes: number;
  finite: boolean;
}

/**
 * The measured peak may pass the estimate by this much: typed arrays under 4 KiB are counted at the next sample
 * rather than when made, and V8's heap moves by some hundreds of KiB between collections.
 */
const MARGIN_BYTES = 4 * 1024 ** 2;

const dense = (units: number, init: unknown, activation = 'relu'): unknown => ({ type: 'dense', units, activation, init });
const conv = (filters: number, kernel: number, extra: object = {}): unknown => ({ type: 'conv2d', filters, kernel_size: kernel, activation: 'relu', init: 'kaiming_normal', ...extra });

/** Wide, tall, deep and conv-heavy networks, each with a different buffer at its peak. */
const NETWORKS: Record<string, unknown> = {
  'wide dense (weights regenerated)': { input: { shape: [4096] }, batch_size: 16, layers: [{ type: 'repeat', times: 4, layers: [dense(4096, { scheme: 'normal', std: 0.01 }, 'tanh')] }] },
  'tall: 60 × (dense, batchnorm)': { input: { shape: [128] }, batch_size: 32, layers: [{ type: 'repeat', times: 60, layers: [dense(128, 'kaiming_normal'), { type: 'batchnorm' }] }] },
  'deep conv, pooling, odd tiles': { input: { shape: [3, 64, 64] }, batch_size: 8, layers: [conv(32, 3, { padding: 'same' }), conv(32, 3, { padding: 'same' }), { type: 'maxpool2d', size: 2 },
    conv(64, 3, { padding: 'same' }), { type: 'avgpool2d', size: 2 }, conv(3, 5, { padding: 1 }), { type: 'flatten' }, dense(10, 'xavier_normal', 'linear')] },
  'conv, huge kernel (dW the size of W)': { input: { shape: [16, 32, 32] }, batch_size: 4, layers: [conv(256, 32), { type: 'flatten' }, dense(16, 'xavier_normal')] },
  'conv, big im2col, odd filters': { input: { shape: [8, 64, 64] }, batch_size: 2, layers: [conv(61, 15), { type: 'global_avg_pool' }] },
  'truncated normal (draw buffer)': { input: { shape: [4096] }, batch_size: 4, layers: [dense(4096, { scheme: 'truncated_normal', std: 0.02, a: -0.04, b: 0.04 }), dense(2048, { scheme: 'truncated_normal', std: 0.02, a: -0.04, b: 0.04 })] },
  'orthogonal (float64 QR)': { input: { shape: [4096] }, batch_size: 8, layers: [dense(256, 'orthogonal', 'tanh'), dense(256, 'orthogonal', 'linear')] },
  'a million units (distinct-units sort)': { input: { shape: [2] }, batch_size: 2, layers: [dense(1000000, 'kaiming_normal')] },
  'residual, projection, layernorm, dropout': { input: { shape: [1024] }, batch_size: 64, layers: [{ type: 'repeat', times: 4, layers: [{ type: 'residual', shortcut: { type: 'projection', init: 'xavier_normal' },
    layers: [{ type: 'layernorm' }, dense(1024, 'kaiming_normal', 'gelu'), { type: 'dropout', rate: 0.1 }, dense(1024, 'zeros', 'linear')] }] }] },
  'transformer: embedding, attention, gated MLP, tied head': { input: { tokens: 128, vocab: 32000 }, batch_size: 2, layers: [
    { type: 'embedding', vocab: 32000, units: 512, init: { scheme: 'normal', std: 0.02 } },
    { type: 'repeat', times: 2, layers: [
      { type: 'residual', layers: [{ type: 'layernorm' }, { type: 'attention', heads: 8, kv_heads: 2, causal: true, rotary: {}, init: { scheme: 'normal', std: 0.02 } }] },
      { type: 'residual', layers: [{ type: 'layernorm' }, { type: 'gated_mlp', hidden: 1376, init: { scheme: 'normal', std: 0.02 } }] }] },
    { type: 'layernorm' }, { type: 'lm_head', vocab: 32000, tied: true }] },
  'transformer: fused qkv, long sequence, untied head': { input: { shape: [512, 256] }, batch_size: 2, layers: [
    { type: 'position_embedding', positions: 512 },
    { type: 'residual', layers: [{ type: 'layernorm' }, { type: 'attention', heads: 4, causal: true, fused_qkv: true }] },
    { type: 'residual', layers: [{ type: 'layernorm' }, dense(1024, 'xavier_normal', 'gelu_new'), dense(256, 'xavier_normal', 'linear')] },
    { type: 'lm_head', vocab: 5000 }] },
};

/** Runs one network's sampled pass in a fresh process and measures its peak (see memory/peakProbe.ts). */
function measure(network: unknown): Measured {
  const probe = path.join(__dirname, 'memory', 'peakProbe.js');
  const r = spawnSync(process.execPath, ['--expose-gc', probe], { input: JSON.stringify(network), encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`the probe failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
}

suite('the memory budget is a promise: a sampled run holds no more than its estimate (WebAssembly backend)', () => {
  test('measured peak ≤ estimate + 4 MiB for wide, tall, deep and conv-heavy networks', function () {
    this.timeout(600000);
    const rows: string[] = [];
    const over: string[] = [];
    for (const [name, network] of Object.entries(NETWORKS)) {
      const m = measure(network);
      assert.ok(m.finite, `${name}: finite statistics`);
      rows.push(`${name.padEnd(42)} ${formatBytes(m.peakBytes).padStart(10)} ${formatBytes(m.estimateBytes).padStart(10)} ${(m.peakBytes / m.estimateBytes).toFixed(2).padStart(6)}` +
        `   (wasm ${formatBytes(m.wasmBytes)}, typed arrays ${formatBytes(m.jsBytes)}, heap ${formatBytes(m.heapBytes)})`);
      if (m.peakBytes > m.estimateBytes + MARGIN_BYTES) over.push(`${name}: ${formatBytes(m.peakBytes)} > ${formatBytes(m.estimateBytes)} + 4 MiB`);
    }
    console.log(`      ${'network'.padEnd(42)} ${'peak'.padStart(10)} ${'estimate'.padStart(10)} ${'ratio'.padStart(6)}\n      ${rows.join('\n      ')}`);
    assert.deepEqual(over, []);
  });

  test('a run over budget is refused before the backend allocates anything, with the estimate, and the prediction is kept', () => {
    let allocations = 0;
    const counting: ComputeBackend = { ...referenceBackend, allocate: (length) => { allocations++; return referenceBackend.allocate(length); } };
    const text = JSON.stringify(NETWORKS['tall: 60 × (dense, batchnorm)']);
    const fits = analyze(text, { mode: 'sampled', backend: counting, budget: { flops: 1e12, bytes: 3 * 1024 ** 3 } });
    assert.equal(fits.sampledRefused, null);
    assert.ok(allocations > 0);
    allocations = 0;
    const estimate = fits.cost!.peakBytes;
    const refused = analyze(text, { mode: 'sampled', backend: counting, budget: { flops: 1e12, bytes: estimate - 1 } });
    assert.equal(allocations, 0);
    assert.match(refused.sampledRefused!, new RegExp(`sampled run refused: it would need ${formatBytes(estimate).replace('.', '\\.')} of memory`));
    assert.ok(refused.layers.every((l) => l.activation === null && l.predicted !== null));
  });
});
