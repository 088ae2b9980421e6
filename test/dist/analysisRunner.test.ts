import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ChildProcess, fork, type Serializable } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Analyze } from '../../src/protocol/workerProtocol';
import { validateWorkerToHost } from '../../src/protocol/validateWorkerMessage';
import { AnalysisCancelled, AnalysisRunner } from '../../src/worker/analysisRunner';
import { ENGINE_EXEC_ARGV } from '../../src/worker/engineLimits';
import { readRepoFile, ROOT } from '../repo';

/** A cancellation token: `cancel()` calls the listeners, as vscode.CancellationTokenSource does. */
function token(): { cancel(): void; onCancellationRequested(listener: () => void): void } {
  const listeners: (() => void)[] = [];
  return { cancel: () => listeners.forEach((l) => l()), onCancellationRequested: (l) => listeners.push(l) };
}

/** The command line of process `pid` (Linux's /proc), or null where there is none. */
function commandLine(pid: number): string[] | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return null;
  }
}

suite('the analysis runner keeps one engine process (dist/engineProcess.js)', () => {
  const lecture = readRepoFile('examples', 'tanh-0.01-randn.net.json');
  let runner: AnalysisRunner;
  setup(() => { runner = new AnalysisRunner(path.join(ROOT, 'dist')); });
  teardown(() => runner.dispose());

  test('the engine runs in a process of its own, with its V8 flags and memory cap, not in this one', async () => {
    const { report } = await runner.run({ text: lecture, options: { mode: 'sampled', batchSize: 4 } }, () => undefined, token());
    assert.match(report.backend!, /^wasm-simd128/);
    const pid = runner.enginePid;
    assert.ok(pid !== null && pid !== process.pid);
    const args = commandLine(pid);
    if (args) for (const flag of ENGINE_EXEC_ARGV) assert.ok(args.includes(flag), `${flag} in ${args.join(' ')}`);
    // The extension host's bundle sets no V8 flag and loads no kernels: only the engine process's bundles do.
    const host = fs.readFileSync(path.join(ROOT, 'dist', 'extension.js'), 'utf8');
    assert.doesNotMatch(host, /setFlagsFromString|function loadComputeBackend|function compileKernels/);
    assert.doesNotMatch(fs.readFileSync(path.join(ROOT, 'dist', 'engineWorker.js'), 'utf8'), /setFlagsFromString/);
  });

  test('runs reuse the process, and a cancelled run stops at a layer boundary without replacing it', async () => {
    const { report: first, engineMs } = await runner.run({ text: lecture, options: { mode: 'both' } }, () => undefined, token());
    assert.equal(first.layers.length, 6);
    // The engine's own time for the run: the worker's reading of its analyze() call, within the engine's own timings' sum.
    const { parseMs, analyticMs, sampledMs } = first.timings;
    assert.ok(engineMs >= parseMs + analyticMs + sampledMs && Number.isFinite(engineMs), `engine ${engineMs} ms, timings ${JSON.stringify(first.timings)}`);
    const pid = runner.enginePid;
    assert.ok(pid !== null);

    const cancel = token();
    let progressed = 0;
    const cancelled = runner.run({ text: lecture, options: { mode: 'both' } }, () => { if (++progressed === 1) cancel.cancel(); }, cancel);
    await assert.rejects(cancelled, AnalysisCancelled);
    const { report: after } = await runner.run({ text: lecture, options: { mode: 'both', seed: 0 } }, () => undefined, token());
    assert.equal(runner.enginePid, pid, 'the same process served every run (the watchdog never had to kill it)');
    assert.deepEqual(after.layers.map((l) => l.activation!.std), first.layers.map((l) => l.activation!.std));
  });

  test('a newer run cancels the one in flight at its next layer boundary: the old run answers runCancelled, the new one completes', async () => {
    // 200 layers: seconds of work, so the cancel lands mid-run, and only a layer-boundary check can stop it in time.
    const deep = JSON.stringify({ input: { shape: [512] }, batch_size: 64, layers: [{ type: 'repeat', times: 200, layers: [{ type: 'dense', units: 512, activation: 'tanh', init: 'xavier_normal' }] }] });
    await runner.run({ text: lecture, options: { mode: 'analytic' } }, () => undefined, token());
    const pid = runner.enginePid;
    const cancel = token();
    let progress = 0;
    const old = runner.run({ text: deep, options: { mode: 'sampled' } }, (f) => { progress = f; }, cancel);
    await new Promise<void>((resolve) => { const poll = setInterval(() => { if (progress > 0) { clearInterval(poll); resolve(); } }, 5); });
    cancel.cancel();
    const newer = runner.run({ text: lecture, options: { mode: 'sampled', batchSize: 4 } }, () => undefined, token());
    await assert.rejects(old, AnalysisCancelled);
    assert.equal((await newer).report.layers.length, 6);
    assert.equal(runner.enginePid, pid, 'the old run stopped by itself, within the watchdog\'s grace');
  });

  test('runs queued behind each other all complete, in order', async () => {
    const seeds = [1, 2, 3];
    const reports = await Promise.all(seeds.map((seed) => runner.run({ text: lecture, options: { mode: 'sampled', seed, batchSize: 4 } }, () => undefined, token())));
    reports.forEach((r, i) => assert.equal(r.report.seed, seeds[i]));
  });

  test('an engine process killed mid-run (SIGKILL) fails its run with the reason, and the next run starts a fresh one', async () => {
    await runner.run({ text: lecture, options: { mode: 'sampled', batchSize: 4 } }, () => undefined, token());
    const pid = runner.enginePid!;
    let killed = false;
    const running = runner.run({ text: lecture, options: { mode: 'sampled' } }, () => {
      if (!killed) process.kill(pid, 'SIGKILL');
      killed = true;
    }, token());
    await assert.rejects(running, /the engine process stopped \(killed by SIGKILL\)/);
    assert.equal(runner.enginePid, null);
    const restarted = Date.now();
    const { report: next } = await runner.run({ text: lecture, options: { mode: 'sampled', batchSize: 4 } }, () => undefined, token());
    console.log(`      (a fresh engine process served the next sampled run ${Date.now() - restarted} ms after the kill)`);
    assert.equal(next.layers.length, 6);
    assert.match(next.backend!, /^wasm-simd128/);
    assert.notEqual(runner.enginePid, pid);
  });
});

