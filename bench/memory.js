#!/usr/bin/env node
// Peak memory of one sampled run of the lecture workload (batch 16, six 4096×4096 tanh layers), in a fresh process:
// the weights are regenerated for the backward pass instead of kept, so the peak should stay near one layer's
// weights (64 MiB) plus the batch's activations, not the whole network's 384 MiB.
//   node bench/memory.js [reference|wasm]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..');
const { analyze } = require(path.join(ROOT, 'out', 'src', 'engine', 'index.js'));
const { referenceBackend } = require(path.join(ROOT, 'out', 'src', 'engine', 'backend', 'reference', 'referenceBackend.js'));
const { loadComputeBackend } = require(path.join(ROOT, 'out', 'src', 'kernels', 'loadComputeBackend.js'));

const backend = process.argv[2] === 'reference' ? referenceBackend : loadComputeBackend(path.join(ROOT, 'dist')).backend;
const text = fs.readFileSync(path.join(ROOT, 'examples', 'tanh-0.01-randn.net.json'), 'utf8');
const before = process.resourceUsage().maxRSS / 1024;
const report = analyze(text, { mode: 'sampled', backend });
const peak = process.resourceUsage().maxRSS / 1024;
console.log(`lecture workload, ${report.backend}: peak RSS ${peak.toFixed(0)} MiB (process at start ${before.toFixed(0)} MiB; the engine's estimate ${(report.cost.peakBytes / 1024 ** 2).toFixed(0)} MiB; all weights would be ${(report.cost.weightCount * 4 / 1024 ** 2).toFixed(0)} MiB)`);
