#!/usr/bin/env node
// The compute-core benchmarks, each side by side with NumPy float32 (2 OpenBLAS threads) in one invocation:
//   W1      lecture: batch 16, six 4096×4096 tanh layers, init + forward + backward + statistics
//   W1 fwd  the same, init + forward + statistics
//   W2      batch 1000 through ten 500-wide tanh layers, forward + backward + statistics
//   W3      batch 8, 64 channels at 56×56, 8 residual blocks of two 3×3 convs, forward + statistics (NumPy: im2col)
// Medians of --runs runs (default 3) for each engine backend; also the peak resident memory of a W1 run.
//   npm run build && npm run compile-tests && node bench/workloads.js [--runs N]
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..');
const { analyze } = require(path.join(ROOT, 'out', 'src', 'engine', 'index.js'));
const { referenceBackend } = require(path.join(ROOT, 'out', 'src', 'engine', 'referenceBackend.js'));
const { loadComputeBackend } = require(path.join(ROOT, 'out', 'src', 'computeBackend.js'));

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const budget = { flops: 1e12, bytes: 8 * 1024 ** 3 };

const mlp = (batch, width, depth, init) => JSON.stringify({ input: { shape: [width] }, batch_size: batch,
  layers: [{ type: 'repeat', times: depth, layers: [{ type: 'dense', units: width, activation: 'tanh', init }] }] });
const resnet = JSON.stringify({ input: { shape: [64, 56, 56] }, batch_size: 8, layers: [{ type: 'repeat', times: 8, layers: [{ type: 'residual', activation: 'relu', layers: [
  { type: 'conv2d', filters: 64, kernel_size: 3, padding: 'same', activation: 'relu', init: { scheme: 'kaiming_normal', nonlinearity: 'relu' } },
  { type: 'conv2d', filters: 64, kernel_size: 3, padding: 'same', init: { scheme: 'kaiming_normal', nonlinearity: 'relu' } }] }] }] });
// Forward only: stop the sampled run when the forward half is done (the progress callback cancels it).
const forwardOnly = (f) => f > 0.5;
const workloads = [
  { id: 'w1', label: 'W1 lecture, init + fwd + bwd + stats', text: mlp(16, 4096, 6, { scheme: 'normal', std: 0.01 }) },
  { id: 'w1fwd', label: 'W1 lecture, init + fwd + stats', text: mlp(16, 4096, 6, { scheme: 'normal', std: 0.01 }), onProgress: forwardOnly },
  { id: 'w2', label: 'W2 batch 1000, 10 × 500 tanh, fwd + bwd + stats', text: mlp(1000, 500, 10, 'lecun_normal') },
  { id: 'w3', label: 'W3 ResNet-style conv, fwd + stats', text: resnet, onProgress: forwardOnly },
];

const env = { ...process.env, OPENBLAS_NUM_THREADS: '2' };
delete env.OPENBLAS_CORETYPE;
delete env.OPENBLAS_L2_SIZE;
const np = JSON.parse(spawnSync('python3', [path.join(__dirname, 'workloads_numpy.py'), '--runs', String(runs), ...workloads.map((w) => w.id)], { env, encoding: 'utf8' }).stdout);
const backends = [referenceBackend, loadComputeBackend(path.join(ROOT, 'dist')).backend];
console.log(`| workload | NumPy f32, 2 threads | ${backends.map((b) => b.name).join(' | ')} |`);
console.log(`|---|---|${backends.map(() => '---').join('|')}|`);
for (const w of workloads) {
  const cells = backends.map((backend) => {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      analyze(w.text, { mode: 'sampled', backend, budget, onProgress: w.onProgress });
      times.push(performance.now() - t);
    }
    const m = median(times);
    return `${m.toFixed(0)} ms (${(m / np[w.id]).toFixed(2)}×)`;
  });
  console.log(`| ${w.label} | ${np[w.id].toFixed(0)} ms | ${cells.join(' | ')} |`);
}
console.log(`\npeak resident memory of this process after the runs: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
