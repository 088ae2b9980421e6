// One kernel thread (see kernelThreadPool.ts): instantiates the compiled kernels on the shared memory, then serves the
// jobs posted on the job board, forever.
import { workerData } from 'node:worker_threads';
import { KERNEL_NAMES, kernelExports, kernelImports } from '../engine/backend/wasm/kernelAbi';
import { serveJobs } from './kernelJobs';

const { module, memory, board } = workerData as { module: unknown; memory: unknown; board: unknown };
if (!(module instanceof WebAssembly.Module) || !(memory instanceof WebAssembly.Memory) || !(board instanceof Int32Array)) {
  throw new TypeError('a kernel thread needs { module: WebAssembly.Module, memory: WebAssembly.Memory, board: Int32Array } as its workerData');
}
const declared = kernelExports(new WebAssembly.Instance(module, kernelImports(memory)));
const kernels = KERNEL_NAMES.map((name) => declared[name]);
serveJobs(board, (kernel, args) => kernels[kernel](...args));
