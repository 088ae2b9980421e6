#!/usr/bin/env node
// GEMM 16×4096×4096 (the lecture's forward product y = x·Wᵀ, and dx = dpre·W) in each engine backend and in NumPy
// float32 (2 OpenBLAS threads), side by side: medians and GFLOP/s. Operands are the backend's own tensors
// (`allocate`), as the engine's weights and activations are; --copy passes plain arrays instead, which the
// WebAssembly backend copies into its memory and back on every call.
//   npm run build && npm run compile-tests && node bench/gemm.js
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..');
const { referenceBackend } = require(path.join(ROOT, 'out', 'src', 'engine', 'backend', 'reference', 'referenceBackend.js'));
const { loadComputeBackend } = require(path.join(ROOT, 'out', 'src', 'kernels', 'loadComputeBackend.js'));
const { Rng } = require(path.join(ROOT, 'out', 'src', 'engine', 'random', 'rng.js'));

const M = 16, N = 4096, K = 4096, RUNS = 7;
const flop = 2 * M * N * K;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const copy = process.argv.includes('--copy');
const rng = new Rng(0, 1);
const x0 = new Float32Array(M * K).map(() => rng.normal());
const w0 = new Float32Array(N * K).map(() => rng.normal());

const env = { ...process.env, OPENBLAS_NUM_THREADS: '2' };
delete env.OPENBLAS_CORETYPE;
delete env.OPENBLAS_L2_SIZE;
const py = `
import numpy as np, time, json
x = np.random.default_rng(0).standard_normal((${M}, ${K}), dtype=np.float32)
w = np.random.default_rng(1).standard_normal((${N}, ${K}), dtype=np.float32)
ts = {}
for name, f in (('NT', lambda: x @ w.T), ('NN', lambda: x @ w)):
    f(); t = []
    for _ in range(${RUNS}):
        s = time.perf_counter(); f(); t.append((time.perf_counter() - s) * 1000)
    ts[name] = float(np.median(t))
print(json.dumps(ts))`;
const np = JSON.parse(spawnSync('python3', ['-c', py], { env, encoding: 'utf8' }).stdout);
console.log(`GEMM ${M}×${N}×${K} (${(flop / 1e9).toFixed(2)} GFLOP), median of ${RUNS}:`);
console.log(`  NumPy float32, 2 threads:   x·Wᵀ ${np.NT.toFixed(1)} ms (${(flop / np.NT / 1e6).toFixed(1)} GFLOP/s)   x·W ${np.NN.toFixed(1)} ms (${(flop / np.NN / 1e6).toFixed(1)} GFLOP/s)`);
for (const backend of [referenceBackend, loadComputeBackend(path.join(ROOT, 'dist')).backend]) {
  const tensor = (from) => { const t = copy ? new Float32Array(from.length) : backend.allocate(from.length); t.set(from); return t; };
  const x = tensor(x0), w = tensor(w0), y = tensor(new Float32Array(M * N));
  const time = (transB) => {
    backend.gemm(false, transB, M, N, K, x, w, y, false);
    const t = [];
    for (let i = 0; i < RUNS; i++) { const s = performance.now(); backend.gemm(false, transB, M, N, K, x, w, y, false); t.push(performance.now() - s); }
    return median(t);
  };
  const nt = time(true);
  const nn = time(false);
  for (const t of [x, w, y]) backend.release(t);
  console.log(`  ${backend.name.padEnd(26)} x·Wᵀ ${nt.toFixed(1)} ms (${(flop / nt / 1e6).toFixed(1)} GFLOP/s, ${(nt / np.NT).toFixed(1)}× NumPy)   x·W ${nn.toFixed(1)} ms (${(flop / nn / 1e6).toFixed(1)} GFLOP/s, ${(nn / np.NN).toFixed(1)}× NumPy)`);
}
