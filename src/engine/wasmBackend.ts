import type { ComputeBackend } from './compute';
import { referenceBackend } from './referenceBackend';
import type { Rng } from './rng';

interface Kernels {
  fill_normal(out: number, count: number, state: number, mean: number, std: number): void;
  fill_uniform(out: number, count: number, state: number, low: number, width: number): void;
  gemm_nn(a: number, b: number, c: number, m: number, n: number, k: number, ld: number): void;
  gemm_nt(a: number, b: number, c: number, m: number, n: number, k: number, ld: number): void;
}

/**
 * Extra threads that run the same kernels on the same shared memory (the host makes them: the engine imports no
 * `worker_threads`). `start` hands thread t a kernel call without waiting; `wait` blocks until thread t is done.
 */
export interface KernelThreads {
  readonly count: number;
  start(thread: number, kernel: 'gemm_nn' | 'gemm_nt', args: number[]): void;
  wait(thread: number): void;
}

/** The shared memory the kernels import: one 64 KiB page to start, room for 4 GiB. */
export function createKernelMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
}

/** Below this many multiply-adds a GEMM stays on one thread (handing work over costs more than it saves). */
const PARALLEL_MIN_WORK = 1 << 20;

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/** Whether this runtime can compile WebAssembly SIMD128 (a module with one v128 instruction validates). */
export function wasmSimdSupported(): boolean {
  if (typeof WebAssembly !== 'object') return false;
  // (module (func (result v128) v128.const i32x4 0 0 0 0))
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
  return WebAssembly.validate(probe);
}

/**
 * A compute backend whose GEMM runs in WebAssembly SIMD128 (f32x4) micro-kernels, with the columns split over `threads`
 * when given, and whose normal and uniform fills continue the engine's own generator in WebAssembly
 * (`scripts/wasm/kernelsWat.js`, built from WAT by the build), so the same seed gives the same weights to float32
 * rounding; the other kernels are the reference ones. Operands are copied into the shared memory, padded with zeros to
 * the kernels' block sizes (exact: the padding adds 0·x terms), and the result is copied back. Transposed A is
 * transposed in JS first (it is the small operand wherever the engine asks for it). Returns null when WebAssembly SIMD
 * is not available, so the caller can fall back to the reference backend and say so.
 */
