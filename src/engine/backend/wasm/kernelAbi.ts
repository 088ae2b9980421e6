import type { ActivationName } from '../../math/activation';
import type { ConvGeometry } from '../computeBackend';

/**
 * The WebAssembly kernels' ABI, declared once: the imported memory, every exported kernel (its parameters, and the
 * result slot it writes), the activation codes, the layout of the memory's first page and the part count. The WAT
 * generators (`wat/*.ts`, run by the build) write the module from it, the backend (wasmBackend.ts) and the kernel
 * threads call the kernels by it, and test/dist/kernelAbi.test.ts checks dist/kernels.wasm against it.
 *
 * Pointers are byte offsets into the shared memory; tensors are row-major float32. Every parameter is an i32, floats
 * included (passed as their bits, `…Bits`), so that the job board (src/kernels/kernelJobs.ts, an Int32Array) can hand
 * any call to another thread. No kernel returns a value: results go to memory.
 */

/** The WebAssembly value types a kernel parameter can have. */
export type WasmValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

/** One parameter of a kernel: its WAT name (`$name`, used by the generator's body) and type. */
export interface KernelParam {
  readonly name: string;
  readonly type: WasmValueType;
}

/** The layouts of the per-call result slots (see MOMENTS_SLOT, COUNT_SLOT, HISTOGRAM_SLOT). */
export type ResultLayout = 'moments' | 'count' | 'histogram';

/** A kernel: its export name, its parameters in order, and (for the reductions) the parameter that points at the result slot it writes. */
export interface KernelDeclaration {
  readonly name: string;
  readonly params: readonly KernelParam[];
  readonly result?: { readonly at: string; readonly layout: ResultLayout };
}

type I32Params<N extends readonly string[]> = { readonly [I in keyof N]: { readonly name: N[I]; readonly type: 'i32' } };

/** Parameters, all i32, in order (the tuple type keeps their count, so that calls are checked for arity). */
function i32<const N extends readonly string[]>(...names: N): I32Params<N> {
  return names.map((name) => ({ name, type: 'i32' })) as unknown as I32Params<N>;
}

/** The imported memory: `(import "env" "memory" (memory 1 65536 shared))`, shared so that threads run the kernels on the same operands. */
export const KERNEL_MEMORY = { module: 'env', name: 'memory', initialPages: 1, maximumPages: 65536, shared: true } as const;

/** The import object that instantiates the kernels on `memory` (one made by KERNEL_MEMORY's limits). */
export function kernelImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return { [KERNEL_MEMORY.module]: { [KERNEL_MEMORY.name]: memory } };
}

/**
 * The kernels, in the module's order (threads receive an index into this list). Shapes the tiles below do not divide
 * must be padded by the caller.
 */
