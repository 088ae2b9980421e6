#!/usr/bin/env node
// W1's floor: only the kernel work the lecture workload cannot do without, in a fresh process, to compare with the
// engine's whole W1 process (bench/workloads.js). Six 4096 × 4096 N(0, 0.01²) weights drawn by the engine's fill in
// 1 Mi-float blocks (as the engine streams them), x·Wᵀ for a batch of 16 through tanh, then the backward pass's five
// weights drawn again and dy·W: 184 M normals and 11 GEMMs of 16 × 4096 × 4096 on the same kernels and threads. No
// statistics, no report, no plan: whatever the engine adds is above this. The process loads only the backend's modules
// and the kernel thread (not the engine's index, whose load `--with-engine` adds first).
//   npm run build && npm run compile-tests && node bench/w1Floor.js [--runs N] [--with-engine]
// Prints the process's own times: until the kernels are loaded, and the work (first run, and warm runs with --runs).
'use strict';
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..');
const fs = require('node:fs');
require('node:v8').setFlagsFromString('--no-wasm-dynamic-tiering');
const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 1;
if (argv.includes('--with-engine')) require(path.join(ROOT, 'out', 'src', 'engine', 'index.js'));
const { createWasmBackend } = require(path.join(ROOT, 'out', 'src', 'engine', 'backend', 'wasm', 'wasmBackend.js'));
const { KernelThreadPool } = require(path.join(ROOT, 'out', 'src', 'kernels', 'kernelThreadPool.js'));
const { streamKey } = require(path.join(ROOT, 'out', 'src', 'engine', 'random', 'fill.js'));

const loadedAt = performance.now();
// As loadComputeBackend does it: the module compiled once, a shared memory, a kernel thread for every other core.
const DIST = path.join(ROOT, 'dist');
const module_ = new WebAssembly.Module(fs.readFileSync(path.join(DIST, 'kernels.wasm')));
const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
const extra = require('node:os').availableParallelism() - 1;
const backend = createWasmBackend(module_, { memory, threads: extra > 0 ? new KernelThreadPool(module_, memory, extra, DIST) : undefined });
const B = 16, W = 4096, DEPTH = 6, ROWS = 256;
const tanh = { name: 'tanh' };

function work() {
  const block = backend.allocate(ROWS * W);
  const part = backend.allocate(B * ROWS);
  const acts = Array.from({ length: DEPTH + 1 }, () => backend.allocate(B * W));
  const pres = Array.from({ length: DEPTH }, () => backend.allocate(B * W));
  backend.fillNormal(streamKey(0, 0xfffffff0), acts[0], 0, 1);
  for (let l = 0; l < DEPTH; l++) {
    for (let r0 = 0; r0 < W; r0 += ROWS) {
      backend.fillNormal(streamKey(0, 4 * l + 1), block, 0, 0.01, r0 * W);
      backend.gemm(false, true, B, ROWS, W, acts[l], block, part, false);
      for (let i = 0; i < B; i++) pres[l].set(part.subarray(i * ROWS, (i + 1) * ROWS), i * W + r0);
    }
    backend.activate(tanh, pres[l], acts[l + 1]);
  }
  let dy = backend.allocate(B * W);
  backend.fillNormal(streamKey(0, 0xfffffff1), dy, 0, 1);
  for (let l = DEPTH - 1; l >= 1; l--) {
    backend.multiplyByDerivative(tanh, pres[l], dy);
    const dx = backend.allocate(B * W);
    for (let r0 = 0; r0 < W; r0 += ROWS) {
      backend.fillNormal(streamKey(0, 4 * l + 1), block, 0, 0.01, r0 * W);
      for (let i = 0; i < B; i++) part.set(dy.subarray(i * W + r0, i * W + r0 + ROWS), i * ROWS);
      backend.gemm(false, false, B, W, ROWS, part, block, dx, r0 > 0);
    }
    backend.release(dy);
    dy = dx;
  }
  for (const t of [block, part, dy, ...acts, ...pres]) backend.release(t);
}

const times = [];
for (let r = 0; r < runs; r++) {
  const t = performance.now();
  work();
  times.push(performance.now() - t);
}
console.log(JSON.stringify({ kernelsLoadedMs: Math.round(performance.now() - loadedAt - times.reduce((a, b) => a + b, 0)), processUntilLoadedMs: Math.round(loadedAt), firstRunMs: Math.round(times[0]), warmRunMs: runs > 1 ? Math.round(Math.min(...times.slice(1))) : null, backend: backend.name }));
process.exit(0);
