// One kernel thread (see wasmThreads.ts): instantiates the compiled kernels on the shared memory, then, each time a
// job is posted on the job board, claims and runs its parts, forever.
import { workerData } from 'node:worker_threads';
import { KERNEL_NAMES } from './engine/wasmBackend';
import { claimParts, GENERATION } from './kernelJobs';

const { module, memory, board } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; board: Int32Array };
const instance = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
const kernels = KERNEL_NAMES.map((name) => instance[name]);
let seen = 0;
for (;;) {
  // A job posted before this thread was up is still claimable: look first, then sleep until the next one.
  const generation = Atomics.load(board, GENERATION);
  if (generation !== seen) {
    seen = generation;
    claimParts(board, (kernel, args) => kernels[kernel](...args));
  }
  Atomics.wait(board, GENERATION, seen);
}
