#!/usr/bin/env node
// The benchmarks (bench/workloadSpecs.js), each side by side with NumPy float32 (w1 to w3) and PyTorch float32 (w1,
// w4), both on 2 OpenBLAS threads, on this machine in one invocation, printing medians and ratios (engine ÷ NumPy,
// engine ÷ PyTorch; below 1 the engine is faster):
//   whole process  wall time from spawning the process to its exit: the CLI as a user runs it, `node dist/cli.js
//                  analyze <workload file> --mode sampled --json` (Node start, engine and kernel load, worker threads,
//                  the run, the report written; `node bench/engineOnce.js <id>` for the forward-only workloads, which
//                  the CLI cannot stop half-way) against `python3 bench/workloads_numpy.py --once <id>` (Python start,
//                  NumPy import, the run) and `/usr/bin/python3 bench/workloads_torch.py --once <id>` (Python start,
//                  torch import, the run); the three interleaved run by run;
//   in process     the run alone, median over --runs repeated runs in one warm process (NumPy and PyTorch likewise).
// Also the peak resident memory of the engine's W1 and W4 processes.
//   npm run build && npm run compile-tests && node bench/workloads.js [--runs N] [--reference] [--no-torch] [w1 w4 …]
// --reference adds the TypeScript reference backend to the in-process table (slow: about a minute, more with w4);
// --no-torch skips PyTorch (Debian's python3-torch with /usr/bin/python3: apt-get install python3-torch
// libopenblas0-pthread).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
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
const ratio = (engine, other) => `${(engine / other).toFixed(2)}×`;

// OpenBLAS as the perf notes measured it: 2 threads, no core-type or L2 overrides (they slow a current OpenBLAS).
const env = { ...process.env, OPENBLAS_NUM_THREADS: '2' };
delete env.OPENBLAS_CORETYPE;
delete env.OPENBLAS_L2_SIZE;
const NUMPY = path.join(__dirname, 'workloads_numpy.py');
const TORCH = path.join(__dirname, 'workloads_torch.py');
/** Debian's Python, the one python3-torch installs into (a pyenv `python3` does not see it). */
const TORCH_PYTHON = '/usr/bin/python3';
const NUMPY_IDS = ['w1', 'w1fwd', 'w2', 'w3'];
const TORCH_IDS = ['w1', 'w4'];
const hasTorch = !argv.includes('--no-torch') && fs.existsSync(TORCH_PYTHON)
  && spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { env }).status === 0;
if (!hasTorch && !argv.includes('--no-torch')) console.log('(PyTorch not found: /usr/bin/python3 cannot import torch; its columns stay empty)\n');

/** Wall time of one process, from spawn to exit, its stdout and stderr. */
function timeProcess(command, args) {
  const t = performance.now();
  const result = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = performance.now() - t;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return { ms, stdout: result.stdout, stderr: result.stderr };
}

/** The engine's process for workload w: the CLI on the workload's file (bench/peakRss.js reports its peak memory). */
const workloadDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'init-inspector-bench-'));
process.on('exit', () => fs.rmSync(workloadDir, { recursive: true, force: true }));
function engineProcess(w) {
  if (w.onProgress) {
    const e = timeProcess(process.execPath, [path.join(__dirname, 'engineOnce.js'), w.id]);
    return { ms: e.ms, peakRssMiB: JSON.parse(e.stdout).peakRssMiB };
  }
  const file = path.join(workloadDir, `${w.id}.json`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, w.text);
  const e = timeProcess(process.execPath, ['--require', path.join(__dirname, 'peakRss.js'), path.join(ROOT, 'dist', 'cli.js'), 'analyze', file,
    '--mode', 'sampled', '--json', '--max-gflop', String(BUDGET.flops / 1e9), '--max-memory-mib', String(3 * 1024)]);
  const { sampledRefused } = JSON.parse(e.stdout);
  if (sampledRefused) throw new Error(`the CLI refused ${w.id}'s sampled run: ${sampledRefused}`);
  return { ms: e.ms, peakRssMiB: JSON.parse(e.stderr.trim().split('\n').pop()).peakRssMiB };
}

