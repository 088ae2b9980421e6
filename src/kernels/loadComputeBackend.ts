import * as os from 'node:os';
import { type ComputeBackend, createWasmBackend } from '../engine';
import { referenceBackend } from '../engine/backend/reference/referenceBackend';
import { startKernels, type StartedKernels } from './startKernels';

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
 * as many threads as there are cores (`threads` overrides), in a memory of at most KERNEL_MEMORY_LIMIT_BYTES
 * (startKernels.ts), or the TypeScript reference backend, with a note saying why, when WebAssembly SIMD is unavailable
 * or the file missing. `started` is what an earlier `startKernels` call began (the CLI starts the threads before it
 * loads the engine); by default they are started here.
 * The kernels run fastest with V8's `--no-wasm-dynamic-tiering`, a process-wide flag that the process's owner sets
 * (the engine process gets it on its command line, engineLimits.ts; the CLI sets it itself), never this function.
 */
export function loadComputeBackend(distDir: string, threads = os.availableParallelism(), started: StartedKernels | string = startKernels(distDir, threads)): LoadedBackend {
  if (typeof started === 'string') return reference(started);
  const { module, memory, threads: extra } = started;
  try {
    const wasm = createWasmBackend(module, { memory, threads: extra });
    if (wasm) return { backend: wasm, note: null, memoryBytes: () => memory.buffer.byteLength, dispose: () => extra?.dispose() };
    extra?.dispose();
    return reference('WebAssembly SIMD is not available here: using the TypeScript reference backend');
  } catch (err) {
    extra?.dispose();
    return reference(`the WebAssembly kernels could not be loaded (${(err as Error).message}): using the TypeScript reference backend`);
  }
}
