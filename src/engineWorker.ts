// The engine in a long-lived worker thread (see analysisRunner.ts), so a long sampled run never blocks the extension
// host; runs arrive one at a time and stop between layers when their shared cancel flag is raised.
import { parentPort } from 'node:worker_threads';
import { analyze } from './engine';
import { loadComputeBackend } from './computeBackend';
import type { WorkerRequest, WorkerResponse } from './workerProtocol';

const port = parentPort;
if (port) {
  // Loaded on the first sampled run (an analytic one needs no kernels or threads); dist/ holds kernels.wasm.
  let loaded: ReturnType<typeof loadComputeBackend> | undefined;
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
      port.postMessage({ type: 'done', id: request.id, report } satisfies WorkerResponse);
    } catch (err) {
      port.postMessage({ type: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) } satisfies WorkerResponse);
    }
  });
}
