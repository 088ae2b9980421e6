import type { Activation } from '../../math/activation';
import type { ComputeBackend, ConvGeometry, NormGroups } from '../computeBackend';
import { FILL_CHUNK } from '../../random/fill';
import { blockedGemmMoments } from '../blockedGemmMoments';
import { groupDistinctRows } from '../../sampled/layerStats';
import { referenceBackend } from '../reference/referenceBackend';
import { mergeMoments, type TensorMoments } from '../tensorMoments';
import {
  activationCode, bitsF32, CONV_GEOMETRY_FIELDS, f32Bits, GEMM_NN_TILE, GEMM_NT_TILE, gemmPackBytes, HISTOGRAM_SLOT, KERNEL_MEMORY, LAYOUT, resultSlot, scratchSlot, type KernelArgs, type KernelName,
} from './kernelAbi';
import { createKernelRunner, roundUp, type KernelThreads } from './kernelRunner';
import { createWasmAttention } from './wasmAttention';

/**
 * The shared memory the kernels import (KERNEL_MEMORY): one 64 KiB page to start, room for 4 GiB, or for
 * `maximumBytes` (rounded down to whole pages) when the caller caps it lower.
 */
export function createKernelMemory(maximumBytes = KERNEL_MEMORY.maximumPages * 65536): WebAssembly.Memory {
  const maximum = Math.max(KERNEL_MEMORY.initialPages, Math.min(KERNEL_MEMORY.maximumPages, Math.floor(maximumBytes / 65536)));
  return new WebAssembly.Memory({ initial: KERNEL_MEMORY.initialPages, maximum, shared: KERNEL_MEMORY.shared });
}

/** Below this many multiply-adds a GEMM stays on one thread (handing work over costs more than it saves). */
const PARALLEL_MIN_WORK = 1 << 20;
/** From this many rows of A on, A·Bᵀ packs B transposed for gemm_nn's blocks (below, gemm_nt's dot products read B once). */
const NT_PACKED_MIN_ROWS = 32;
/** gemm_nn's depth of K blocks, and the bytes of its per-part packing buffer. */
const NN_KC = 256, NN_PACK_BYTES = gemmPackBytes(NN_KC);
/** The most the packing buffers of one gemm_nn_moments call take, all parts together (4 MiB: K = 65,536 in one part). */
const MOMENTS_PACK_BYTES = 4 << 20;
/** Below this many elements, fills, activations and statistics stay on one thread. */
const PARALLEL_MIN_ELEMENTS = 1 << 16;
/**
 * Below this many elements, one pass over memory (moments, histograms, counts, row hashes, transposes) stays on one
 * thread: it takes well under a millisecond, less than the handoff can cost when the other thread is busy or asleep.
 */
const PARALLEL_MIN_STREAM = 1 << 19;

/** The smallest float32 ≥ x (for x < lo ⟺ x < that, x float32). */
function f32AtLeast(x: number): number {
  const r = Math.fround(x);
  if (r >= x || Number.isNaN(x)) return r;
  const bits = f32Bits(r);
  return bitsF32(r === 0 ? 1 : r > 0 ? bits + 1 : bits - 1);
}

