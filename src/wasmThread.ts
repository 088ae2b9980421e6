// One kernel thread (see wasmThreads.ts): instantiates the kernels on the shared memory, then runs the jobs the
// control block hands it, forever.
import { workerData } from 'node:worker_threads';
import { KERNEL_NAMES } from './engine/wasmBackend';
import { SLOT } from './wasmThreads';

const { bytes, memory, control, index } = workerData as { bytes: Uint8Array; memory: WebAssembly.Memory; control: Int32Array; index: number };
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as unknown as BufferSource), { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
const kernels = KERNEL_NAMES.map((name) => instance[name]);
const base = index * SLOT;
for (;;) {
  Atomics.wait(control, base, 0);
  const args = Array.from(control.subarray(base + 2, base + 2 + control[base + 15]));
  kernels[control[base + 1]](...args);
  Atomics.store(control, base, 0);
  Atomics.notify(control, base);
}
