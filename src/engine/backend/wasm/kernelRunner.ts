import type { TensorMoments } from '../tensorMoments';
import { COUNT_SLOT, kernelExports, kernelImports, LAYOUT, MAX_PARTS, MOMENTS_SLOT, type KernelArgs, type KernelName } from './kernelAbi';
import { WasmHeap } from './wasmHeap';

/**
 * Extra threads that run the same kernels on the same shared memory (the host makes them: the engine imports no
 * `worker_threads`). `run` runs `kernel` once per argument list, each on whichever thread claims it first, the
 * calling one included (through `here`), and returns when all are done.
 */
export interface KernelThreads {
  readonly count: number;
  run(kernel: KernelName, parts: number[][], here: (args: number[]) => void): void;
}

/** Parts per thread in a split job: several, so that a thread that starts late or runs slow leaves less to wait for. */
const PARTS_PER_THREAD = 4;

/** x rounded up to a multiple of `to`. */
export function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** The kernels instantiated on their memory, with what the backend needs to call them on tensors (see createKernelRunner). */
export interface KernelRunner {
  readonly memory: WebAssembly.Memory;
  /** Allocates the tensors and staging blocks the kernels work on, above LAYOUT.heapBase. */
  readonly heap: WasmHeap;
  /** Float32 view of `length` floats at byte `byteOffset` of the memory. */
  view(byteOffset: number, length: number): Float32Array;
  /** Whether `t` lives in the memory (is a view this runner made, so usable in place). */
  own(t: Float32Array): boolean;
  /** Runs `kernel` once per argument list, on this thread and the extra ones, and returns when all are done. */
  runParts<K extends KernelName>(kernel: K, parts: KernelArgs<K>[]): void;
  /** Splits [0, n) into up to (PARTS_PER_THREAD × threads, MAX_PARTS at most) ranges at multiples of `align` (one range when n < minimum). */
  split(n: number, align: number, minimum: number): [number, number][];
  /**
   * The byte offset of `src` (rows × cols, row-major) laid out as paddedRows × stride floats: `src` itself when it
   * lives in the memory with that layout already, else a staging block (listed in `staged` for release) holding a
   * zero-padded copy, zeros, or nothing yet (`init`).
   */
  operand(src: Float32Array, rows: number, cols: number, paddedRows: number, stride: number, staged: number[], init?: 'copy' | 'zeros' | 'none'): number;
  /** A tensor in the memory: `x` itself, or a block holding a copy of it (or not, `copy` false), released by `done`. */
  inMemory(x: Float32Array, copy?: boolean): { at: number; done(): void };
  /** The moments a kernel wrote in the MOMENTS_SLOT at `res`, for `count` values. */
  readMoments(res: number, count: number): TensorMoments;
  /** The count a kernel wrote in the COUNT_SLOT at `res`. */
  readCount(res: number): number;
}

/**
 * Instantiates the compiled kernels on `memory` (grown to hold LAYOUT's first page) and wraps them for the backend:
 * a heap above the first page, views of the memory, operand staging, and jobs split into parts over the calling
 * thread and `threads`.
 */
export function createKernelRunner(module: WebAssembly.Module, memory: WebAssembly.Memory, threads: KernelThreads | undefined): KernelRunner {
  const kernels = kernelExports(new WebAssembly.Instance(module, kernelImports(memory)));
  if (memory.buffer.byteLength < LAYOUT.heapBase) memory.grow(Math.ceil((LAYOUT.heapBase - memory.buffer.byteLength) / 65536));
  const heap = new WasmHeap(memory, LAYOUT.heapBase);
  /** Every SharedArrayBuffer object this memory has handed us (a grown shared memory hands out a new one). */
  const buffers = new WeakSet<ArrayBufferLike>();
  const view = (byteOffset: number, length: number): Float32Array => {
    const buffer = memory.buffer;
    buffers.add(buffer);
    return new Float32Array(buffer, byteOffset, length);
  };
  const own = (t: Float32Array): boolean => buffers.has(t.buffer);
  const maxParts = Math.min(MAX_PARTS, PARTS_PER_THREAD * ((threads?.count ?? 0) + 1));

  return {
    memory,
    heap,
    view,
    own,
    runParts: (kernel, parts) => {
      const lists = parts as number[][];
      const here = (args: number[]): void => kernels[kernel](...args);
      if (lists.length === 1 || !threads) lists.forEach(here);
      else threads.run(kernel, lists, here);
    },
    split: (n, align, minimum) => {
      const parts = n >= minimum ? Math.max(1, Math.min(maxParts, Math.floor(n / align))) : 1;
      const per = roundUp(Math.ceil(n / parts), align);
      const ranges: [number, number][] = [];
      for (let i0 = 0; i0 < n || ranges.length === 0; i0 += per) ranges.push([i0, Math.min(n, i0 + per)]);
      return ranges;
    },
    operand: (src, rows, cols, paddedRows, stride, staged, init = 'copy') => {
      if (own(src) && rows === paddedRows && cols === stride) return src.byteOffset;
      const at = heap.allocate(paddedRows * stride * 4);
      staged.push(at);
      const dst = view(at, paddedRows * stride);
      if (init === 'none') return at;
      if (init === 'zeros') dst.fill(0);
      else if (stride === cols) {
        dst.set(src.subarray(0, rows * cols));
        dst.fill(0, rows * cols);
      } else {
        dst.fill(0);
        for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols, (r + 1) * cols), r * stride);
      }
      return at;
    },
    inMemory: (x, copy = true) => {
      if (own(x)) return { at: x.byteOffset, done: () => undefined };
      const at = heap.allocate(x.length * 4);
      if (copy) view(at, x.length).set(x);
      return { at, done: () => heap.release(at) };
    },
    readMoments: (res, count) => {
      const f64 = (at: number): number => new Float64Array(memory.buffer, res + at, 1)[0];
      const f32 = (at: number): number => new Float32Array(memory.buffer, res + at, 1)[0];
      return { count, mean: f64(MOMENTS_SLOT.mean), m2: f64(MOMENTS_SLOT.m2), min: f32(MOMENTS_SLOT.min), max: f32(MOMENTS_SLOT.max) };
    },
    readCount: (res) => new Int32Array(memory.buffer, res + COUNT_SLOT.count, 1)[0],
  };
}