suite('the engine process checks what it is asked (dist/engineProcess.js)', () => {
  let engine: ChildProcess;
  setup(() => { engine = fork(path.join(ROOT, 'dist', 'engineProcess.js'), [], { execArgv: [...ENGINE_EXEC_ARGV], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }); });
  teardown(() => { engine.kill('SIGKILL'); });

  async function reply(request: unknown): Promise<unknown> {
    engine.send(request as Serializable);
    const [message] = await once(engine, 'message');
    return message;
  }

  test('a request that does not validate fails its run instead of running it', async () => {
    assert.deepEqual(await reply({ type: 'analyze', id: 3, text: 42, options: {} }), { type: 'runFailed', id: 3, message: 'the engine process received a malformed request' });
    assert.deepEqual(await reply({ type: 'analyze', id: 4, text: '{}', options: { mode: 'constructor' } }), { type: 'runFailed', id: 4, message: 'the engine process received a malformed request' });
    assert.equal((validateWorkerToHost(await reply({ type: 'analyze', id: 5, text: '{}', options: {} })) as { type: string }).type, 'runCompleted');
  });

  test('a cancel before the run starts answers runCancelled', async () => {
    const replies: unknown[] = [];
    engine.on('message', (m) => replies.push(m));
    engine.send({ type: 'analyze', id: 1, text: readRepoFile('examples', 'tanh-0.01-randn.net.json'), options: { mode: 'sampled' } });
    engine.send({ type: 'analyze', id: 2, text: '{}', options: {} });
    engine.send({ type: 'cancel', id: 2 });
    while (!replies.some((m) => (m as { id: number }).id === 2)) await once(engine, 'message');
    assert.deepEqual(replies.find((m) => (m as { id: number }).id === 2), { type: 'runCancelled', id: 2 });
  });

  test('the process ends when its host goes away', async () => {
    const exited = once(engine, 'exit');
    engine.disconnect();
    assert.deepEqual(await exited, [0, null]);
  });
});

