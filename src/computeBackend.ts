import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ComputeBackend, createWasmBackend } from './engine';
import { referenceBackend } from './engine/referenceBackend';

/**
 * The fastest compute backend this runtime supports: the WebAssembly SIMD kernels built into `dist/kernels.wasm`, or
 * the TypeScript reference backend, with a note saying why, when WebAssembly SIMD is unavailable or the file missing.
 */
export function loadComputeBackend(distDir: string): { backend: ComputeBackend; note: string | null } {
  try {
    const wasm = createWasmBackend(fs.readFileSync(path.join(distDir, 'kernels.wasm')));
    if (wasm) return { backend: wasm, note: null };
    return { backend: referenceBackend, note: 'WebAssembly SIMD is not available here: using the TypeScript reference backend' };
  } catch (err) {
    return { backend: referenceBackend, note: `the WebAssembly kernels could not be loaded (${(err as Error).message}): using the TypeScript reference backend` };
  }
}