const cell = (ms) => (ms === undefined ? '—' : `${ms.toFixed(0)} ms`);
const ratioCell = (engine, other, target) => (other === undefined ? '—' : `${ratio(engine, other)}${target !== undefined ? ` (≤ ${target}×)` : ''}`);

console.log(`Whole processes, median of ${runs} (engine: WebAssembly backend, ${loadComputeBackend(path.join(ROOT, 'dist')).backend.name}):\n`);
console.log('| workload | NumPy f32, 2 threads | PyTorch f32, 2 threads | engine | engine ÷ NumPy (target) | engine ÷ PyTorch (target) |');
console.log('|---|---|---|---|---|---|');
const peaks = {};
const floors = [];
for (const w of workloads) {
  const engine = [], numpy = [], torch = [], floor = [];
  for (let i = 0; i < runs; i++) {
    const e = engineProcess(w);
    engine.push(e.ms);
    peaks[w.id] = Math.max(peaks[w.id] ?? 0, e.peakRssMiB);
    // W1's floor (bench/w1Floor.js): its kernel work alone in a process that loads nothing else, interleaved too.
    if (w.id === 'w1') floor.push(timeProcess(process.execPath, [path.join(__dirname, 'w1Floor.js')]).ms);
    if (NUMPY_IDS.includes(w.id)) numpy.push(timeProcess('python3', [NUMPY, '--once', w.id]).ms);
    if (hasTorch && TORCH_IDS.includes(w.id)) torch.push(timeProcess(TORCH_PYTHON, [TORCH, '--once', w.id]).ms);
  }
  const e = median(engine);
  const n = numpy.length > 0 ? median(numpy) : undefined;
  const t = torch.length > 0 ? median(torch) : undefined;
  console.log(`| ${w.label} | ${cell(n)} | ${cell(t)} | ${cell(e)} | ${ratioCell(e, n, w.target)} | ${ratioCell(e, t, w.torchTarget)} |`);
  if (floor.length > 0) floors.push(`W1's floor (bench/w1Floor.js: the fills, GEMMs and tanh alone, no engine): ${cell(median(floor))}, ${ratio(median(floor), n)} of NumPy, ${t === undefined ? '—' : ratio(median(floor), t)} of PyTorch.`);
}
for (const line of floors) console.log(`\n${line}`);

const inProcess = (python, script, ids) => (ids.length === 0 ? {} : JSON.parse(spawnSync(python, [script, '--runs', String(runs), ...ids], { env, encoding: 'utf8' }).stdout));
const numpyIn = inProcess('python3', NUMPY, workloads.map((w) => w.id).filter((id) => NUMPY_IDS.includes(id)));
const torchIn = hasTorch ? inProcess(TORCH_PYTHON, TORCH, workloads.map((w) => w.id).filter((id) => TORCH_IDS.includes(id))) : {};
const backends = [loadComputeBackend(path.join(ROOT, 'dist')).backend, ...(argv.includes('--reference') ? [referenceBackend] : [])];
console.log(`\nIn one warm process, the run alone, median of ${runs} (ratios to NumPy, then to PyTorch):\n`);
console.log(`| workload | NumPy f32, 2 threads | PyTorch f32, 2 threads | ${backends.map((b) => b.name).join(' | ')} |`);
console.log(`|---|---|---|${backends.map(() => '---').join('|')}|`);
for (const w of workloads) {
  const cells = backends.map((backend) => {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      analyze(w.text, { mode: 'sampled', backend, budget: BUDGET, onProgress: w.onProgress });
      times.push(performance.now() - t);
    }
    const m = median(times);
    const ratios = [numpyIn[w.id], torchIn[w.id]].filter((x) => x !== undefined).map((x) => ratio(m, x));
    return `${m.toFixed(0)} ms${ratios.length > 0 ? ` (${ratios.join(', ')})` : ''}`;
  });
  console.log(`| ${w.label} | ${cell(numpyIn[w.id])} | ${cell(torchIn[w.id])} | ${cells.join(' | ')} |`);
}
const notes = { w1: "one layer's weights are 64 MiB, all six 384 MiB", w4: 'target under 400 MiB' };
for (const id of Object.keys(peaks)) if (notes[id]) console.log(`\nPeak resident memory of the engine's ${id.toUpperCase()} process: ${peaks[id].toFixed(0)} MiB (${notes[id]}).`);
