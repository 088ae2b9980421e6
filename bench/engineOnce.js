#!/usr/bin/env node
// One benchmark workload in a fresh process, as a user's run would be: load the engine and the WebAssembly kernels
// (or the reference backend with --reference), run the workload once, print {"ms", "peakRssMiB", "backend"} as JSON.
// `ms` is the analysis alone; bench/workloads.js times the whole process from the outside.
//   node bench/engineOnce.js w1 [--reference]
'use strict';
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..');
const { analyze } = require(path.join(ROOT, 'out', 'src', 'engine', 'index.js'));
const { WORKLOADS, BUDGET } = require('./workloadSpecs');

const [id] = process.argv.slice(2);
const workload = WORKLOADS.find((w) => w.id === id);
if (!workload) {
  console.error(`unknown workload ${id}: one of ${WORKLOADS.map((w) => w.id).join(', ')}`);
  process.exit(2);
}
const backend = process.argv.includes('--reference')
  ? require(path.join(ROOT, 'out', 'src', 'engine', 'backend', 'reference', 'referenceBackend.js')).referenceBackend
  : require(path.join(ROOT, 'out', 'src', 'kernels', 'loadComputeBackend.js')).loadComputeBackend(path.join(ROOT, 'dist')).backend;
const t = performance.now();
analyze(workload.text, { mode: 'sampled', backend, budget: BUDGET, onProgress: workload.onProgress });
const ms = performance.now() - t;
console.log(JSON.stringify({ ms, peakRssMiB: process.resourceUsage().maxRSS / 1024, backend: backend.name }));
process.exit(0);
