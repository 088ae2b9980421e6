#!/usr/bin/env node
// The normalizations' forward and backward passes (ComputeBackend.normalize / normalizeBackward) in the TypeScript
// reference loops and in the WebAssembly kernels, on the backend's own tensors: batchnorm over a [16, 64, 32, 32]
// conv activation (64 channels of 16·1024), layernorm over [16·128, 768] tokens, rmsnorm with a gain over the same.
// Medians of 7 runs and the ratio reference/WebAssembly.
//   npm run build && npm run compile-tests && node bench/normalization.js
'use strict';
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..');
const { referenceBackend } = require(path.join(ROOT, 'out', 'src', 'engine', 'backend', 'reference', 'referenceBackend.js'));
const { loadComputeBackend } = require(path.join(ROOT, 'out', 'src', 'kernels', 'loadComputeBackend.js'));
const { streamKey } = require(path.join(ROOT, 'out', 'src', 'engine', 'random', 'fill.js'));

const RUNS = 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cases = [
  { name: 'batchnorm [16, 64, 32, 32]', groups: { groups: 64, segments: 16, length: 1024, groupStride: 1024, segmentStride: 65536 }, center: true, gain: false },
  { name: 'layernorm [16·128, 768]', groups: { groups: 2048, segments: 1, length: 768, groupStride: 768, segmentStride: 0 }, center: true, gain: false },
  { name: 'rmsnorm [16·128, 768], gain', groups: { groups: 2048, segments: 1, length: 768, groupStride: 768, segmentStride: 0 }, center: false, gain: true },
];
const wasm = loadComputeBackend(path.join(ROOT, 'dist')).backend;
for (const c of cases) {
  const size = c.groups.groups * c.groups.length * c.groups.segments;
  const times = {};
  for (const backend of [referenceBackend, wasm]) {
    const x = backend.allocate(size), xhat = backend.allocate(size), y = backend.allocate(size), dy = backend.allocate(size), dx = backend.allocate(size);
    backend.fillNormal(streamKey(1, 1), x, 0.3, 2);
    backend.fillNormal(streamKey(1, 2), dy, 0, 1);
    const gain = c.gain ? new Float32Array(c.groups.length).fill(1.5) : null;
    const inv = new Float64Array(c.groups.groups);
    const forward = [], backward = [];
    for (let r = 0; r < RUNS + 1; r++) {
      let t = performance.now();
      backend.normalize(x, xhat, gain ? y : null, gain, c.groups, 1e-5, c.center, inv);
      const f = performance.now() - t;
      t = performance.now();
      backend.normalizeBackward(xhat, dy, gain, inv, c.groups, c.center, dx);
      const b = performance.now() - t;
      if (r > 0) { forward.push(f); backward.push(b); }
    }
    times[backend.name] = { forward: median(forward), backward: median(backward) };
    for (const t of [x, xhat, y, dy, dx]) backend.release(t);
  }
  const [ref, fast] = [times[referenceBackend.name], times[wasm.name]];
  console.log(`${c.name} (${(size / 1e6).toFixed(2)} M floats): forward ${ref.forward.toFixed(1)} ms → ${fast.forward.toFixed(1)} ms (×${(ref.forward / fast.forward).toFixed(1)}), ` +
    `backward ${ref.backward.toFixed(1)} ms → ${fast.backward.toFixed(1)} ms (×${(ref.backward / fast.backward).toFixed(1)}) [${wasm.name}]`);
}
