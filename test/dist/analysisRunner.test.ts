import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { AnalysisRunner } from '../../src/worker/analysisRunner';
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
    const first = await runner.run({ text: lecture, options: { mode: 'both' } }, () => undefined, token());
    assert.equal(first.layers.length, 6);
    const thread = runner.workerThreadId;
    assert.ok(thread !== null);

    const cancel = token();
    let progressed = 0;
    const cancelled = runner.run({ text: lecture, options: { mode: 'both' } }, () => { if (++progressed === 1) cancel.cancel(); }, cancel);
    await assert.rejects(cancelled, /cancelled/);
    const after = await runner.run({ text: lecture, options: { mode: 'both', seed: 0 } }, () => undefined, token());
    assert.equal(runner.workerThreadId, thread, 'the same worker served every run');
    assert.deepEqual(after.layers.map((l) => l.activation!.std), first.layers.map((l) => l.activation!.std));
  });

  test('runs queued behind each other all complete, in order', async () => {
    const seeds = [1, 2, 3];
    const reports = await Promise.all(seeds.map((seed) => runner.run({ text: lecture, options: { mode: 'sampled', seed, batchSize: 4 } }, () => undefined, token())));
    reports.forEach((r, i) => assert.equal(r.seed, seeds[i]));
  });

  test('a worker that dies fails its run with the reason, and the next run gets a fresh worker', async () => {
    const running = runner.run({ text: lecture, options: { mode: 'sampled' } }, () => undefined, token());
    const thread = runner.workerThreadId;
    // Simulate a crash of the worker.
    await (runner as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await assert.rejects(running, /the engine worker stopped/);
    const next = await runner.run({ text: lecture, options: { mode: 'analytic' } }, () => undefined, token());
    assert.equal(next.layers.length, 6);
    assert.notEqual(runner.workerThreadId, thread);
  });
});