export const KERNELS = [
  /** C ← A·B (`overwrite` ≠ 0) or C += A·B: A M×K (row stride K), B K×N and C M×N with row stride `ld`; K in blocks of
   *  `kc`, B packed per block into `pack` (this call's own gemmPackBytes(kc) bytes). GEMM_NN_TILE divides M and N. */
  { name: 'gemm_nn', params: i32('a', 'b', 'c', 'M', 'N', 'K', 'ld', 'kc', 'pack', 'overwrite') },
  /** The moments of A·B (as gemm_nn, C never stored) at `res`; needs kc ≥ K. */
  { name: 'gemm_nn_moments', params: i32('a', 'b', 'res', 'M', 'N', 'K', 'ld', 'kc', 'pack'), result: { at: 'res', layout: 'moments' } },
  /** C += A·Bᵀ: A M×K, B N×K (row stride K), C row stride `ld`; GEMM_NT_TILE divides M, N and K. */
  { name: 'gemm_nt', params: i32('a', 'b', 'c', 'M', 'N', 'K', 'ld') },
  /** Chunks [chunk0, chunk1) of the normal fill (src/engine/random/fill.ts) of n floats at `out`: mean = aBits,
   *  std = bBits; `scratch` is this call's LAYOUT.scratchBytes, for the last, partial step. */
  { name: 'fill_normal', params: i32('out', 'n', 'key', 'chunk0', 'chunk1', 'aBits', 'bBits', 'scratch') },
  /** The same for the uniform fill: low = aBits, width = bBits. */
  { name: 'fill_uniform', params: i32('out', 'n', 'key', 'chunk0', 'chunk1', 'aBits', 'bBits', 'scratch') },
  /** The moments of the n floats at x (NaN ignored by min and max, like the reference's `v < min`). */
  { name: 'moments', params: i32('x', 'n', 'res'), result: { at: 'res', layout: 'moments' } },
  /** Counts of bin = ⌊(x − lo)·scale⌋ (float64, clamped to [0, bins)) over the n floats at x, lo and scale read from `res`. */
  { name: 'histogram', params: i32('x', 'n', 'bins', 'res'), result: { at: 'res', layout: 'histogram' } },
  /** How many of the n floats at x are < lo or > hi (float32 bounds). */
  { name: 'count_outside', params: i32('x', 'n', 'loBits', 'hiBits', 'res'), result: { at: 'res', layout: 'count' } },
  /** How many units u in [u0, u1) of z (batch × units) have z[b][u] ≤ 0 for every b. */
  { name: 'count_dead', params: i32('z', 'batch', 'units', 'u0', 'u1', 'res'), result: { at: 'res', layout: 'count' } },
  /** A 32-bit hash of each row r in [r0, r1) of w (`cols` floats a row; their bits, 4 × 4 interleaved FNV-1a lanes
   *  folded together), i32 at out + 4r. */
  { name: 'row_hash', params: i32('w', 'cols', 'r0', 'r1', 'out') },
  /** The backend's `im2col` (computeBackend.ts) over channels [c0, c1), the geometry at `geom` (CONV_GEOMETRY_FIELDS):
   *  cols[(c·kh + i)·kw + j][oy·ow + ox] = x[c][oy·sh + i − padTop][ox·sw + j − padLeft], or 0 outside. */
  { name: 'im2col', params: i32('x', 'cols', 'geom', 'c0', 'c1') },
  /** Its adjoint over channels [c0, c1): dx[c][y][x] += every cols entry im2col read from there. */
  { name: 'col2im', params: i32('cols', 'dx', 'geom', 'c0', 'c1') },
  /** y = φ(x) over n floats, φ by its ACTIVATION_CODES `kind` (leaky slope = slopeBits); `scratch` is this call's
   *  LAYOUT.scratchBytes, for the last n mod 4 floats. */
  { name: 'activate', params: i32('kind', 'x', 'y', 'n', 'slopeBits', 'scratch') },
  /** g ← g·φ′(z) over n floats, z the pre-activation, as `activate`. */
  { name: 'mul_derivative', params: i32('kind', 'z', 'g', 'n', 'slopeBits', 'scratch') },
  /** y[c·ldy + r] = x[r·cols + c] for the rows r in [r0, r1) of x (row-major, `cols` floats a row). */
  { name: 'transpose', params: i32('x', 'y', 'cols', 'ldy', 'r0', 'r1') },
  /** C ← A·Bᵀ (`overwrite` ≠ 0) or C += A·Bᵀ as gemm_nn, but B stored N×K (row stride K, as A's): each K block of B is
   *  packed transposed, so the product runs on gemm_nn's 4 × 8 blocks. GEMM_NN_TILE divides M and N; 4 divides K and kc. */
  { name: 'gemm_nt_packed', params: i32('a', 'b', 'c', 'M', 'N', 'K', 'ld', 'kc', 'pack', 'overwrite') },
  /** The backend's attentionForward (computeBackend.ts) for the (batch, head) pairs b·heads + h in [p0, p1), the
   *  ATTENTION_GEOMETRY_FIELDS at `geom`; `ws` is this part's attentionWorkspaceBytes(…, 'forward'). */
  { name: 'attention_forward', params: i32('geom', 'p0', 'p1', 'ws') },
  /** The backend's attentionBackward for the (batch, kv head) groups b·kv_heads + g in [p0, p1) (each writes its
   *  heads' dq and its own dk, dv, so groups never share an output); `ws` as attentionWorkspaceBytes(…, 'backward'). */
  { name: 'attention_backward', params: i32('geom', 'p0', 'p1', 'ws') },
  /** The backend's rotary on rows [r0, r1) of x (row stride ld floats), `heads` heads of headDim floats from x, the
   *  first 2·half of each rotated; `table` holds float64 cosines then (signed) sines, [tokens, half] each. */
  { name: 'rotary', params: i32('x', 'ld', 'r0', 'r1', 'tokens', 'heads', 'headDim', 'half', 'table') },
  /** The backend's `normalize` (computeBackend.ts) over groups [g0, g1): group g is the `segments` runs of `length`
   *  floats at offset g·groupStride + s·segmentStride (in floats) of x, x̂ written at the same offsets of xhat, and
   *  y = x̂·gain[i] at those of y when gain ≠ 0; 1/σ_g as f64 at inv + 8g; eps is the f64 whose bits are epsHi:epsLo;
   *  `center` 0 for rmsnorm (no mean). */
  { name: 'normalize', params: i32('x', 'xhat', 'y', 'gain', 'inv', 'g0', 'g1', 'segments', 'length', 'groupStride', 'segmentStride', 'epsLo', 'epsHi', 'center') },
  /** The backend's `normalizeBackward` over groups [g0, g1), laid out as `normalize`'s; gain 0 for none. */
  { name: 'normalize_backward', params: i32('xhat', 'dy', 'gain', 'inv', 'dx', 'g0', 'g1', 'segments', 'length', 'groupStride', 'segmentStride', 'center') },
] as const satisfies readonly KernelDeclaration[];

