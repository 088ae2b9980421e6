// The engine's own process, forked by the extension host's AnalysisRunner (analysisRunner.ts) with its V8 flags and
// memory caps (engineLimits.ts), so that nothing the engine does (a V8 flag, a heap filled to its limit, a crash, a
// kill) changes the extension host. Its main thread only relays, so it is never busy: each run goes to the engine
// worker thread (engineWorker.ts) with a shared cancel flag, and a `cancel` from the host raises that flag at once;
// the engine checks it at its next layer boundary. What the worker sends goes to the host as it is (the host
// validates it). The process ends when the host goes away (its IPC channel closes) or its worker stops.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Analyze, WorkerToHost } from '../protocol/workerProtocol';
import { isRecord, isRunId, ownField } from '../protocol/validateMessage';
import { validateHostToEngine } from '../protocol/validateEngineMessage';
import { ENGINE_HEAP_MIB } from './engineLimits';

/** The worker messages after which a run is over (any other, such as `runProgressed`, leaves it running). */
const FINAL: ReadonlySet<unknown> = new Set<WorkerToHost['type']>(['runCompleted', 'runFailed', 'runCancelled']);

if (!process.send) {
  console.error('engineProcess.js is the engine process of Init Inspector\'s extension host: it needs an IPC channel (child_process.fork)');
  process.exit(2);
}
const send = (message: unknown): void => {
  // A host that has gone away leaves nobody to answer: the 'disconnect' handler below ends the process.
  if (process.connected) process.send?.(message);
};

/** The cancel flag of every run sent to the worker and not over yet. */
const flags = new Map<number, Int32Array>();

/** Fails every run still open with `message`, then ends the process once the host has them. */
function stop(message: string, code: number): void {
  const open = [...flags.keys()];
  flags.clear();
  if (!process.connected || open.length === 0) process.exit(code);
  let sent = 0;
  for (const id of open) process.send?.({ type: 'runFailed', id, message } satisfies WorkerToHost, () => { if (++sent === open.length) process.exit(code); });
}

const worker = new Worker(path.join(__dirname, 'engineWorker.js'), { resourceLimits: { maxOldGenerationSizeMb: ENGINE_HEAP_MIB } });
worker.on('message', (message: unknown) => {
  if (isRecord(message) && FINAL.has(ownField(message, 'type'))) flags.delete(ownField(message, 'id') as number);
  send(message);
});
worker.on('error', (err: Error & { code?: string }) => {
  const reason = err.code === 'ERR_WORKER_OUT_OF_MEMORY'
    ? `the engine ran out of memory (its JavaScript heap is capped at ${ENGINE_HEAP_MIB} MiB): shrink the batch or the network`
    : `the engine failed: ${err.message}`;
  stop(reason, 70);
});
worker.on('exit', (code) => stop(`the engine worker stopped (exit code ${code})`, 70));

process.on('message', (raw: unknown) => {
  const message = validateHostToEngine(raw);
  if (!message) {
    // Not a request this build understands: fail it if it names a run, so nothing waits for it.
    const id = isRecord(raw) ? ownField(raw, 'id') : undefined;
    if (isRunId(id)) send({ type: 'runFailed', id, message: 'the engine process received a malformed request' } satisfies WorkerToHost);
    return;
  }
  switch (message.type) {
    case 'analyze': {
      const cancel = new Int32Array(new SharedArrayBuffer(4));
      flags.set(message.id, cancel);
      worker.postMessage({ ...message, cancel } satisfies Analyze);
      return;
    }
    case 'cancel': {
      const flag = flags.get(message.id);
      if (flag) Atomics.store(flag, 0, 1);
      return;
    }
    default: {
      const never: never = message;
      return never;
    }
  }
});
process.on('disconnect', () => process.exit(0));
