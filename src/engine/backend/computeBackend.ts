import type { Activation } from '../math/activation';
import type { Rotary } from '../math/rotary';
import type { TensorMoments } from './tensorMoments';

/** Geometry of a 2-D convolution on one sample (NCHW without N), for im2col / col2im. */
export interface ConvGeometry {
  channels: number;
  height: number;
  width: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  outHeight: number;
  outWidth: number;
}

/** The shape of a scaled dot-product attention over a batch of sequences (see `attentionForward`). */
export interface AttentionShape {
  batch: number;
  tokens: number;
  heads: number;
  /** Key/value heads; query head h reads kv head ⌊h/(heads/kvHeads)⌋ (HF repeat_kv). */
  kvHeads: number;
  headDim: number;
  causal: boolean;
  /** The number the scores q·k are multiplied by. */
  scale: number;
  /**
   * Added to head h's scaled scores before the mask and softmax, [heads, tokens, tokens] (T5's relative position bias),
   * or null/absent for none.
   */
  bias?: Float32Array | null;
}

/**
 * Where a tensor keeps its heads: head j's vector for row r = b·tokens + t is data[r·stride + offset + j·headDim ...
 * + headDim]. A fused qkv projection [rows, (heads + 2·kvHeads)·headDim] holds q, k and v at three offsets.
 */
export interface HeadsView {
  data: Float32Array;
  stride: number;
  offset: number;
}

/**
 * The elements a normalization treats together, as strided runs: group g holds
 * x[g·groupStride + s·segmentStride + i] for s < segments, i < length. Layernorm and rmsnorm over the last axis: one
 * run of `length` features per row (segments 1); batchnorm per channel: `segments` = batch runs of H·W positions,
 * segmentStride = C·H·W apart.
 */
export interface NormGroups {
  groups: number;
  segments: number;
  length: number;
  groupStride: number;
  segmentStride: number;
}

/**
 * The compute kernels the sampled engine needs, on row-major float32 tensors. The TypeScript reference backend
 * implements them plainly; faster backends (WebAssembly SIMD) implement the same contract and are tested against it.
 */
