// The engine in a long-lived worker thread (see analysisRunner.ts), so a long sampled run never blocks the extension
// host; runs arrive one at a time and stop between layers when their shared cancel flag is raised.
import { parentPort } from 'node:worker_threads';
import { analyze } from '../engine';
import { type LoadedBackend, loadComputeBackend } from '../kernels/loadComputeBackend';
import type { WorkerRequest, WorkerResponse } from '../protocol/workerProtocol';

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
  const backendFor = (request: WorkerRequest) => {
    if (request.options.mode === 'analytic') return undefined;
    if (!loaded) {
      loaded = loadComputeBackend(__dirname);
      if (loaded.note) console.warn(`Init Inspector: ${loaded.note}`);
    }
    return loaded.backend;
  };
  port.on('message', (request: WorkerRequest) => {
    let lastPost = 0;
    const cancelled = (): boolean => Atomics.load(request.cancel, 0) !== 0;
    if (cancelled()) {
      port.postMessage({ type: 'failed', id: request.id, message: 'cancelled' } satisfies WorkerResponse);
      return;
    }
    try {
      const report = analyze(request.text, {
        ...request.options,
        backend: backendFor(request),
        onProgress: (fraction) => {
          const now = Date.now();
          if (now - lastPost > 100) {
            lastPost = now;
            port.postMessage({ type: 'progress', id: request.id, fraction } satisfies WorkerResponse);
          }
          return cancelled();
        },
      });
      if (loaded && loaded.memoryBytes() > KEEP_MEMORY_BYTES) unload();
      port.postMessage({ type: 'done', id: request.id, report } satisfies WorkerResponse);
    } catch (err) {
      // A kernel that failed may have left a thread or the memory unusable: start afresh next time.
      unload();
      port.postMessage({ type: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) } satisfies WorkerResponse);
    }
  });
}
