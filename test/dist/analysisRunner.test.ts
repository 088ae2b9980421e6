import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Analyze } from '../../src/protocol/workerProtocol';
import { validateWorkerToHost } from '../../src/protocol/validateWorkerMessage';
import { AnalysisCancelled, AnalysisRunner } from '../../src/worker/analysisRunner';
import { readRepoFile, ROOT } from '../repo';

/** A cancellation token: `cancel()` calls the listeners, as vscode.CancellationTokenSource does. */
function token(): { cancel(): void; onCancellationRequested(listener: () => void): void } {
  const listeners: (() => void)[] = [];
  return { cancel: () => listeners.forEach((l) => l()), onCancellationRequested: (l) => listeners.push(l) };
}

suite('the analysis runner keeps one engine worker (dist/engineWorker.js)', () => {
  const lecture = readRepoFile('examples', 'tanh-0.01-randn.net.json');
  let runner: AnalysisRunner;
  setup(() => { runner = new AnalysisRunner(path.join(ROOT, 'dist')); });
  teardown(() => runner.dispose());

  test('runs reuse the worker, and a cancelled run stops between layers without replacing it', async () => {
    const { report: first, engineMs } = await runner.run({ text: lecture, options: { mode: 'both' } }, () => undefined, token());
    assert.equal(first.layers.length, 6);
    // The engine's own time for the run: the worker's reading of its analyze() call, within the engine's own timings' sum.
    const { parseMs, analyticMs, sampledMs } = first.timings;
    assert.ok(engineMs >= parseMs + analyticMs + sampledMs && Number.isFinite(engineMs), `engine ${engineMs} ms, timings ${JSON.stringify(first.timings)}`);
    const thread = runner.workerThreadId;
    assert.ok(thread !== null);

    const cancel = token();
    let progressed = 0;
    const cancelled = runner.run({ text: lecture, options: { mode: 'both' } }, () => { if (++progressed === 1) cancel.cancel(); }, cancel);
    await assert.rejects(cancelled, AnalysisCancelled);
    const { report: after } = await runner.run({ text: lecture, options: { mode: 'both', seed: 0 } }, () => undefined, token());
    assert.equal(runner.workerThreadId, thread, 'the same worker served every run');
    assert.deepEqual(after.layers.map((l) => l.activation!.std), first.layers.map((l) => l.activation!.std));
  });

  test('runs queued behind each other all complete, in order', async () => {
    const seeds = [1, 2, 3];
    const reports = await Promise.all(seeds.map((seed) => runner.run({ text: lecture, options: { mode: 'sampled', seed, batchSize: 4 } }, () => undefined, token())));
    reports.forEach((r, i) => assert.equal(r.report.seed, seeds[i]));
  });

  test('a worker that dies fails its run with the reason, and the next run gets a fresh worker', async () => {
    const running = runner.run({ text: lecture, options: { mode: 'sampled' } }, () => undefined, token());
    const thread = runner.workerThreadId;
    // Simulate a crash of the worker.
    await (runner as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await assert.rejects(running, /the engine worker stopped/);
    const { report: next } = await runner.run({ text: lecture, options: { mode: 'analytic' } }, () => undefined, token());
    assert.equal(next.layers.length, 6);
    assert.notEqual(runner.workerThreadId, thread);
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

suite('the runner checks what its worker sends', () => {
  let dir: string;
  let runner: AnalysisRunner;
  setup(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'init-inspector-worker-')); });
  teardown(() => { runner.dispose(); fs.rmSync(dir, { recursive: true, force: true }); });

  test('a worker that answers with a malformed message fails the run with the reason, and is replaced', async () => {
    // A stand-in engine worker (a real thread, not a mock of anything) that answers every run with no report.
    fs.writeFileSync(path.join(dir, 'engineWorker.js'), `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => parentPort.postMessage({ type: 'runCompleted', id: m.id, report: 'not a report' }));`);
    runner = new AnalysisRunner(dir);
    const running = runner.run({ text: '{}', options: {} }, () => undefined, token());
    const thread = runner.workerThreadId;
    await assert.rejects(running, /the engine worker stopped \(it sent a malformed message\)/);
    assert.equal(runner.workerThreadId, null);
    const next = runner.run({ text: '{}', options: {} }, () => undefined, token());
    assert.notEqual(runner.workerThreadId, thread);
    await assert.rejects(next, /malformed/);
  });
});
