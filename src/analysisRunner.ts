import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Report } from './engine';
import type { WorkerRequest, WorkerResponse } from './workerProtocol';

/**
 * Runs analyses in a worker thread. Each run gets a fresh worker that is terminated when the run ends or is
 * cancelled, so a cancelled heavy run stops at once and never holds the extension host.
 */
export class AnalysisRunner {
  private nextId = 1;

  constructor(private readonly distDir: string) {}

  run(request: Omit<WorkerRequest, 'id'>, onProgress: (fraction: number) => void, cancelled: { onCancellationRequested(listener: () => void): unknown }): Promise<Report> {
    const id = this.nextId++;
    const worker = new Worker(path.join(this.distDir, 'engineWorker.js'));
    return new Promise<Report>((resolve, reject) => {
      const finish = (): void => { void worker.terminate(); };
      cancelled.onCancellationRequested(() => { finish(); reject(new Error('cancelled')); });
      worker.on('message', (msg: WorkerResponse) => {
        if (msg.id !== id) return;
        if (msg.type === 'progress') onProgress(msg.fraction);
        else if (msg.type === 'done') { finish(); resolve(msg.report); }
        else { finish(); reject(new Error(msg.message)); }
      });
      worker.on('error', (err) => { finish(); reject(err); });
      worker.postMessage({ ...request, id } satisfies WorkerRequest);
    });
  }
}
