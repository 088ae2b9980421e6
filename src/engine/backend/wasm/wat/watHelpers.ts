import { kernel, MOMENTS_SLOT, type KernelName } from '../kernelAbi';

// The WAT building blocks the kernel generators share: each returns WebAssembly text (folded s-expressions) for an
// expression or a statement; names are locals or parameters, written without their `$`.

/** `(local.get $n)`. */
export function get(n: string): string {
  return `(local.get $${n})`;
}
/** `(local.set $n x)`. */
export function set(n: string, x: string): string {
  return `(local.set $${n} ${x})`;
}
/** An i32 constant (a number, or hexadecimal text). */
export function i32(n: number | string): string {
  return `(i32.const ${n})`;
}
/** i32 a + b. */
export function add(a: string, b: string): string {
  return `(i32.add ${a} ${b})`;
}
/** i32 a − b. */
export function sub(a: string, b: string): string {
  return `(i32.sub ${a} ${b})`;
}
/** i32 a·b. */
export function mul(a: string, b: string): string {
  return `(i32.mul ${a} ${b})`;
}
/** f32x4 a + b. */
export function fadd(a: string, b: string): string {
  return `(f32x4.add ${a} ${b})`;
}
/** f32x4 a − b. */
export function fsub(a: string, b: string): string {
  return `(f32x4.sub ${a} ${b})`;
}
/** f32x4 a·b. */
export function fmul(a: string, b: string): string {
  return `(f32x4.mul ${a} ${b})`;
}
/** The float32 x in all four lanes (f32.const rounds x as Math.fround does). */
export function f32Splat(x: number | string): string {
  return `(f32x4.splat (f32.const ${x}))`;
}

/** The declarations of locals `names`, all of one type. */
export function locals(type: 'i32' | 'f32' | 'f64' | 'v128', names: readonly string[]): string {
  return names.map((n) => `(local $${n} ${type})`).join(' ');
}

/** `(func (export "name") (param $p i32) …`, from the kernel's declaration in kernelAbi.ts (the caller closes it). */
export function kernelHeader(name: KernelName): string {
  return `(func (export "${name}") ${kernel(name).params.map((p) => `(param $${p.name} ${p.type})`).join(' ')}`;
}

/**
 * A loop that runs `body` while `exit` is false (tested first): `(block $labelDone (loop $label (br_if $labelDone
 * exit) body (br $label)))`.
 */
export function whileLoop(label: string, exit: string, body: string): string {
  return `(block $${label}Done (loop $${label}
      (br_if $${label}Done ${exit})
      ${body}
      (br $${label})))`;
}

/** The byte just past n floats from byte `base`: base + 4n. */
export function floatsEnd(base: string, n: string): string {
  return `(i32.add ${base} (i32.shl ${n} (i32.const 2)))`;
}
/** The byte just past the whole blocks of `block` floats (a power of two) among n floats from `base`: base + 4·(n − n mod block). */
export function blocksEnd(base: string, n: string, block: number): string {
  return `(i32.add ${base} (i32.shl (i32.and ${n} (i32.const ${-block})) (i32.const 2)))`;
}

/**
 * Polynomial c₀xᵏ + … + c_k by Horner's rule in f32x4, in the order fill.ts and the Cephes functions use:
 * ((c₀·x + c₁)·x + …) + c_k; `constant` makes each coefficient's vector (a splat, or a hoisted local).
 */
export function horner(coefficients: readonly number[], x: string, constant: (c: number) => string = f32Splat): string {
  return coefficients.slice(1).reduce((p, c) => fadd(fmul(p, x), constant(c)), constant(coefficients[0]));
}

/** Cephes expf's polynomial for e^r on [−ln 2/2, ln 2/2], highest power first (S. Moshier, Cephes Math Library). */
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

/**
 * Statements computing e^x on f32x4 local `x` in place, as Cephes expf: x = n·ln 2 + r (ln 2 in two parts), e^r by
 * its degree-6 polynomial, 2ⁿ from the exponent bits; the argument clamped to [−87, 88]. Within a few float32 ulps
 * of e^x. `n` and `r` are f32x4 locals it uses.
 */
