import type { Rng } from './rng';
import type { TensorMoments } from './tensorStats';

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

/**
 * The compute kernels the sampled engine needs, on row-major float32 tensors. The TypeScript reference backend
 * implements them plainly; faster backends (WebAssembly SIMD) implement the same contract and are tested against it.
 */
export interface ComputeBackend {
  readonly name: string;
  /**
   * C ← op(A)·op(B) (+ C when `accumulate`), C is m×n; op(A) is m×k (A stored k×m when `transA`); op(B) is k×n
   * (B stored n×k when `transB`). Products accumulate in float32 like BLAS sgemm.
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean): void;
  /** out[i] ← mean + std·z with z standard normal from `rng`, in order. */
  fillNormal(rng: Rng, out: Float32Array, mean: number, std: number): void;
  /** out[i] ← low + (high − low)·u with u uniform on [0, 1) from `rng`, in order. */
  fillUniform(rng: Rng, out: Float32Array, low: number, high: number): void;
  /** Moments of x in float64, two-pass (mean, then centered squares). */
  moments(x: Float32Array): TensorMoments;
  /** Counts of x in `bins` equal bins over [lo, hi]; values outside are clamped into the end bins. */
  histogram(x: Float32Array, lo: number, hi: number, bins: number): number[];
  /** cols[(c·kh + i)·kw + j][oy·ow + ox] ← x[c][oy·sh + i − padTop][ox·sw + j − padLeft], zero outside. */
  im2col(x: Float32Array, g: ConvGeometry, cols: Float32Array): void;
  /** The adjoint of im2col: dx[c][y][x] += every cols entry that im2col read from there. */
  col2im(cols: Float32Array, g: ConvGeometry, dx: Float32Array): void;
}