export type KernelName = (typeof KERNELS)[number]['name'];
/** The kernels' export names, in the module's order. */
export const KERNEL_NAMES: readonly KernelName[] = KERNELS.map((k) => k.name);
type ParamsOf<K extends KernelName> = Extract<(typeof KERNELS)[number], { name: K }>['params'];
type Numbers<T extends readonly unknown[]> = { -readonly [I in keyof T]: number };
/** One call's arguments to kernel K, one number per declared parameter. */
export type KernelArgs<K extends KernelName> = Numbers<ParamsOf<K>>;

/** The declaration of kernel `name`. */
export function kernel(name: KernelName): KernelDeclaration {
  return KERNELS.find((k) => k.name === name)!;
}

/**
 * The declared kernels of an instantiated module, each checked to be an exported function of the declared arity;
 * throws, naming the first that is not (a stale or foreign kernels.wasm), so that the caller can fall back.
 */
export function kernelExports(instance: WebAssembly.Instance): Record<KernelName, (...args: number[]) => void> {
  const provided = instance.exports as Record<string, unknown>;
  const out = {} as Record<KernelName, (...args: number[]) => void>;
  for (const k of KERNELS) {
    const f = Object.hasOwn(provided, k.name) ? provided[k.name] : undefined;
    if (typeof f !== 'function' || f.length !== k.params.length) {
      throw new Error(`the kernels module does not export ${k.name} with ${k.params.length} parameters (a stale kernels.wasm? run npm run build)`);
    }
    out[k.name] = f as (...args: number[]) => void;
  }
  return out;
}

// One 4-byte scratch seen as float32 and as int32, for the conversions below (a pair of new arrays per call cost 0.8 s
// of a 100,000-layer run). The engine runs on one thread per realm, so a module-level scratch is never shared.
const SCRATCH_F32 = new Float32Array(1);
const SCRATCH_I32 = new Int32Array(SCRATCH_F32.buffer);

/** The bits of float32(x) as an i32 (how the kernels take float arguments). */
export function f32Bits(x: number): number {
  SCRATCH_F32[0] = x;
  return SCRATCH_I32[0];
}

/** The float32 whose bits are `bits` (as an i32). */
export function bitsF32(bits: number): number {
  SCRATCH_I32[0] = bits;
  return SCRATCH_F32[0];
}

/** The activations the kernels compute, by the code `activate` and `mul_derivative` take as `kind`; others run in JS. */
export const ACTIVATION_CODES = { linear: 0, relu: 1, leaky_relu: 2, tanh: 3, sigmoid: 4, gelu: 5, gelu_new: 6, silu: 7 } as const satisfies Partial<Record<ActivationName, number>>;
export type KernelActivation = keyof typeof ACTIVATION_CODES;

