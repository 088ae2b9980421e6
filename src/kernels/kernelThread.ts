// One kernel thread (see kernelThreadPool.ts): instantiates the compiled kernels on the shared memory, then serves the
// jobs posted on the job board, forever.
import { workerData } from 'node:worker_threads';
import { KERNEL_NAMES, kernelImports } from '../engine/backend/wasm/kernelAbi';
import { serveJobs } from './kernelJobs';

const { module, memory, board } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; board: Int32Array };
const instance = new WebAssembly.Instance(module, kernelImports(memory)).exports as Record<string, (...args: number[]) => void>;
const kernels = KERNEL_NAMES.map((name) => instance[name]);
serveJobs(board, (kernel, args) => kernels[kernel](...args));
