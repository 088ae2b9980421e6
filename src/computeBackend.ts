import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { type ComputeBackend, createWasmBackend } from './engine';
import { referenceBackend } from './engine/referenceBackend';
import { compileKernels, createKernelMemory } from './engine/wasmBackend';
import { WasmKernelThreads } from './wasmThreads';

/**
 * The fastest compute backend this runtime supports: the WebAssembly SIMD kernels built into `dist/kernels.wasm`, on
 * as many threads as there are cores (`threads` overrides), or the TypeScript reference backend, with a note saying
 * why, when WebAssembly SIMD is unavailable or the file missing.
 */
export function loadComputeBackend(distDir: string, threads = os.availableParallelism()): { backend: ComputeBackend; note: string | null } {
  try {
    // Compile every kernel fully optimized, up front, once: V8's lazy baseline tier would run the first calls about
    // 4× slower, and the threads get the compiled module instead of compiling it again.
    v8.setFlagsFromString('--no-wasm-dynamic-tiering');
    v8.setFlagsFromString('--no-wasm-lazy-compilation');
    const module = compileKernels(fs.readFileSync(path.join(distDir, 'kernels.wasm')));
    if (!module) return { backend: referenceBackend, note: 'WebAssembly SIMD is not available here: using the TypeScript reference backend' };
    const memory = createKernelMemory();
    const extra = threads > 1 && fs.existsSync(path.join(distDir, 'wasmThread.js')) ? new WasmKernelThreads(module, memory, threads - 1, distDir) : undefined;
    const wasm = createWasmBackend(module, { memory, threads: extra });
    if (wasm) return { backend: wasm, note: null };
    return { backend: referenceBackend, note: 'WebAssembly SIMD is not available here: using the TypeScript reference backend' };
  } catch (err) {
    return { backend: referenceBackend, note: `the WebAssembly kernels could not be loaded (${(err as Error).message}): using the TypeScript reference backend` };
  }
}