/** The kernels' code for activation `name`, or undefined when they do not compute it. */
export function activationCode(name: ActivationName): number | undefined {
  return (ACTIVATION_CODES as Partial<Record<ActivationName, number>>)[name];
}

/** At most this many parts (calls) in one split job: each has its own result slot and scratch. */
export const MAX_PARTS = 256;
/** The first 64 KiB page: per-part result slots, the convolution geometry, per-part scratch; the heap follows. */
export const LAYOUT = {
  results: 0,
  resultSlotBytes: 64,
  geometry: 16384,
  scratch: 32768,
  scratchBytes: 32,
  heapBase: 65536,
} as const;

/** The byte offset of part `part`'s result slot (LAYOUT.resultSlotBytes each, from LAYOUT.results). */
export function resultSlot(part: number): number {
  return LAYOUT.results + part * LAYOUT.resultSlotBytes;
}

/** The byte offset of part `part`'s scratch (LAYOUT.scratchBytes each, from LAYOUT.scratch). */
export function scratchSlot(part: number): number {
  return LAYOUT.scratch + part * LAYOUT.scratchBytes;
}

/** A `moments` slot: mean and M2 (sum of squared deviations) as f64, then min and max as f32 (byte offsets). */
export const MOMENTS_SLOT = { mean: 0, m2: 8, min: 16, max: 20 } as const;
/** A `count` slot: one i32. */
export const COUNT_SLOT = { count: 0 } as const;
/** A `histogram` area: lo and scale as f64 (the caller writes them), then 4 × (bins + 1) i32 counts, one histogram
 *  per SIMD lane, the last counter of each for NaN. */
export const HISTOGRAM_SLOT = { lo: 0, scale: 8, counts: 16, lanes: 4 } as const;

/** The convolution geometry im2col / col2im read at `geom`: these fields of ConvGeometry, one i32 each, in this order. */
export const CONV_GEOMETRY_FIELDS = [
  'channels', 'height', 'width', 'kernelHeight', 'kernelWidth', 'strideHeight', 'strideWidth', 'padTop', 'padLeft', 'outHeight', 'outWidth',
] as const satisfies readonly (keyof ConvGeometry)[];

/**
 * What attention_forward and attention_backward read at `geom`, one i32 each, in this order: the shape (tokens, head
 * dimension, heads, kv heads, causal 0 or 1, the score scale as float32 bits); then byte offsets and row strides
 * (floats) of q, k, v and o (the heads' outputs; in the backward pass, their gradient), of the row statistics, and
 * of dq, dk, dv. Head h's vector of row b·tokens + t of q starts at float t·ldq + h·headDim (k, v: kv head g).
 */
export const ATTENTION_GEOMETRY_FIELDS = [
  'tokens', 'headDim', 'heads', 'kvHeads', 'causal', 'scaleBits', 'q', 'ldq', 'k', 'ldk', 'v', 'ldv', 'o', 'ldo', 'rowStats', 'dq', 'lddq', 'dk', 'lddk', 'dv', 'lddv',
] as const;

/** The bytes of one part's attention workspace: forward 5 [Tp, dhp] and 2 [Tp, Tp] matrices, backward 8 and 4 (Tp, dhp: tokens and headDim rounded up to 8). */
export function attentionWorkspaceBytes(tokens: number, headDim: number, pass: 'forward' | 'backward'): number {
  const tp = Math.ceil(tokens / 8) * 8, dhp = Math.ceil(headDim / 8) * 8;
  return pass === 'forward' ? 4 * (5 * tp * dhp + 2 * tp * tp) : 4 * (8 * tp * dhp + 4 * tp * tp);
}

/** gemm_nn(_moments)'s register block of C (rows × cols) and its packing unit of B's columns (two 8-column panels). */
export const GEMM_NN_TILE = { rows: 4, cols: 8, packCols: 16 } as const;
/** gemm_nt's register block of C (rows × cols); K is read 4 floats at a time. */
export const GEMM_NT_TILE = { rows: 4, cols: 2, depth: 4 } as const;

/** The bytes of gemm_nn's `pack` buffer for blocks of kc along K: kc rows of GEMM_NN_TILE.packCols floats (two kc × 8 panels). */
export function gemmPackBytes(kc: number): number {
  return kc * GEMM_NN_TILE.packCols * 4;
}
