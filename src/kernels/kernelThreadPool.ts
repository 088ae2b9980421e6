import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { KERNEL_NAMES, MAX_PARTS, type KernelName } from '../engine/backend/wasm/kernelAbi';
import type { KernelThreads } from '../engine/backend/wasm/kernelRunner';
import { awaitJob, claimParts, createJobBoard, postJob } from './kernelJobs';

/**
 * Worker threads that run the WebAssembly kernels on the backend's shared memory, started once and reused. A job goes
 * on a shared job board (kernelJobs.ts) and every thread, the calling one included, claims its parts. The workers are
 * unref'd, so they never keep a process alive.
 */
export class KernelThreadPool implements KernelThreads {
  private readonly board = createJobBoard(MAX_PARTS);
  private readonly workers: Worker[] = [];

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, readonly count: number, distDir: string) {
    for (let index = 0; index < count; index++) {
      const worker = new Worker(path.join(distDir, 'kernelThread.js'), { workerData: { module, memory, board: this.board } });
      worker.unref();
      this.workers.push(worker);
    }
  }

  run(kernel: KernelName, parts: number[][], here: (args: number[]) => void): void {
    if (parts.length > MAX_PARTS) throw new RangeError(`a kernel job has ${parts.length} parts, more than ${MAX_PARTS}`);
    postJob(this.board, KERNEL_NAMES.indexOf(kernel), parts);
    const error = claimParts(this.board, (_, args) => here(args));
    // Every part must be finished (or failed) before the board is reused, even when one of ours threw.
    awaitJob(this.board);
    if (error) throw error;
  }

  dispose(): void {
    for (const w of this.workers) void w.terminate();
  }
}
