import C from './fillConstants.json';
import { lowbias32 } from './rng';

/**
 * The bulk fills (`torch.nn.init.normal_` / `uniform_` of a whole tensor), defined so that they vectorize and split
 * over threads yet stay a pure function of (seed, stream, index):
 *
 * - the tensor is cut into chunks of `FILL_CHUNK` values; chunk c runs 4 independent xoshiro128** lanes whose states
 *   come from the stream key and (c, lane) through lowbias32 (`laneStates`);
 * - normal: each step, lane l draws a, b and Box–Muller turns u₁ = ((a ≫ 8) + 1)·2⁻²⁴ ∈ (0, 1] and
 *   u₂ = (b ≫ 8)·2⁻²⁴ into r·cos 2πu₂ (stored at 8·step + l) and r·sin 2πu₂ (at 8·step + 4 + l), r = √(−2 ln u₁).
 *   |z| ≤ √(48 ln 2) ≈ 5.77, so the tails beyond 5.77σ (probability 8·10⁻⁹) are cut;
 * - uniform: each step, lane l stores low + width·(a ≫ 8)·2⁻²⁴ at 4·step + l.
 *
 * Every floating-point operation is an IEEE float32 one in a fixed order (ln and sin/cos are the Cephes single-
 * precision polynomials, S. Moshier 1984–1992), so this TypeScript (via Math.fround), the WebAssembly SIMD kernels
 * (`src/engine/backend/wasm/wat/fillWat.ts`) and the NumPy oracle (`test/golden/make_golden.py`) give the same bits.
 */
export const FILL_CHUNK: number = C.CHUNK;

/** A stream's key: the first two lowbias32 steps of `Rng`'s seeding, hashing (seed, stream). */
export function streamKey(seed: number, stream: number): number {
  const h = lowbias32((seed >>> 0) ^ 0x9e3779b9);
  return lowbias32((h + Math.imul(stream >>> 0, 0x85ebca6b)) >>> 0);
}

/**
 * The xoshiro128** states of chunk c's 4 lanes, lane-major (s0 of lanes 0..3, then s1, s2, s3): for lane l,
 * h = lowbias32(key ⊕ (4c + l + 1)·0x27d4eb2f), then s_i = h ← lowbias32(h + 0x632be5ab) for i = 0..3 (never all
 * zero: lowbias32 is a bijection with lowbias32(0) = 0, so s₀ = 0 forces s₁ = lowbias32(0x632be5ab) ≠ 0).
 */
export function laneStates(key: number, chunk: number): Uint32Array {
  const s = new Uint32Array(16);
  for (let lane = 0; lane < 4; lane++) {
    let h = lowbias32((key ^ Math.imul((chunk * 4 + lane + 1) >>> 0, 0x27d4eb2f)) >>> 0);
    for (let i = 0; i < 4; i++) {
      h = lowbias32((h + 0x632be5ab) >>> 0);
      s[i * 4 + lane] = h;
    }
  }
  return s;
}

/** Advances lane `l` of lane-major states `s` (xoshiro128** 1.1) and returns its output rotl(s1·5, 7)·9. */
function next(s: Uint32Array, l: number): number {
  const s1 = s[4 + l];
  const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  const t = s1 << 9;
  s[8 + l] ^= s[l];
  s[12 + l] ^= s1;
  s[4 + l] ^= s[8 + l];
  s[l] ^= s[12 + l];
  s[8 + l] ^= t;
  s[12 + l] = rotl(s[12 + l], 11);
  return result;
}

const f = Math.fround;
const TWO_M24 = 5.9604644775390625e-8;
/** Cephes logf: ln(1 + x) ≈ x − x²/2 + x³·P(x) on [√½ − 1, √2 − 1]; ln 2 split as 0.693359375 − 2.12194440e-4. */
const LOG_POLY = C.LOG_POLY.map(f);
const LN2_HI = f(C.LN2_HI);
const LN2_LO = f(C.LN2_LO);
const SQRT2 = f(C.SQRT2);
/** Cephes sinf / cosf on [−π/4, π/4]. */
const SIN_POLY = C.SIN_POLY.map(f);
const COS_POLY = C.COS_POLY.map(f);
const HALF_PI = f(C.HALF_PI);

const bitsF = new Float32Array(1);
const bitsI = new Int32Array(bitsF.buffer);

/** ln u for float32 u in (0, 1], in float32 operations (Cephes logf with mantissa in [√½, √2)). */
export function logf(u: number): number {
  bitsF[0] = u;
  const bits = bitsI[0];
  let e = (bits >>> 23) - 127;
  bitsI[0] = (bits & 0x7fffff) | 0x3f800000;
  let m = bitsF[0];
  if (m > SQRT2) {
    m = f(m * 0.5);
    e += 1;
  }
  const x = f(m - 1);
  const z = f(x * x);
  let p = LOG_POLY[0];
  for (let i = 1; i < LOG_POLY.length; i++) p = f(f(p * x) + LOG_POLY[i]);
  let y = f(f(x * z) * p);
  y = f(y + f(e * LN2_LO));
  y = f(y - f(0.5 * z));
  return f(f(x + y) + f(e * LN2_HI));
}

