#!/usr/bin/env node
// The analytic prediction of a 7B–8B Hugging Face config (issue 13: in under a second), and its sampled run refused
// by the default budget with the estimate, without allocating. The config is the project's Llama-3-8B-shaped
// test/fixtures/huggingFace/llama-3-8b.config.json (hidden 4096, 32 layers, 32 heads, 8 KV heads, intermediate 14336,
// vocab 128256, rope_theta 500000, untied). Prints, as JSON:
//   cold: one analytic analyze() in a fresh Node process (the CLI's case), the analysis alone and the whole process;
//   warm: the median of 10 analytic runs in this process;
//   refused: one default run (mode both, default budget) — the refusal message and the process's peak memory.
// Each time is also given as a ratio to the 1,000 ms target. Needs `npm run compile-tests` (out/).
//   node bench/hfAnalytic.js [config.json]
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const ROOT = path.resolve(__dirname, '..');
const ENGINE = path.join(ROOT, 'out', 'src', 'engine', 'index.js');
const file = process.argv[2] ?? path.join(ROOT, 'test', 'fixtures', 'huggingFace', 'llama-3-8b.config.json');
const TARGET_MS = 1000;

if (process.argv[3] === '--once') {
  // The child: one analytic run, timed inside.
  const t = performance.now();
  const { analyze } = require(ENGINE);
  const loaded = performance.now();
  const report = analyze(fs.readFileSync(file, 'utf8'), { mode: process.argv[4] ?? 'analytic' });
  const done = performance.now();
  const errors = report.problems.filter((p) => p.severity === 'error').map((p) => p.message);
  console.log(JSON.stringify({ loadMs: loaded - t, analyzeMs: done - loaded, parameters: report.cost?.parameterCount ?? null, errors,
    sampledRefused: report.sampledRefused, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const once = (mode) => {
  const t = performance.now();
  const out = JSON.parse(execFileSync(process.execPath, [__filename, file, '--once', mode], { encoding: 'utf8' }));
  return { ...out, processMs: performance.now() - t };
};
const cold = once('analytic');
if (cold.errors.length > 0) {
  console.error(`the config does not analyze: ${cold.errors.join('; ')}`);
  process.exit(1);
}
const { analyze } = require(ENGINE);
const text = fs.readFileSync(file, 'utf8');
analyze(text, { mode: 'analytic' });
const times = [];
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  analyze(text, { mode: 'analytic' });
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const warm = (times[4] + times[5]) / 2;
const refused = once('both');
const round = (x) => Number(x.toPrecision(3));
console.log(JSON.stringify({
  file: path.relative(ROOT, file), parameters: cold.parameters,
  cold: { analyzeMs: round(cold.analyzeMs), loadMs: round(cold.loadMs), processMs: round(cold.processMs), ratioToTarget: round(cold.analyzeMs / TARGET_MS) },
  warm: { medianMs: round(warm), ratioToTarget: round(warm / TARGET_MS) },
  refused: { message: refused.sampledRefused, analyzeMs: round(refused.analyzeMs), peakRssMiB: round(refused.peakRssMiB) },
}, null, 2));