suite('the engine worker speaks the typed protocol (dist/engineWorker.js)', () => {
  const lecture = readRepoFile('examples', 'tanh-0.01-randn.net.json');
  let worker: Worker;
  setup(() => { worker = new Worker(path.join(ROOT, 'dist', 'engineWorker.js')); });
  teardown(() => worker.terminate());

  async function reply(request: unknown): Promise<unknown> {
    worker.postMessage(request);
    const [message] = await once(worker, 'message');
    return message;
  }

  test('a run whose cancel flag is already raised answers runCancelled, a typed message', async () => {
    const request: Analyze = { type: 'analyze', id: 7, text: lecture, options: { mode: 'analytic' }, cancel: new Int32Array(new SharedArrayBuffer(4)) };
    Atomics.store(request.cancel, 0, 1);
    assert.deepEqual(validateWorkerToHost(await reply(request)), { type: 'runCancelled', id: 7 });
  });

  test('a run completes with a report that the runner\'s check accepts', async () => {
    const request: Analyze = { type: 'analyze', id: 8, text: lecture, options: { mode: 'analytic' }, cancel: new Int32Array(new SharedArrayBuffer(4)) };
    const message = validateWorkerToHost(await reply(request));
    assert.equal(message?.type, 'runCompleted');
    assert.equal(message.type === 'runCompleted' && message.report.layers.length, 6);
  });

  test('a request that does not validate fails its run instead of running it', async () => {
    const unshared = { type: 'analyze', id: 9, text: lecture, options: { mode: 'analytic' }, cancel: new Int32Array(1) };
    assert.deepEqual(await reply(unshared), { type: 'runFailed', id: 9, message: 'the engine worker received a malformed request' });
    const inheritedMode = { type: 'analyze', id: 10, text: lecture, options: { mode: 'constructor' }, cancel: new Int32Array(new SharedArrayBuffer(4)) };
    assert.equal((await reply(inheritedMode) as { type: string }).type, 'runFailed');
  });
});

suite('the runner checks what its engine process sends', () => {
  let dir: string;
  let runner: AnalysisRunner;
  setup(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'init-inspector-engine-')); });
  teardown(() => { runner.dispose(); fs.rmSync(dir, { recursive: true, force: true }); });

  test('an engine that answers with a malformed message fails the run with the reason, and is replaced', async () => {
    // A stand-in engine process (a real process, not a mock of anything) that answers every run with no report.
    fs.writeFileSync(path.join(dir, 'engineProcess.js'), `process.on('message', (m) => process.send({ type: 'runCompleted', id: m.id, report: 'not a report' }));`);
    runner = new AnalysisRunner(dir);
    const running = runner.run({ text: '{}', options: {} }, () => undefined, token());
    const pid = runner.enginePid;
    await assert.rejects(running, /the engine process stopped \(it sent a malformed message\)/);
    assert.equal(runner.enginePid, null);
    const next = runner.run({ text: '{}', options: {} }, () => undefined, token());
    assert.notEqual(runner.enginePid, pid);
    await assert.rejects(next, /malformed/);
  });

  test('a cancelled run that does not stop within the grace has its engine killed, and the run queued behind it goes to a fresh one', async () => {
    // A stand-in engine that never answers its first run and ignores cancels; a fresh one answers what it is sent.
    // The first process to get a run leaves a mark, so its successors serve theirs.
    fs.writeFileSync(path.join(dir, 'engineProcess.js'), `const fs = require('node:fs');
const mark = ${JSON.stringify(path.join(dir, 'stuck'))};
const stuck = !fs.existsSync(mark);
fs.writeFileSync(mark, '');
process.on('message', (m) => { if (m.type === 'analyze' && !stuck) process.send({ type: 'runFailed', id: m.id, message: 'served by pid ' + process.pid }); });`);
    runner = new AnalysisRunner(dir);
    const cancel = token();
    const stuck = runner.run({ text: '{}', options: {} }, () => undefined, cancel);
    const stuckPid = runner.enginePid;
    cancel.cancel();
    await assert.rejects(stuck, AnalysisCancelled);
    // The stand-in serves its first run forever: the queued one can only complete in a new process.
    const queued = runner.run({ text: '{}', options: {} }, () => undefined, token());
    await assert.rejects(queued, (err: Error) => /^served by pid \d+$/.test(err.message) && err.message !== `served by pid ${stuckPid}`);
  });
});