/** cos 2πu and sin 2πu from the last `sincos2pi` call. */
export const sincosResult = { cos: 1, sin: 0 };

/**
 * cos 2πu and sin 2πu (into `sincosResult`) for u = k·2⁻²⁴ in [0, 1), in float32 operations: quadrant
 * q = ⌊fl(4u + ½)⌋, a = (4u − q)·π/2 ∈ [−π/4, π/4] (exact but for the π/2 product), then the Cephes polynomials and the
 * quadrant's symmetry.
 */
export function sincos2pi(u: number): void {
  const v = f(u * 4);
  // v + ½ rounded to float32 first, as the kernels and NumPy do: at v = 3.5 − 2⁻²² the sum ties and rounds up to 4.
  const q = Math.floor(f(v + 0.5));
  const a = f(f(v - q) * HALF_PI);
  const z = f(a * a);
  const sp = f(f(f(f(SIN_POLY[0] * z) + SIN_POLY[1]) * z) + SIN_POLY[2]);
  const sin = f(f(f(sp * z) * a) + a);
  const cp = f(f(f(f(COS_POLY[0] * z) + COS_POLY[1]) * z) + COS_POLY[2]);
  const cos = f(f(f(f(cp * z) * z) - f(0.5 * z)) + 1);
  const quadrant = q & 3;
  sincosResult.cos = quadrant === 0 ? cos : quadrant === 1 ? -sin : quadrant === 2 ? -cos : sin;
  sincosResult.sin = quadrant === 0 ? sin : quadrant === 1 ? cos : quadrant === 2 ? -sin : -cos;
}

/**
 * Runs `step(s, at, end)` for every step of chunks [chunk0, chunk1) of the stream: `s` the chunk's lane states, `at`
 * the step's first index in the stream (steps of `width` values), `end` where the chunk (or the stream's part held
 * in `out`, which starts at index `base`) ends.
 */
function forEachStep(key: number, out: Float32Array, base: number, chunk0: number, chunk1: number, width: number, step: (s: Uint32Array, at: number, end: number) => void): void {
  for (let c = chunk0; c < chunk1; c++) {
    const s = laneStates(key, c);
    const end = Math.min(base + out.length, (c + 1) * FILL_CHUNK);
    for (let at = c * FILL_CHUNK; at < end; at += width) step(s, at, end);
  }
}

/**
 * Values [start, start + out.length) of the normal fill of stream `key` into `out`: every value depends on its
 * index only, so a tensor can be drawn block by block (a weight streamed by rows) with the bits of the whole.
 */
export function fillNormalRange(key: number, out: Float32Array, mean: number, std: number, start: number): void {
  fillNormalChunks(key, out, mean, std, Math.floor(start / FILL_CHUNK), Math.ceil((start + out.length) / FILL_CHUNK), start);
}

/** Values [start, start + out.length) of the uniform fill of stream `key` (as `fillNormalRange`). */
export function fillUniformRange(key: number, out: Float32Array, low: number, width: number, start: number): void {
  fillUniformChunks(key, out, low, width, Math.floor(start / FILL_CHUNK), Math.ceil((start + out.length) / FILL_CHUNK), start);
}

/**
 * out[i] ← mean + std·zᵢ in float32, zᵢ the standard normals of stream `key` (see the file comment). Chunks
 * [chunk0, chunk1) only, so that callers can split a tensor between threads; `out` holds the stream from index `base`.
 */
export function fillNormalChunks(key: number, out: Float32Array, mean: number, std: number, chunk0 = 0, chunk1 = Math.ceil(out.length / FILL_CHUNK), base = 0): void {
  const m = f(mean), sd = f(std);
  forEachStep(key, out, base, chunk0, chunk1, 8, (s, at, end) => {
    for (let l = 0; l < 4; l++) {
      const u1 = ((next(s, l) >>> 8) + 1) * TWO_M24;
      const u2 = (next(s, l) >>> 8) * TWO_M24;
      const r = f(Math.sqrt(f(logf(u1) * -2)));
      sincos2pi(u2);
      if (at + l < end && at + l >= base) out[at + l - base] = f(m + f(sd * f(r * sincosResult.cos)));
      if (at + 4 + l < end && at + 4 + l >= base) out[at + 4 + l - base] = f(m + f(sd * f(r * sincosResult.sin)));
    }
  });
}

/** out[i] ← low + width·uᵢ in float32, uᵢ the uniforms on [0, 1) of stream `key`; chunks [chunk0, chunk1) only. */
export function fillUniformChunks(key: number, out: Float32Array, low: number, width: number, chunk0 = 0, chunk1 = Math.ceil(out.length / FILL_CHUNK), base = 0): void {
  const lo = f(low), w = f(width);
  forEachStep(key, out, base, chunk0, chunk1, 4, (s, at, end) => {
    for (let l = 0; l < 4; l++) {
      const u = (next(s, l) >>> 8) * TWO_M24;
      if (at + l < end && at + l >= base) out[at + l - base] = f(lo + f(w * u));
    }
  });
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
