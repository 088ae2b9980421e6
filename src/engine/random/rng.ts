/**
 * The engine's scalar generator, one value at a time (dropout masks, truncated normals by inversion, orthogonal
 * init; whole tensors come from the chunked bulk fills of `fill.ts`, seeded the same way): xoshiro128** (Blackman &
 * Vigna, 2018) seeded through the lowbias32 integer hash (C. Wellons), so that every stream is a pure function of
 * (seed, stream id). Streams let a layer's weights be regenerated for the backward pass without keeping them, and make
 * runs bit-for-bit reproducible. `test/golden/make_golden.py` re-implements exactly this generator in NumPy.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The second Box–Muller normal of the last pair, not yet handed out. */
  private spare = NaN;

  /** A generator for stream `stream` of run seed `seed` (both taken modulo 2³²). */
  constructor(seed: number, stream: number) {
    let h = lowbias32((seed >>> 0) ^ 0x9e3779b9);
    h = lowbias32((h + Math.imul(stream >>> 0, 0x85ebca6b)) >>> 0);
    this.s0 = h = lowbias32((h + 0x632be5ab) >>> 0);
    this.s1 = h = lowbias32((h + 0x632be5ab) >>> 0);
    this.s2 = h = lowbias32((h + 0x632be5ab) >>> 0);
    this.s3 = h = lowbias32((h + 0x632be5ab) >>> 0);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer: xoshiro128** 1.1, result = rotl(s1·5, 7)·9. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on [0, 1) with 24-bit resolution (exact in float32): (u >>> 8)·2⁻²⁴. */
  uniform(): number {
    return (this.nextUint32() >>> 8) * 5.9604644775390625e-8;
  }

  /**
   * Standard normal by Marsaglia's polar method: u, v = x/2³¹ − 1 from two draws, rejected unless
   * 0 < s = u² + v² < 1, then z₀ = u·√(−2 ln s / s) and z₁ = v·√(−2 ln s / s). Pairs are consumed in order (z₀ first).
   */
  normal(): number {
    if (this.spare === this.spare) {
      const z = this.spare;
      this.spare = NaN;
      return z;
    }
    let u: number, v: number, s: number;
    do {
      u = this.nextUint32() * 4.656612873077393e-10 - 1;
      v = this.nextUint32() * 4.656612873077393e-10 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }
}

/** Stream ids: one family per purpose, so no two purposes ever share a sequence. */
export const Stream = {
  input: 0xfffffff0,
  upstreamGradient: 0xfffffff1,
  /** Weights of the layer with execution index i. */
  weight: (i: number): number => (i * 4 + 1) >>> 0,
  bias: (i: number): number => (i * 4 + 2) >>> 0,
  dropout: (i: number): number => (i * 4 + 3) >>> 0,
  /** Target token ids of an output head's loss. */
  targets: 0xfffffff2,
  /** Weight p of a layer with several (attention q, k, v, o = 0..3; a gated MLP's gate, up, down = 0..2). */
  partWeight: (i: number, p: number): number => (0x80000000 + i * 16 + 2 * p) >>> 0,
  partBias: (i: number, p: number): number => (0x80000000 + i * 16 + 2 * p + 1) >>> 0,
} as const;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** lowbias32 integer hash (C. Wellons, "Prospecting for Hash Functions", 2018). */
export function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}
