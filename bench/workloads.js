#!/usr/bin/env node
// The compute-core benchmarks (bench/workloadSpecs.js), each side by side with NumPy float32 (2 OpenBLAS threads) on
// this machine in one invocation, printing medians and ratios (engine ÷ NumPy; below 1 the engine is faster):
//   whole process  wall time from spawning the process to its exit: `node bench/engineOnce.js <id>` (Node start,
//                  engine and kernel load, worker threads, the run) against `python3 bench/workloads_numpy.py
//                  --once <id>` (Python start, NumPy import, the run); runs interleaved;
//   in process     the run alone, median over --runs repeated runs in one warm process (NumPy likewise).
// Also the peak resident memory of the engine's W1 process.
//   npm run build && npm run compile-tests && node bench/workloads.js [--runs N] [--reference] [w1 w2 …]
// --reference adds the TypeScript reference backend to the in-process table (slow: about a minute).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..');
const { analyze } = require(path.join(ROOT, 'out', 'src', 'engine', 'index.js'));
const { referenceBackend } = require(path.join(ROOT, 'out', 'src', 'engine', 'backend', 'reference', 'referenceBackend.js'));
const { loadComputeBackend } = require(path.join(ROOT, 'out', 'src', 'kernels', 'loadComputeBackend.js'));
const { WORKLOADS, BUDGET } = require('./workloadSpecs');

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 5;
const chosen = WORKLOADS.filter((w) => argv.includes(w.id));
const workloads = chosen.length > 0 ? chosen : WORKLOADS;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratio = (engine, numpy) => `${(engine / numpy).toFixed(2)}×`;

// OpenBLAS as the perf notes measured it: 2 threads, no core-type or L2 overrides (they slow a current OpenBLAS).
const env = { ...process.env, OPENBLAS_NUM_THREADS: '2' };
delete env.OPENBLAS_CORETYPE;
delete env.OPENBLAS_L2_SIZE;
const NUMPY = path.join(__dirname, 'workloads_numpy.py');

/** Wall time of one process, from spawn to exit, and its stdout. */
function timeProcess(command, args) {
  const t = performance.now();
  const result = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 1 << 20 });
  const ms = performance.now() - t;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

console.log(`Whole processes, median of ${runs} (engine: WebAssembly backend, ${loadComputeBackend(path.join(ROOT, 'dist')).backend.name}):\n`);
console.log('| workload | NumPy f32, 2 threads | engine | ratio | target |');
console.log('|---|---|---|---|---|');
let w1Peak = null;
for (const w of workloads) {
  const engine = [], numpy = [];
  for (let i = 0; i < runs; i++) {
    const e = timeProcess(process.execPath, [path.join(__dirname, 'engineOnce.js'), w.id]);
    engine.push(e.ms);
    if (w.id === 'w1') w1Peak = Math.max(w1Peak ?? 0, JSON.parse(e.stdout).peakRssMiB);
    numpy.push(timeProcess('python3', [NUMPY, '--once', w.id]).ms);
  }
  const [e, n] = [median(engine), median(numpy)];
  console.log(`| ${w.label} | ${n.toFixed(0)} ms | ${e.toFixed(0)} ms | ${ratio(e, n)} | ≤ ${w.target}× |`);
}

const inProcess = JSON.parse(spawnSync('python3', [NUMPY, '--runs', String(runs), ...workloads.map((w) => w.id)], { env, encoding: 'utf8' }).stdout);
const backends = [loadComputeBackend(path.join(ROOT, 'dist')).backend, ...(argv.includes('--reference') ? [referenceBackend] : [])];
console.log(`\nIn one warm process, the run alone, median of ${runs}:\n`);
console.log(`| workload | NumPy f32, 2 threads | ${backends.map((b) => b.name).join(' | ')} |`);
console.log(`|---|---|${backends.map(() => '---').join('|')}|`);
for (const w of workloads) {
  const cells = backends.map((backend) => {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      analyze(w.text, { mode: 'sampled', backend, budget: BUDGET, onProgress: w.onProgress });
      times.push(performance.now() - t);
    }
    const m = median(times);
    return `${m.toFixed(0)} ms (${ratio(m, inProcess[w.id])})`;
  });
  console.log(`| ${w.label} | ${inProcess[w.id].toFixed(0)} ms | ${cells.join(' | ')} |`);
}
if (w1Peak !== null) console.log(`\nPeak resident memory of the engine's W1 process: ${w1Peak.toFixed(0)} MiB (one layer's weights are 64 MiB, all six 384 MiB).`);
