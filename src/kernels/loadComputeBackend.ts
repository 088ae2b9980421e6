import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { type ComputeBackend, createWasmBackend } from '../engine';
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
 * The fastest compute backend this runtime supports: the WebAssembly SIMD kernels built into `dist/kernels.wasm`, on
 * as many threads as there are cores (`threads` overrides), or the TypeScript reference backend, with a note saying
 * why, when WebAssembly SIMD is unavailable or the file missing.
 */
export function loadComputeBackend(distDir: string, threads = os.availableParallelism()): LoadedBackend {
  try {
    // Compile the kernels with V8's optimizing tier from their first call (its baseline tier runs them several times
    // slower until they tier up; with tiering, lecture runs measured 10 to 20% slower, the first one most). The flag is process-wide: in the extension host, other extensions' WebAssembly is then optimized
    // from the start too (slower to compile, faster to run). Compilation stays lazy, so nobody compiles more than
    // they call. The threads get the compiled module instead of compiling it again.
    v8.setFlagsFromString('--no-wasm-dynamic-tiering');
    const module = compileKernels(fs.readFileSync(path.join(distDir, 'kernels.wasm')));
    if (!module) return reference('WebAssembly SIMD is not available here: using the TypeScript reference backend');
    const memory = createKernelMemory();
    const extra = threads > 1 && fs.existsSync(path.join(distDir, 'kernelThread.js')) ? new KernelThreadPool(module, memory, threads - 1, distDir) : undefined;
    const wasm = createWasmBackend(module, { memory, threads: extra });
    if (wasm) return { backend: wasm, note: null, memoryBytes: () => memory.buffer.byteLength, dispose: () => extra?.dispose() };
    extra?.dispose();
    return reference('WebAssembly SIMD is not available here: using the TypeScript reference backend');
  } catch (err) {
    return reference(`the WebAssembly kernels could not be loaded (${(err as Error).message}): using the TypeScript reference backend`);
  }
}
