import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { KERNEL_NAMES, type KernelName, type KernelThreads } from './engine/wasmBackend';

/** Per thread in the control block: [state (0 idle, 1 work), kernel (index in KERNEL_NAMES), up to 14 i32 arguments]. */
export const SLOT = 16;

/**
 * Worker threads that run the WebAssembly kernels on the backend's shared memory, started once and reused: the
 * calling thread writes a job into a shared control block and wakes the thread with Atomics; the thread runs the
 * kernel and signals back. The workers are unref'd, so they never keep a process alive.
 */
export class WasmKernelThreads implements KernelThreads {
  private readonly control: Int32Array;
  private readonly workers: Worker[] = [];

  constructor(bytes: Uint8Array, memory: WebAssembly.Memory, readonly count: number, distDir: string) {
    this.control = new Int32Array(new SharedArrayBuffer(Math.max(1, count) * SLOT * 4));
    for (let index = 0; index < count; index++) {
      const worker = new Worker(path.join(distDir, 'wasmThread.js'), { workerData: { bytes, memory, control: this.control, index } });
      worker.unref();
      this.workers.push(worker);
    }
  }

  start(thread: number, kernel: KernelName, args: number[]): void {
    const base = thread * SLOT;
    this.control[base + 1] = KERNEL_NAMES.indexOf(kernel);
    this.control[base + 15] = args.length;
    for (let i = 0; i < args.length; i++) this.control[base + 2 + i] = args[i] | 0;
    Atomics.store(this.control, base, 1);
    Atomics.notify(this.control, base);
  }

  wait(thread: number): void {
    const base = thread * SLOT;
    while (Atomics.load(this.control, base) !== 0) Atomics.wait(this.control, base, 1);
  }

  dispose(): void {
    for (const w of this.workers) void w.terminate();
  }
}
