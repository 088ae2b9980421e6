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
    // Compile the kernels with V8's optimizing tier from their first call (its baseline tier runs them several times
    // slower until they tier up: a lecture run takes about 425 ms first and 350 ms after, against 510 and 390 with
    // tiering). The flag is process-wide: in the extension host, other extensions' WebAssembly is then optimized
    // from the start too (slower to compile, faster to run). Compilation stays lazy, so nobody compiles more than
    // they call. The threads get the compiled module instead of compiling it again.
    v8.setFlagsFromString('--no-wasm-dynamic-tiering');
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
