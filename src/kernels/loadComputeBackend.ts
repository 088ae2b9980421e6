import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ComputeBackend, createWasmBackend, MAX_BUDGET } from '../engine';
import { referenceBackend } from '../engine/backend/reference/referenceBackend';
import { compileKernels, createKernelMemory } from '../engine/backend/wasm/wasmBackend';
import { KernelThreadPool } from './kernelThreadPool';

/** A loaded backend, with what the WebAssembly one holds: its memory's size, and a way to let go of it all. */
export interface LoadedBackend {
  backend: ComputeBackend;
  /** Why the reference backend is used, or null. */
  note: string | null;
  /** Bytes of the kernels' memory (0 for the reference backend); it grows to a run's peak and never shrinks. */
  memoryBytes(): number;
  /** Stops the kernel threads, so that the memory can be collected once the backend is dropped. */
  dispose(): void;
}

const reference = (note: string): LoadedBackend => ({ backend: referenceBackend, note, memoryBytes: () => 0, dispose: () => undefined });

/**
 * The most the kernels' WebAssembly memory may grow to: the largest budget a run may have (MAX_BUDGET, which the cost
 * estimate keeps every run's buffers within, `estimateCost`) and 512 MiB for the kernels' first page, the staging of
 * operands and the heap's fragmentation. A run that would pass it fails with the memory's RangeError instead of
 * taking the machine's memory.
 */
export const KERNEL_MEMORY_LIMIT_BYTES = MAX_BUDGET.bytes + 512 * 1024 ** 2;

/**
 * The fastest compute backend this runtime supports: the WebAssembly SIMD kernels built into `dist/kernels.wasm`, on
 * as many threads as there are cores (`threads` overrides), in a memory of at most KERNEL_MEMORY_LIMIT_BYTES, or the
 * TypeScript reference backend, with a note saying why, when WebAssembly SIMD is unavailable or the file missing.
 * The kernels run fastest with V8's `--no-wasm-dynamic-tiering`, a process-wide flag that the process's owner sets
 * (the engine process gets it on its command line, engineLimits.ts; the CLI sets it itself), never this function.
 */
export function loadComputeBackend(distDir: string, threads = os.availableParallelism()): LoadedBackend {
  try {
    // The threads get the compiled module instead of compiling it again.
    const module = compileKernels(fs.readFileSync(path.join(distDir, 'kernels.wasm')));
    if (!module) return reference('WebAssembly SIMD is not available here: using the TypeScript reference backend');
    const memory = createKernelMemory(KERNEL_MEMORY_LIMIT_BYTES);
    const extra = threads > 1 && fs.existsSync(path.join(distDir, 'kernelThread.js')) ? new KernelThreadPool(module, memory, threads - 1, distDir) : undefined;
    const wasm = createWasmBackend(module, { memory, threads: extra });
    if (wasm) return { backend: wasm, note: null, memoryBytes: () => memory.buffer.byteLength, dispose: () => extra?.dispose() };
    extra?.dispose();
    return reference('WebAssembly SIMD is not available here: using the TypeScript reference backend');
  } catch (err) {
    return reference(`the WebAssembly kernels could not be loaded (${(err as Error).message}): using the TypeScript reference backend`);
  }
}
