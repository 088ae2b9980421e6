import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileKernels, createKernelMemory } from '../engine/backend/wasm/kernelModule';
import { MAX_BUDGET } from '../engine/sampled/budget';
import { KernelThreadPool } from './kernelThreadPool';

/**
 * The most the kernels' WebAssembly memory may grow to: the largest budget a run may have (MAX_BUDGET, which the cost
 * estimate keeps every run's buffers within, `estimateCost`) and 512 MiB for the kernels' first page, the staging of
 * operands and the heap's fragmentation. A run that would pass it fails with the memory's RangeError instead of
 * taking the machine's memory.
 */
export const KERNEL_MEMORY_LIMIT_BYTES = MAX_BUDGET.bytes + 512 * 1024 ** 2;

/** The kernels compiled, their shared memory, and the extra threads that serve them (none on one core). */
export interface StartedKernels {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  threads: KernelThreadPool | undefined;
}

/**
 * The first half of loading the WebAssembly backend: compiles `dist/kernels.wasm`, makes the shared memory (at most
 * KERNEL_MEMORY_LIMIT_BYTES) and starts `threads − 1` kernel threads. A worker thread takes some 60 ms to boot, on a
 * core of its own: started before the engine's modules are loaded (as the CLI does), it is ready when the run begins.
 * This module imports nothing of the engine but the kernels' ABI and the budget. Returns why the reference backend
 * must be used instead, as a sentence, when WebAssembly SIMD or the file is missing.
 */
export function startKernels(distDir: string, threads = os.availableParallelism()): StartedKernels | string {
  try {
    const module = compileKernels(fs.readFileSync(path.join(distDir, 'kernels.wasm')));
    if (!module) return 'WebAssembly SIMD is not available here: using the TypeScript reference backend';
    const memory = createKernelMemory(KERNEL_MEMORY_LIMIT_BYTES);
    const extra = threads > 1 && fs.existsSync(path.join(distDir, 'kernelThread.js')) ? new KernelThreadPool(module, memory, threads - 1, distDir) : undefined;
    return { module, memory, threads: extra };
  } catch (err) {
    return `the WebAssembly kernels could not be loaded (${(err as Error).message}): using the TypeScript reference backend`;
  }
}