export function expf(x: string, n: string, r: string): string {
  return [
    // pmin/pmax (one instruction each; wasm's min/max take several): NaN stays NaN, being the first operand.
    set(x, `(f32x4.pmax (f32x4.pmin ${get(x)} ${f32Splat(88)}) ${f32Splat(-87)})`),
    set(n, `(f32x4.floor ${fadd(fmul(get(x), f32Splat(Math.LOG2E)), f32Splat(0.5))})`),
    set(r, fsub(fsub(get(x), fmul(get(n), f32Splat(0.693359375))), fmul(get(n), f32Splat(-2.12194440e-4)))),
    set(x, fadd(fadd(fmul(horner(EXP_POLY, get(r)), fmul(get(r), get(r))), get(r)), f32Splat(1))),
    // 2ⁿ: n + 127 is a small whole number, so adding 2²³ puts it in the low mantissa bits, which the shift moves
    // into the exponent (cheaper than a saturating truncation).
    set(x, fmul(get(x), `(i32x4.shl ${fadd(get(n), f32Splat(8388608 + 127))} (i32.const 23))`)),
  ].join('\n');
}

/** v128 x with its high and low 8 bytes swapped (lanes 2, 3 of a f32x4 moved to 0, 1). */
export function highHalf(x: string): string {
  return `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${x} ${x})`;
}
/** The four floats of f32x4 x as two f64x2: lanes 0, 1 then lanes 2, 3. */
export function promoteHalves(x: string): [string, string] {
  return [`(f64x2.promote_low_f32x4 ${x})`, `(f64x2.promote_low_f32x4 ${highHalf(x)})`];
}
/** The four lanes of f32x4 x, as f32 expressions. */
export function f32Lanes(x: string): string[] {
  return [0, 1, 2, 3].map((l) => `(f32x4.extract_lane ${l} ${x})`);
}
/** Lane 0 + lane 1 of f64x2 x. */
export function f64LaneSum(x: string): string {
  return `(f64.add (f64x2.extract_lane 0 ${x}) (f64x2.extract_lane 1 ${x}))`;
}
/** ((lane 0 + lane 1) + lane 2) + lane 3 of i32x4 x. */
export function i32LaneSum(x: string): string {
  return [0, 1, 2, 3].map((l) => `(i32x4.extract_lane ${l} ${x})`).reduce((a, b) => `(i32.add ${a} ${b})`);
}

/** Statements folding the lanes of f32x4 `vector` into f32 local `into`: the smallest (`lt`) or largest (`gt`), NaN lanes skipped. */
export function foldLanes(compare: 'lt' | 'gt', vector: string, into: string): string {
  return f32Lanes(vector).map((l) => `(if (f32.${compare} ${l} ${get(into)}) (then ${set(into, l)}))`).join(' ');
}

/** Sets f64 local `n` to 0 unless it is finite (x − x is 0 only for finite x). */
export function zeroUnlessFinite(n: string): string {
  return `(if (f64.ne (f64.sub ${get(n)} ${get(n)}) (f64.const 0)) (then ${set(n, '(f64.const 0)')}))`;
}

/** `offset=k ` for a memory access at constant offset k ≠ 0, nothing for 0. */
export function offset(k: number): string {
  return (k ? `offset=${k} ` : '');
}

/**
 * Stores moments at `res` (a MOMENTS_SLOT) from f64 locals: values shifted by `shift` summing to `sum` with squares
 * summing to `squares`, over `count` values: mean = shift + sum/count, M2 = squares − sum²/count; min and max from f32 locals.
 */
export function storeMoments(res: string, n: { shift: string; sum: string; squares: string; count: string; min: string; max: string }): string {
  const [shift, sum, squares, count] = [get(n.shift), get(n.sum), get(n.squares), get(n.count)];
  return `(f64.store ${offset(MOMENTS_SLOT.mean)}${res} (f64.add ${shift} (f64.div ${sum} ${count})))
    (f64.store ${offset(MOMENTS_SLOT.m2)}${res} (f64.sub ${squares} (f64.div (f64.mul ${sum} ${sum}) ${count})))
    (f32.store ${offset(MOMENTS_SLOT.min)}${res} ${get(n.min)}) (f32.store ${offset(MOMENTS_SLOT.max)}${res} ${get(n.max)})`;
}