/** The largest float32 ≤ x. */
function f32AtMost(x: number): number {
  return -f32AtLeast(-x);
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

/**
 * A compute backend whose kernels run in WebAssembly SIMD128 (declared in kernelAbi.ts, written as WAT by `wat/*.ts`
 * and assembled by the build): GEMM micro-kernels (and one that reduces A·B to its moments without storing it), the
 * chunked normal and uniform fills (bit for bit those of `fill.ts`), the statistics (float64 moments, histograms,
 * saturated and dead counts, row hashes for distinct units), im2col / col2im, the ReLU-family, tanh and sigmoid
 * activations and their derivatives (other activations run in JS), and the normalizations (batchnorm, layernorm,
 * rmsnorm) forward and backward. Work is split over the calling thread and
 * `threads` when given: GEMM by column ranges, fills by chunks, the rest by element, unit, row or channel ranges.
 * Tensors from `allocate` live in the kernels' shared memory and are used in place; any other operand is copied in
 * (padded with zeros to the kernels' tiles, which is exact: the padding adds 0·x terms) and the result copied back.
 * Returns null when WebAssembly SIMD is not available, so the caller can fall back to the reference backend and say so.
 */
export function createWasmBackend(code: Uint8Array | WebAssembly.Module, options: { memory?: WebAssembly.Memory; threads?: KernelThreads } = {}): ComputeBackend | null {
  const module = code instanceof WebAssembly.Module ? code : compileKernels(code);
  if (!module || !wasmSimdSupported()) return null;
  const memory = options.memory ?? createKernelMemory();
  const threads = options.threads;
  const runner = createKernelRunner(module, memory, threads);
  const { heap, view, own, runParts, split, operand, inMemory, readMoments, readCount } = runner;

  function gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean): void {
    if ((transA && transB) || m === 0 || n === 0 || k === 0) return referenceBackend.gemm(transA, transB, m, n, k, a, b, c, accumulate);
    // Padded to the kernels' tiles. NN: B is K×N (B and C share the row stride). NT: B is N×K, multiplied by dot
    // products (gemm_nt) when A has few rows, else packed transposed into gemm_nn's blocks (gemm_nt_packed).
    const nn = !transB;
    const packed = nn || m >= NT_PACKED_MIN_ROWS;
    const mp = roundUp(m, packed ? GEMM_NN_TILE.rows : GEMM_NT_TILE.rows);
    const np = roundUp(n, packed ? GEMM_NN_TILE.cols : GEMM_NT_TILE.cols);
    const kp = nn ? k : roundUp(k, GEMM_NT_TILE.depth);
    const staged: number[] = [];
    try {
      let aAt: number;
      if (transA) {
        // A is stored k×m: transposed into the staging copy by the transpose kernel, padded with zeros.
        aAt = heap.allocate(mp * kp * 4);
        staged.push(aAt);
        transposeInto(a, k, m, aAt, kp);
        const dst = view(aAt, mp * kp);
        if (kp > k) for (let i = 0; i < m; i++) dst.fill(0, i * kp + k, (i + 1) * kp);
        dst.fill(0, m * kp);
      } else {
        aAt = operand(a, m, k, mp, kp, staged);
      }
      const bAt = nn ? operand(b, k, n, k, np, staged) : operand(b, n, k, np, kp, staged);
      // gemm_nn and gemm_nt_packed can overwrite C; gemm_nt always adds to it, so C starts zeroed there.
      const cDirect = own(c) && m === mp && n === np;
      if (cDirect && !accumulate && !packed) c.fill(0, 0, m * n);
      const cAt = cDirect ? c.byteOffset : operand(c, m, n, mp, np, staged, accumulate ? 'copy' : packed ? 'none' : 'zeros');
      // Column ranges: whole packing units for the packed kernels, whole tiles for gemm_nt.
      const block = packed ? GEMM_NN_TILE.packCols : GEMM_NT_TILE.cols;
      const ranges = m * n * k >= PARALLEL_MIN_WORK ? split(np, block, 2 * block) : [[0, np] as [number, number]];
      if (packed) {
        const pack = heap.allocate(ranges.length * NN_PACK_BYTES);
        staged.push(pack);
        const kernel = nn ? 'gemm_nn' : 'gemm_nt_packed';
        runParts(kernel, ranges.map(([j0, j1], part) => [aAt, bAt + j0 * (nn ? 1 : kp) * 4, cAt + j0 * 4, mp, j1 - j0, kp, np, NN_KC, pack + part * NN_PACK_BYTES, accumulate ? 0 : 1]));
      } else {
        runParts('gemm_nt', ranges.map(([j0, j1]) => [aAt, bAt + j0 * kp * 4, cAt + j0 * 4, mp, j1 - j0, kp, np]));
      }
      if (!cDirect) {
        const result = view(cAt, mp * np);
        if (np === n) c.set(result.subarray(0, m * n));
        else for (let i = 0; i < m; i++) c.set(result.subarray(i * np, i * np + n), i * n);
      }
    } finally {
      for (const at of staged) heap.release(at);
    }
  }

  /**
   * Moments of A·B fused into the GEMM (gemm_nn_moments: blocks of the product are reduced in registers, never
   * stored), columns split over the threads; shapes the kernel cannot take unpadded (m % 4, n % 8) go block by block.
   */
  function gemmMoments(m: number, n: number, k: number, a: Float32Array, b: Float32Array, transA = false): TensorMoments {
    if (transA && m > 0 && k > 0) {
      const at = backend.allocate(m * k);
      try {
        transpose(a, k, m, at);
        return gemmMoments(m, n, k, at, b);
      } finally {
        backend.release(at);
      }
    }
    if (m === 0 || n === 0 || k === 0 || m % GEMM_NN_TILE.rows !== 0 || n % GEMM_NN_TILE.cols !== 0) return blockedGemmMoments(backend, m, n, k, a, b);
    const staged: number[] = [];
    try {
      const aAt = operand(a, m, k, m, k, staged);
      const bAt = operand(b, k, n, k, n, staged);
      const packBytes = roundUp(gemmPackBytes(k), 64);
      // Each part packs B in blocks of all of K: no more parts than MOMENTS_PACK_BYTES holds (cost.ts counts that much).
      const parts = Math.max(1, Math.floor(MOMENTS_PACK_BYTES / packBytes));
      const align = roundUp(Math.ceil(n / parts), GEMM_NN_TILE.packCols);
      const ranges = m * n * k >= PARALLEL_MIN_WORK ? split(n, align, 2 * GEMM_NN_TILE.packCols) : [[0, n] as [number, number]];
      const pack = heap.allocate(ranges.length * packBytes);
      staged.push(pack);
      runParts('gemm_nn_moments', ranges.map(([j0, j1], part) => [aAt, bAt + j0 * 4, resultSlot(part), m, j1 - j0, k, n, k, pack + part * packBytes]));
      return ranges.map(([j0, j1], part) => readMoments(resultSlot(part), m * (j1 - j0))).reduce(mergeMoments);
    } finally {
      for (const at of staged) heap.release(at);
    }
  }

  /**
   * Values [start, start + n) of a fill into `out`. The kernels write value i of the stream at out + 4·i, so a start
   * on a chunk boundary is reached by handing them out − 4·start (i32 addresses wrap); another start fills the
   * chunks around the range into a staging tensor and copies the range out of it.
   */
  function fill(kernel: 'fill_normal' | 'fill_uniform', key: number, out: Float32Array, a: number, b: number, start = 0): void {
    if (out.length === 0) return;
    const first = Math.floor(start / FILL_CHUNK);
    if (start !== first * FILL_CHUNK) {
      const staged = backend.allocate(start + out.length - first * FILL_CHUNK);
      try {
        fill(kernel, key, staged, a, b, first * FILL_CHUNK);
        out.set(staged.subarray(start - first * FILL_CHUNK));
      } finally {
        backend.release(staged);
      }
      return;
    }
    const target = inMemory(out, false);
    try {
      const chunks = Math.ceil(out.length / FILL_CHUNK);
      const ranges = out.length >= PARALLEL_MIN_ELEMENTS ? split(chunks, 1, 2) : [[0, chunks] as [number, number]];
      runParts(kernel, ranges.map(([c0, c1], part) => [(target.at - 4 * start) | 0, start + out.length, key | 0, first + c0, first + c1, f32Bits(a), f32Bits(b), scratchSlot(part)]));
      if (!own(out)) out.set(view(target.at, out.length));
    } finally {
      target.done();
    }
  }

  /** Runs a statistics kernel over element ranges of x (aligned to 8); `args(part, i0, i1, at)` gives its arguments. */
  function overElements<K extends KernelName, T>(x: Float32Array, args: (at: number, i0: number, i1: number, res: number) => KernelArgs<K>, kernel: K, read: (res: number, i0: number, i1: number) => T): T[] {
    const src = inMemory(x);
    try {
      const ranges = split(x.length, 8, PARALLEL_MIN_STREAM);
      runParts(kernel, ranges.map(([i0, i1], part) => args(src.at + i0 * 4, i0, i1, resultSlot(part))));
      return ranges.map(([i0, i1], part) => read(resultSlot(part), i0, i1));
    } finally {
      src.done();
    }
  }

  function moments(x: Float32Array): TensorMoments {
    if (x.length === 0) return referenceBackend.moments(x);
    const parts = overElements(x, (at, i0, i1, res) => [at, i1 - i0, res], 'moments', (res, i0, i1) => readMoments(res, i1 - i0));
    return parts.reduce(mergeMoments);
  }

  function histogram(x: Float32Array, lo: number, hi: number, bins: number): number[] {
    const counts = new Array<number>(bins).fill(0);
    if (x.length === 0) return counts;
    const src = inMemory(x);
    const ranges = split(x.length, 8, PARALLEL_MIN_STREAM);
    // One HISTOGRAM_SLOT area per part, each a whole number of cache lines.
    const slot = HISTOGRAM_SLOT.counts + roundUp(HISTOGRAM_SLOT.lanes * (bins + 1) * 4, 64);
    const area = heap.allocate(slot * ranges.length);
    try {
      const f64 = new Float64Array(memory.buffer);
      ranges.forEach((_, part) => {
        f64[(area + part * slot + HISTOGRAM_SLOT.lo) / 8] = lo;
        f64[(area + part * slot + HISTOGRAM_SLOT.scale) / 8] = bins / (hi - lo);
      });
      runParts('histogram', ranges.map(([i0, i1], part) => [src.at + i0 * 4, i1 - i0, bins, area + part * slot]));
      const i32 = new Int32Array(memory.buffer);
      ranges.forEach((_, part) => {
        for (let lane = 0; lane < HISTOGRAM_SLOT.lanes; lane++) {
          const at = (area + part * slot + HISTOGRAM_SLOT.counts) / 4 + lane * (bins + 1);
          for (let bin = 0; bin < bins; bin++) counts[bin] += i32[at + bin];
        }
      });
      return counts;
    } finally {
      heap.release(area);
      src.done();
    }
  }

  function countOutside(x: Float32Array, lo: number, hi: number): number {
    if (x.length === 0) return 0;
    const loBits = f32Bits(f32AtLeast(lo)), hiBits = f32Bits(f32AtMost(hi));
    const counts = overElements(x, (at, i0, i1, res) => [at, i1 - i0, loBits, hiBits, res], 'count_outside', readCount);
    return counts.reduce((s, c) => s + c, 0);
  }

  function countDeadUnits(z: Float32Array, batch: number, units: number): number {
    if (units === 0 || batch === 0) return referenceBackend.countDeadUnits(z, batch, units);
    const src = inMemory(z);
    try {
      const ranges = split(units, 4, batch * units >= PARALLEL_MIN_STREAM ? 8 : Infinity);
      runParts('count_dead', ranges.map(([u0, u1], part) => [src.at, batch, units, u0, u1, resultSlot(part)]));
      return ranges.reduce((s, _, part) => s + readCount(resultSlot(part)), 0);
    } finally {
      src.done();
    }
  }

  function distinctRows(w: Float32Array, rows: number, cols: number, bias: Float32Array | null): number {
    if (rows === 0 || cols === 0) return referenceBackend.distinctRows(w, rows, cols, bias);
    const src = inMemory(w.subarray(0, rows * cols));
    const out = heap.allocate(rows * 4);
    try {
      const ranges = split(rows, 1, rows * cols >= PARALLEL_MIN_STREAM ? 2 : Infinity);
      runParts('row_hash', ranges.map(([r0, r1]) => [src.at, cols, r0, r1, out]));
      return groupDistinctRows(w, rows, cols, bias, new Int32Array(memory.buffer, out, rows).slice());
    } finally {
      heap.release(out);
      src.done();
    }
  }

  /** Runs an elementwise activation kernel over element ranges; `out` (the kernel's second array) is written back. */
  function elementwise(kernel: 'activate' | 'mul_derivative', act: Activation, input: Float32Array, out: Float32Array, outIsInput: boolean): void {
    const kind = activationCode(act.name);
    if (kind === undefined || input.length === 0) {
      if (kernel === 'activate') referenceBackend.activate(act, input, out);
      else referenceBackend.multiplyByDerivative(act, input, out);
      return;
    }
    const src = inMemory(input);
    const dst = inMemory(out, outIsInput);
    try {
      const ranges = split(input.length, 4, PARALLEL_MIN_ELEMENTS);
      const slope = f32Bits(act.negativeSlope);
      runParts(kernel, ranges.map(([i0, i1], part) => [kind, src.at + i0 * 4, dst.at + i0 * 4, i1 - i0, slope, scratchSlot(part)]));
      if (!own(out)) out.set(view(dst.at, out.length));
    } finally {
      dst.done();
      src.done();
    }
  }

  /** The transpose kernel: y (at byte `yAt`, row stride ldy) ← the cols × rows transpose of x, row ranges over the threads. */
  function transposeInto(x: Float32Array, rows: number, cols: number, yAt: number, ldy: number): void {
    if (rows === 0 || cols === 0) return;
    const src = inMemory(x.length === rows * cols ? x : x.subarray(0, rows * cols));
    try {
      const ranges = split(rows, 4, rows * cols >= PARALLEL_MIN_STREAM ? 8 : Infinity);
      runParts('transpose', ranges.map(([r0, r1]) => [src.at, yAt, cols, ldy, r0, r1]));
    } finally {
      src.done();
    }
  }

  function transpose(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
    const dst = inMemory(out.length === rows * cols ? out : out.subarray(0, rows * cols), false);
    try {
      transposeInto(x, rows, cols, dst.at, rows);
      if (!own(out)) out.set(view(dst.at, rows * cols));
    } finally {
      dst.done();
    }
  }

  /** im2col / col2im over channel ranges, with the geometry written where the kernels read it. */
  function conv(kernel: 'im2col' | 'col2im', from: Float32Array, to: Float32Array, g: ConvGeometry, accumulate: boolean): void {
    const src = inMemory(from);
    const dst = inMemory(to, accumulate);
    try {
      new Int32Array(memory.buffer, LAYOUT.geometry, CONV_GEOMETRY_FIELDS.length).set(CONV_GEOMETRY_FIELDS.map((field) => g[field]));
      const ranges = split(g.channels, 1, from.length >= PARALLEL_MIN_ELEMENTS ? 2 : Infinity);
      runParts(kernel, ranges.map(([c0, c1]) => [src.at, dst.at, LAYOUT.geometry, c0, c1]));
      if (!own(to)) to.set(view(dst.at, to.length));
    } finally {
      dst.done();
      src.done();
    }
  }

  /** A float64 array's bytes in the memory (8-aligned), read back into it by `done`. */
  function float64InMemory(values: Float64Array, copy: boolean): { at: number; done(read: boolean): void } {
    const at = heap.allocate(values.length * 8);
    const inMemory = new Float64Array(memory.buffer, at, values.length);
    if (copy) inMemory.set(values);
    return { at, done: (read) => { if (read) values.set(new Float64Array(memory.buffer, at, values.length)); heap.release(at); } };
  }
  /** Group ranges for the normalization kernels: whole groups per part, split once there is enough work. */
  function groupRanges(groups: NormGroups): [number, number][] {
    return split(groups.groups, 1, groups.groups * groups.segments * groups.length >= PARALLEL_MIN_ELEMENTS ? 2 : Infinity);
  }
  function normalize(x: Float32Array, xhat: Float32Array, y: Float32Array | null, gain: Float32Array | null, groups: NormGroups, eps: number, center: boolean, invStd: Float64Array): void {
    if (groups.groups === 0 || groups.segments * groups.length === 0) return referenceBackend.normalize(x, xhat, y, gain, groups, eps, center, invStd);
    const src = inMemory(x);
    const dst = inMemory(xhat, false);
    const out = y && gain ? inMemory(y, false) : null;
    const g = gain ? inMemory(gain) : null;
    const inv = float64InMemory(invStd, false);
    try {
      const epsBits = new Int32Array(Float64Array.of(eps).buffer);
      runParts('normalize', groupRanges(groups).map(([g0, g1]) => [src.at, dst.at, out?.at ?? 0, g?.at ?? 0, inv.at, g0, g1,
        groups.segments, groups.length, groups.groupStride, groups.segmentStride, epsBits[0], epsBits[1], center ? 1 : 0]));
      if (!own(xhat)) xhat.set(view(dst.at, xhat.length));
      if (y && out && !own(y)) y.set(view(out.at, y.length));
    } finally {
      inv.done(true);
      g?.done();
      out?.done();
      dst.done();
      src.done();
    }
  }
  function normalizeBackward(xhat: Float32Array, dy: Float32Array, gain: Float32Array | null, invStd: Float64Array, groups: NormGroups, center: boolean, dx: Float32Array): void {
    if (groups.groups === 0 || groups.segments * groups.length === 0) return referenceBackend.normalizeBackward(xhat, dy, gain, invStd, groups, center, dx);
    const xs = inMemory(xhat);
    const ds = inMemory(dy);
    const g = gain ? inMemory(gain) : null;
    const out = inMemory(dx, false);
    const inv = float64InMemory(invStd, true);
    try {
      runParts('normalize_backward', groupRanges(groups).map(([g0, g1]) => [xs.at, ds.at, g?.at ?? 0, inv.at, out.at, g0, g1,
        groups.segments, groups.length, groups.groupStride, groups.segmentStride, center ? 1 : 0]));
      if (!own(dx)) dx.set(view(out.at, dx.length));
    } finally {
      inv.done(false);
      out.done();
      g?.done();
      ds.done();
      xs.done();
    }
  }
  const backend: ComputeBackend = {
    ...referenceBackend,
    name: threads && threads.count > 0 ? `wasm-simd128 × ${threads.count + 1} threads` : 'wasm-simd128',
    allocate: (length) => (length === 0 ? new Float32Array(0) : view(heap.allocate(length * 4), length)),
    release: (t) => {
      if (own(t)) heap.release(t.byteOffset);
    },
    gemm,
    gemmMoments,
    fillNormal: (key, out, mean, std, start) => fill('fill_normal', key, out, mean, std, start),
    fillUniform: (key, out, low, high, start) => fill('fill_uniform', key, out, low, high - low, start),
    moments,
    histogram,
    countOutside,
    countDeadUnits,
    distinctRows,
    activate: (act, x, y) => elementwise('activate', act, x, y, false),
    multiplyByDerivative: (act, z, g) => elementwise('mul_derivative', act, z, g, true),
    transpose,
    ...createWasmAttention(runner),
    im2col: (x, g, cols) => conv('im2col', x, cols, g, false),
    col2im: (cols, g, dx) => conv('col2im', cols, dx, g, true),
    normalize,
    normalizeBackward,
  };
  return backend;
}