export interface ComputeBackend {
  readonly name: string;
  /**
   * A tensor of `length` floats that the kernels can use in place (for WebAssembly, a view of its memory, so that
   * nothing is copied in or out); its contents are unspecified until written. Hand it back with `release`.
   */
  allocate(length: number): Float32Array;
  /** Returns a tensor from `allocate` (a no-op for any other array, and for the reference backend). */
  release(tensor: Float32Array): void;
  /**
   * C ← op(A)·op(B) (+ C when `accumulate`), C is m×n; op(A) is m×k (A stored k×m when `transA`); op(B) is k×n
   * (B stored n×k when `transB`). Products accumulate in float32 like BLAS sgemm.
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean): void;
  /**
   * Moments (float64) of the m×n product op(A)·B (op(A) m×k, A stored k×m when `transA`; B k×n; row-major)
   * without storing it: the dense weight gradient dW = dpreᵀ·x, which can be far larger than anything else the run holds.
   */
  gemmMoments(m: number, n: number, k: number, a: Float32Array, b: Float32Array, transA?: boolean): TensorMoments;
  /**
   * out[i] ← mean + std·z_{start+i} in float32, z the standard normals of the stream with key `key` (`fill.ts`), bit
   * for bit: `start` (default 0) lets a tensor be drawn block by block.
   */
  fillNormal(key: number, out: Float32Array, mean: number, std: number, start?: number): void;
  /** out[i] ← low + (high − low)·u_{start+i} in float32, u the uniforms on [0, 1) of stream `key` (`fill.ts`), bit for bit. */
  fillUniform(key: number, out: Float32Array, low: number, high: number, start?: number): void;
  /**
   * Count, mean, M2 = Σ(x − mean)², min and max of x, accumulated in float64 (the reference backend in two passes,
   * the WebAssembly kernels in one pass around a shift; they agree to float64 rounding).
   */
  moments(x: Float32Array): TensorMoments;
  /**
   * Counts of x in `bins` equal bins over [lo, hi]: bin ⌊(x − lo)·bins/(hi − lo)⌋ in float64, values outside clamped
   * into the end bins, NaN not counted.
   */
  histogram(x: Float32Array, lo: number, hi: number, bins: number): number[];
  /** How many x are below `lo` or above `hi` (NaN is neither): the saturated outputs of tanh and sigmoid. */
  countOutside(x: Float32Array, lo: number, hi: number): number;
  /** How many of the `units` columns of z ([batch, units] row-major) are ≤ 0 in every row: the dead ReLU units. */
  countDeadUnits(z: Float32Array, batch: number, units: number): number;
  /** How many distinct rows (with their bias) a rows × cols weight has, comparing float bits (`countDistinctRows`). */
  distinctRows(w: Float32Array, rows: number, cols: number, bias: Float32Array | null): number;
  /** y[i] ← φ(x[i]) (`activation.ts` `activate`, to float32 rounding). */
  activate(act: Activation, x: Float32Array, y: Float32Array): void;
  /** g[i] ← g[i]·φ′(z[i]), z the pre-activation (`activation.ts` `derivative`, to float32 rounding). */
  multiplyByDerivative(act: Activation, z: Float32Array, g: Float32Array): void;
  /** out[c·rows + r] ← x[r·cols + c]: the cols × rows transpose of a rows × cols tensor. */
  transpose(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  /**
   * Multi-head scaled dot-product attention, forward (Vaswani et al., 2017, as HF eager attention): for every batch b
   * and head h, with g = ⌊h/(heads/kvHeads)⌋, S = scale·q_h·k_gᵀ ([tokens, tokens]; j > i masked when causal),
   * P = softmax(S) over each row's visible keys, out_h = P·v_g. Writes the heads' outputs into `out` and each row's
   * statistics (`math/softmax.ts` ATTENTION_ROW_STATS) into rowStats; P itself is not kept.
   */
  attentionForward(shape: AttentionShape, q: HeadsView, k: HeadsView, v: HeadsView, out: HeadsView, rowStats: Float32Array): void;
  /**
   * Its backward pass from dOut (the gradient at `out`) and the forward's row statistics, P recomputed: dP = dOut_h·v_gᵀ,
   * dS = scale·P ⊙ (dP − rowsum(P ⊙ dP)), dq_h = dS·k_g, dk_g = Σ_h dSᵀ·q_h, dv_g = Σ_h Pᵀ·dOut_h (sums over the
   * heads sharing kv head g). Overwrites dq, dk and dv at their heads.
   */
  attentionBackward(shape: AttentionShape, q: HeadsView, k: HeadsView, v: HeadsView, rowStats: Float32Array, dOut: HeadsView, dq: HeadsView, dk: HeadsView, dv: HeadsView): void;
  /**
   * Rotary position embedding in place (`math/rotary.ts`: HF rotate_half) on `heads` heads of each of `rows` rows,
   * token position = row mod tokens; direction −1 rotates back (for gradients).
   */
  rotary(x: HeadsView, heads: number, headDim: number, rows: number, tokens: number, rotary: Rotary, direction: 1 | -1): void;
  /** cols[(c·kh + i)·kw + j][oy·ow + ox] ← x[c][oy·sh + i − padTop][ox·sw + j − padLeft], zero outside. */
  im2col(x: Float32Array, g: ConvGeometry, cols: Float32Array): void;
  /** The adjoint of im2col: dx[c][y][x] += every cols entry that im2col read from there. */
  col2im(cols: Float32Array, g: ConvGeometry, dx: Float32Array): void;
  /**
   * Normalizes each group (`NormGroups`): x̂ = (x − μ_g)·r_g with μ_g the group mean and r_g = 1/√(σ²_g + eps),
   * σ²_g the biased variance (`center`: batchnorm, layernorm), or x̂ = x·r_g with r_g = 1/√(mean_g(x²) + eps)
   * (not `center`: rmsnorm). Sums in float64, x̂ computed in float64 and stored in float32. With a `gain` (one float per
   * position i < length of a run), also y = x̂·gain[i] in float32. Writes r_g to `invStd` (float64, one per group).
   */
  normalize(x: Float32Array, xhat: Float32Array, y: Float32Array | null, gain: Float32Array | null, groups: NormGroups, eps: number, center: boolean, invStd: Float64Array): void;
  /**
   * The gradient of `normalize` at its input from the gradient at its output, per group: with d = dy·gain[i] (dy
   * without a gain), dx = r_g·(d − mean_g(d) − x̂·mean_g(d·x̂)) (the mean term only when `center`) (Ioffe & Szegedy,
   * 2015; for rmsnorm, Zhang & Sennrich, 2019). Sums in float64, dx stored in float32.
   */
  normalizeBackward(xhat: Float32Array, dy: Float32Array, gain: Float32Array | null, invStd: Float64Array, groups: NormGroups, center: boolean, dx: Float32Array): void;
}
