#!/usr/bin/env node
// Times the lecture workload (batch 16, six 4096×4096 tanh layers with 0.01·randn: weight generation, forward,
// backward and statistics) in the engine and in NumPy on this machine, side by side, and prints medians and the ratio.
//   npm run bench                  (builds first)
//   node bench/lecture.js --runs 5 --forward-only
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 3;
const forwardOnly = argv.includes('--forward-only');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function engine(backend) {
  const text = fs.readFileSync(path.join(ROOT, 'examples', 'tanh-0.01-randn.net.json'), 'utf8');
  const { analyze } = require(path.join(ROOT, 'out', 'src', 'engine', 'index.js'));
  const times = [];
  let report;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    report = analyze(text, { mode: 'sampled', backend, onProgress: forwardOnly ? (f) => f > 0.5 : undefined });
    times.push(performance.now() - t);
  }
  return { median: median(times), times, report };
}

function numpy() {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '2' };
  // A current OpenBLAS is slower with these set (see shared perf notes); unset them for NumPy only.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const args = [path.join(__dirname, 'lecture_numpy.py'), '--runs', String(runs)];
  if (forwardOnly) args.push('--forward-only');
  const r = spawnSync('python3', args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`NumPy benchmark failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

if (!fs.existsSync(path.join(ROOT, 'out', 'src', 'engine', 'index.js'))) {
  console.error('out/ is missing: run `npm run compile-tests` (or `npm test`) first');
  process.exit(2);
}
const { referenceBackend } = require(path.join(ROOT, 'out', 'src', 'engine', 'referenceBackend.js'));
const { loadComputeBackend } = require(path.join(ROOT, 'out', 'src', 'computeBackend.js'));
const backends = [referenceBackend, loadComputeBackend(path.join(ROOT, 'dist')).backend].filter((b, i, all) => all.indexOf(b) === i);
const results = backends.map((b) => engine(b));
const n = numpy();
const label = forwardOnly ? 'forward (cancelled at the half-way point: weight generation + forward + statistics)' : 'init + forward + backward + statistics';
console.log(`lecture workload: batch 16, 6 × 4096×4096 tanh, 0.01·randn — ${label}, ${runs} runs each, one thread`);
console.log(`  NumPy ${n.numpy} float32, OPENBLAS_NUM_THREADS=2: median ${n.median_ms.toFixed(0)} ms  [${n.runs_ms.map((t) => t.toFixed(0)).join(', ')}]`);
for (const e of results) {
  console.log(`  engine, ${e.report.backend}: median ${e.median.toFixed(0)} ms  [${e.times.map((t) => t.toFixed(0)).join(', ')}]  ratio to NumPy ${(e.median / n.median_ms).toFixed(2)}`);
}
if (!forwardOnly) console.log(`  last-layer output std: engine ${results[0].report.layers[5].activation.std.toFixed(4)}, NumPy ${n.last_std[5].toFixed(4)}`);
