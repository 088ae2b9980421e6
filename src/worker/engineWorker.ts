// The engine in a long-lived worker thread of the engine process (engineProcess.ts, forked by analysisRunner.ts), so
// that process's main thread stays free to relay; runs arrive one at a time and stop between layers when their shared
// cancel flag is raised.
import { parentPort } from 'node:worker_threads';
import { analyze, MAX_BUDGET } from '../engine';
import { type LoadedBackend, loadComputeBackend } from '../kernels/loadComputeBackend';
import type { Analyze, WorkerToHost } from '../protocol/workerProtocol';
import { isRecord, ownField } from '../protocol/validateMessage';
import { validateHostToWorker } from '../protocol/validateWorkerMessage';

/**
 * The kernels' memory grows to a run's peak and cannot shrink; past this size after a run, the backend and its
 * threads are let go (and loaded again by the next sampled run), so one big analysis does not pin its memory.
 */
const KEEP_MEMORY_BYTES = 256 * 1024 * 1024;

const port = parentPort;
if (port) {
  // Loaded on the first sampled run (an analytic one needs no kernels or threads); dist/ holds kernels.wasm.
  let loaded: LoadedBackend | undefined;
  const unload = (): void => {
    loaded?.dispose();
    loaded = undefined;
  };
  const backendFor = (request: Analyze) => {
    if (request.options.mode === 'analytic') return undefined;
    if (!loaded) {
      loaded = loadComputeBackend(__dirname);
      if (loaded.note) console.warn(`Init Inspector: ${loaded.note}`);
    }
    return loaded.backend;
  };
  const post = (message: WorkerToHost): void => port.postMessage(message);
  const analyzeRequest = (request: Analyze): void => {
    let lastPost = 0;
    const cancelled = (): boolean => Atomics.load(request.cancel, 0) !== 0;
    if (cancelled()) {
      post({ type: 'runCancelled', id: request.id });
      return;
    }
    try {
      const started = performance.now();
      const { pastBudget, ...options } = request.options;
      const report = analyze(request.text, {
        ...options,
        ...(pastBudget ? { budget: MAX_BUDGET } : {}),
        backend: backendFor(request),
        onProgress: (fraction) => {
          const now = Date.now();
          if (now - lastPost > 100) {
            lastPost = now;
            post({ type: 'runProgressed', id: request.id, fraction });
          }
          return cancelled();
        },
      });
      const engineMs = performance.now() - started;
      if (loaded && loaded.memoryBytes() > KEEP_MEMORY_BYTES) unload();
      // A run cancelled at a layer boundary returns a report without its sampled pass: it is not a result.
      post(cancelled() ? { type: 'runCancelled', id: request.id } : { type: 'runCompleted', id: request.id, report, engineMs });
    } catch (err) {
      // A kernel that failed may have left a thread or the memory unusable: start afresh next time.
      unload();
      post({ type: 'runFailed', id: request.id, message: err instanceof Error ? err.message : String(err) });
    }
  };
  port.on('message', (raw: unknown) => {
    const message = validateHostToWorker(raw);
    if (!message) {
      // Not a request this worker understands (a mismatched build?): fail it if it names its run, so nothing waits.
      const id = isRecord(raw) ? ownField(raw, 'id') : undefined;
      if (typeof id === 'number' && Number.isSafeInteger(id)) post({ type: 'runFailed', id, message: 'the engine worker received a malformed request' });
      return;
    }
    switch (message.type) {
      case 'analyze':
        analyzeRequest(message);
        return;
      default: {
        const never: never = message.type;
        return never;
      }
    }
  });
}
