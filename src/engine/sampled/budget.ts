// The limits of a sampled run, in a module of their own: the CLI sizes the kernels' memory from MAX_BUDGET before the
// rest of the engine is loaded (src/kernels/startKernels.ts).

/** Limits on a sampled run; above either, the run is refused and only the analytic prediction is given. */
export interface Budget {
  /** Floating-point operations of one forward pass plus weight generation (orthogonal QR included). */
  flops: number;
  /** Peak bytes held at once. */
  bytes: number;
}

/** The default budget of a sampled run: 8 GFLOP per forward pass and 1 GiB held at once (the CLI's and panel's). */
export const DEFAULT_BUDGET: Budget = { flops: 8e9, bytes: 1024 ** 3 };
/**
 * The largest budget a caller may set. Memory: the WebAssembly kernels address at most 4 GiB (65,536 pages), which
 * must also hold their first page, the im2col scratch and the heap's fragmentation, so a run may plan for 3 GiB.
 * FLOPs: 1,000 GFLOP per forward pass, some 15 s of the kernels on 2 cores; past it a run is better refused.
 */
export const MAX_BUDGET: Budget = { flops: 1e12, bytes: 3 * 1024 ** 3 };
