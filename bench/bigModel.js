#!/usr/bin/env node
// Issue 13's big-model target: the sampled run of a Llama-3-8B-shaped config (the project's
// test/fixtures/huggingFace/llama-3-8b.config.json: hidden 4096, 32 layers, 32 heads, 8 KV heads, intermediate 14336,
// vocab 128256, untied; 8,030,261,248 parameters) at 16 tokens, init + forward + backward + statistics, run past the
// default budget (as the panel's "Run anyway" does) with every weight streamed by blocks of rows. One fresh process
// (Node's start, the engine, the kernels, the run) timed from the outside; prints, as JSON, the whole process's
// wall time, the run's own time, the process's CPU time (both threads: on a loaded machine, wall ≈ CPU/2 is what
// an idle one would take), the peak resident memory, each against the target (60 s, 1.5 GiB), the progress calls
// seen, and the report's loss beside ln(vocab). Needs `npm run build && npm run compile-tests`.
//   node bench/bigModel.js [config.json] [--tokens N]
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const tokensAt = args.indexOf('--tokens');
const tokens = tokensAt >= 0 ? Number(args[tokensAt + 1]) : 16;
const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--tokens') ?? path.join(ROOT, 'test', 'fixtures', 'huggingFace', 'llama-3-8b.config.json');
const TARGET_MS = 60_000;
const TARGET_MIB = 1536;

if (args.includes('--once')) {
  const { analyze } = require(path.join(ROOT, 'out', 'src', 'engine', 'index.js'));
  const { backend } = require(path.join(ROOT, 'out', 'src', 'kernels', 'loadComputeBackend.js')).loadComputeBackend(path.join(ROOT, 'dist'));
  let progressCalls = 0;
  const t = performance.now();
  const report = analyze(fs.readFileSync(file, 'utf8'), {
    mode: 'sampled', tokens, backend, budget: { flops: Infinity, bytes: Infinity }, onProgress: () => { progressCalls++; return false; },
  });
  const runMs = performance.now() - t;
  const head = report.layers[report.layers.length - 1];
  console.log(JSON.stringify({
    runMs, cpuS: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6, peakRssMiB: process.resourceUsage().maxRSS / 1024, backend: backend.name, progressCalls, layers: report.layers.length,
    estimateMiB: report.cost.peakBytes / 2 ** 20, parameters: report.cost.parameterCount, refused: report.sampledRefused,
    loss: head.loss ?? null, errors: report.problems.filter((p) => p.severity === 'error').map((p) => p.message),
  }));
  process.exit(0);
}

const t = performance.now();
const out = JSON.parse(execFileSync(process.execPath, [__filename, file, '--tokens', String(tokens), '--once'], { encoding: 'utf8', maxBuffer: 1 << 24 }));
const processMs = performance.now() - t;
console.log(JSON.stringify({ file: path.relative(ROOT, file), tokens, processMs, ratioToTarget: processMs / TARGET_MS, ...out, memoryRatioToTarget: out.peakRssMiB / TARGET_MIB }, null, 2));