export function createWasmBackend(bytes: Uint8Array, options: { memory?: WebAssembly.Memory; threads?: KernelThreads } = {}): ComputeBackend | null {
  const source = bytes as unknown as BufferSource;
  if (!wasmSimdSupported() || !WebAssembly.validate(source)) return null;
  const memory = options.memory ?? createKernelMemory();
  const threads = options.threads;
  const kernels = new WebAssembly.Instance(new WebAssembly.Module(source), { env: { memory } }).exports as unknown as Kernels;
  const floats = (): Float32Array => new Float32Array(memory.buffer);
  const reserve = (count: number): void => {
    const needed = count * 4 - memory.buffer.byteLength;
    if (needed > 0) memory.grow(Math.ceil(needed / 65536));
  };

  /**
   * Runs a GEMM kernel over columns [0, n) split between the calling thread and the extra threads, at multiples of
   * the kernel's column block; `at(j0)` gives the (b, c) byte pointers where column j0 starts.
   */
  const runColumns = (kernel: 'gemm_nn' | 'gemm_nt', a: number, at: (j0: number) => [number, number], m: number, n: number, k: number, ld: number, block: number): void => {
    const parts = threads && m * n * k >= PARALLEL_MIN_WORK ? Math.min(threads.count + 1, Math.floor(n / block)) : 1;
    const per = Math.ceil(n / parts / block) * block;
    const ranges: [number, number][] = [];
    for (let j0 = 0; j0 < n; j0 += per) ranges.push([j0, Math.min(n, j0 + per)]);
    const args = ([j0, j1]: [number, number]): number[] => { const [b, c] = at(j0); return [a, b, c, m, j1 - j0, k, ld]; };
    for (let t = 1; t < ranges.length; t++) threads!.start(t - 1, kernel, args(ranges[t]));
    (kernels[kernel] as (...x: number[]) => void)(...args(ranges[0]));
    for (let t = 1; t < ranges.length; t++) threads!.wait(t - 1);
  };

  /** Copies a rows×cols matrix into memory at float offset `at` with row stride `stride` (zero padding). */
  const place = (src: Float32Array, rows: number, cols: number, at: number, paddedRows: number, stride: number): void => {
    const mem = floats();
    if (stride === cols) mem.set(src.subarray(0, rows * cols), at);
    else for (let r = 0; r < rows; r++) mem.set(src.subarray(r * cols, (r + 1) * cols), at + r * stride);
    if (stride !== cols) for (let r = 0; r < rows; r++) mem.fill(0, at + r * stride + cols, at + (r + 1) * stride);
    mem.fill(0, at + rows * stride, at + paddedRows * stride);
  };

  function gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean): void {
    if (transA && transB) return referenceBackend.gemm(transA, transB, m, n, k, a, b, c, accumulate);
    let aRows = a;
    if (transA) {
      aRows = new Float32Array(m * k);
      for (let p = 0; p < k; p++) for (let i = 0; i < m; i++) aRows[i * k + p] = a[p * m + i];
    }
    // NN: B is K×N, columns in blocks of 8. NT: B is N×K, columns in pairs and K in fours (SIMD dot products).
    const nn = !transB;
    const mp = roundUp(m, 4);
    const np = roundUp(n, nn ? 8 : 2);
    const kp = nn ? k : roundUp(k, 4);
    const aAt = 0, bAt = mp * kp, cAt = bAt + kp * np;
    reserve(cAt + mp * np);
    place(aRows, m, k, aAt, mp, kp);
    if (nn) place(b, k, n, bAt, k, np);
    else place(b, n, k, bAt, np, kp);
    if (accumulate) place(c, m, n, cAt, mp, np);
    else floats().fill(0, cAt, cAt + mp * np);
    runColumns(nn ? 'gemm_nn' : 'gemm_nt', aAt * 4, (j0) => [(bAt + (nn ? j0 : j0 * kp)) * 4, (cAt + j0) * 4], mp, np, kp, np, nn ? 8 : 2);
    copyOut(cAt, np);

    function copyOut(at: number, stride: number): void {
      const mem = floats();
      if (stride === n) c.set(mem.subarray(at, at + m * n));
      else for (let i = 0; i < m; i++) c.set(mem.subarray(at + i * stride, at + i * stride + n), i * n);
    }
  }

  // Generator state lives at byte 0 (s0..s3, spare f64 at 16, its flag at 24); fills write from byte 64.
  const STATE = 0, OUT = 64;
  function fill(kind: 'normal' | 'uniform', rng: Rng, out: Float32Array, a: number, b: number): void {
    const state = rng.getState();
    let start = 0;
    if (kind === 'normal' && out.length > 0 && state.spare === state.spare) {
      out[0] = a + b * state.spare;
      start = 1;
    }
    const count = out.length - start;
    if (count === 0) {
      rng.setState(state.spare === state.spare && start === 1 ? { ...state, spare: NaN } : state);
      return;
    }
    reserve(OUT / 4 + count);
    const words = new Uint32Array(memory.buffer, STATE, 8);
    words.set(state.s);
    words[6] = 0;
    if (kind === 'normal') kernels.fill_normal(OUT, count, STATE, a, b);
    else kernels.fill_uniform(OUT, count, STATE, a, b);
    const after = new Uint32Array(memory.buffer, STATE, 8);
    const spare = kind === 'normal' && after[6] === 1 ? new Float64Array(memory.buffer, STATE + 16, 1)[0] : (kind === 'normal' ? NaN : state.spare);
    rng.setState({ s: [after[0], after[1], after[2], after[3]], spare });
    out.set(new Float32Array(memory.buffer, OUT, count), start);
  }

  return {
    ...referenceBackend,
    name: threads && threads.count > 0 ? `wasm-simd128 × ${threads.count + 1} threads` : 'wasm-simd128',
    gemm,
    fillNormal: (rng, out, mean, std) => fill('normal', rng, out, mean, std),
    fillUniform: (rng, out, low, high) => fill('uniform', rng, out, low, high - low),
  };
}
