import { KERNEL_MEMORY } from './kernelAbi';

// The kernels' WebAssembly module and memory, before any backend exists: what a process needs to start its kernel
// threads while the rest of the engine is still loading (src/kernels/startKernels.ts). Nothing here imports the engine.

/**
 * The shared memory the kernels import (KERNEL_MEMORY): one 64 KiB page to start, room for 4 GiB, or for
 * `maximumBytes` (rounded down to whole pages) when the caller caps it lower.
 */
export function createKernelMemory(maximumBytes = KERNEL_MEMORY.maximumPages * 65536): WebAssembly.Memory {
  const maximum = Math.max(KERNEL_MEMORY.initialPages, Math.min(KERNEL_MEMORY.maximumPages, Math.floor(maximumBytes / 65536)));
  return new WebAssembly.Memory({ initial: KERNEL_MEMORY.initialPages, maximum, shared: KERNEL_MEMORY.shared });
}

/** Whether this runtime can compile WebAssembly SIMD128 (a module with one v128 instruction validates). */
export function wasmSimdSupported(): boolean {
  if (typeof WebAssembly !== 'object') return false;
  // (module (func (result v128) v128.const i32x4 0 0 0 0))
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
  return WebAssembly.validate(probe);
}

/** The kernels compiled once (and handed to every thread), or null when the bytes or WebAssembly SIMD are not valid here. */
export function compileKernels(bytes: Uint8Array): WebAssembly.Module | null {
  const source = bytes as unknown as BufferSource;
  if (!wasmSimdSupported() || !WebAssembly.validate(source)) return null;
  return new WebAssembly.Module(source);
}

