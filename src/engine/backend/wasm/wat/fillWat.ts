import FILL from '../../../random/fillConstants.json';
import { type KernelName } from '../kernelAbi';
import { f32Splat, fadd, floatsEnd, fmul, fsub, get, horner, i32, kernelHeader, locals, offset, set, whileLoop } from './watHelpers';

// The bulk fills of src/engine/random/fill.ts (see there for the definition; contracts in kernelAbi.ts), four
// xoshiro128** lanes in one i32x4. Every float operation is the same float32 operation, in the same order, as in
// fill.ts, so both give the same bits. The constants are shared with fill.ts and the NumPy oracle (fillConstants.json).

// Steps per turn of the main loop: two independent steps in flight run 1.3× faster than one (measured on V8 11.3).
const UNROLL = 2;

/**
 * Vector constants, hoisted into locals set once per call (V8 would otherwise rebuild a splat at every use): each
 * distinct splat gets a local k0, k1, … in order of first use, and every fill kernel declares them all.
 */
class VectorConstants {
  readonly names = new Map<string, string>();

  /** `(local.get $kN)` holding the value of `expr`. */
  private constant(expr: string): string {
    if (!this.names.has(expr)) this.names.set(expr, `k${this.names.size}`);
    return get(this.names.get(expr)!);
  }

  /** The i32 x (a number or hexadecimal text) in all four lanes. */
  readonly i = (x: number | string): string => this.constant(`(i32x4.splat ${i32(x)})`);
  /** The float32 x in all four lanes. */
  readonly f = (x: number): string => this.constant(f32Splat(x));
}

const rotl = (x: string, k: number): string => `(v128.or (i32x4.shl ${x} (i32.const ${k})) (i32x4.shr_u ${x} (i32.const ${32 - k})))`;

/** lowbias32 on each lane of local `x`, in place. */
const lowbias = (k: VectorConstants, x: string): string => [
  set(x, `(v128.xor ${get(x)} (i32x4.shr_u ${get(x)} (i32.const 16)))`),
  set(x, `(i32x4.mul ${get(x)} ${k.i('0x7feb352d')})`),
  set(x, `(v128.xor ${get(x)} (i32x4.shr_u ${get(x)} (i32.const 15)))`),
  set(x, `(i32x4.mul ${get(x)} ${k.i('0x846ca68b')})`),
  set(x, `(v128.xor ${get(x)} (i32x4.shr_u ${get(x)} (i32.const 16)))`),
].join('\n');

/** The lane states of chunk $c (fill.ts `laneStates`). */
const seedLanes = (k: VectorConstants): string => [
  set('h', `(i32x4.add (i32x4.splat (i32.add (i32.shl ${get('c')} (i32.const 2)) (i32.const 1))) (v128.const i32x4 0 1 2 3))`),
  set('h', `(v128.xor (i32x4.splat ${get('key')}) (i32x4.mul ${get('h')} ${k.i('0x27d4eb2f')}))`),
  lowbias(k, 'h'),
  ...['s0', 's1', 's2', 's3'].flatMap((s) => [set('h', `(i32x4.add ${get('h')} ${k.i('0x632be5ab')})`), lowbias(k, 'h'), set(s, get('h'))]),
].join('\n');

/** One xoshiro128** step on every lane; the output goes to local `into`. */
const next = (into: string): string => [
  // s1·5 = (s1 ≪ 2) + s1 and r·9 = (r ≪ 3) + r: shifts and adds instead of the slower i32x4.mul.
  set('t', `(i32x4.add (i32x4.shl ${get('s1')} (i32.const 2)) ${get('s1')})`),
  set(into, rotl(get('t'), 7)),
  set(into, `(i32x4.add (i32x4.shl ${get(into)} (i32.const 3)) ${get(into)})`),
  set('t', `(i32x4.shl ${get('s1')} (i32.const 9))`),
  set('s2', `(v128.xor ${get('s2')} ${get('s0')})`),
  set('s3', `(v128.xor ${get('s3')} ${get('s1')})`),
  set('s1', `(v128.xor ${get('s1')} ${get('s2')})`),
  set('s0', `(v128.xor ${get('s0')} ${get('s3')})`),
  set('s2', `(v128.xor ${get('s2')} ${get('t')})`),
  set('s3', rotl(get('s3'), 11)),
].join('\n');

/** ln of local `u` (float32 lanes in (0, 1]) into local `ln` (fill.ts `logf`). */
const log = (k: VectorConstants): string => [
  set('e', `(i32x4.sub (i32x4.shr_u ${get('u')} (i32.const 23)) ${k.i(127)})`),
  set('m', `(v128.or (v128.and ${get('u')} ${k.i('0x7fffff')}) ${k.i('0x3f800000')})`),
  set('mask', `(f32x4.gt ${get('m')} ${k.f(FILL.SQRT2)})`),
  set('m', `(v128.bitselect ${fmul(get('m'), k.f(0.5))} ${get('m')} ${get('mask')})`),
  set('e', `(i32x4.sub ${get('e')} ${get('mask')})`),
  set('x', fsub(get('m'), k.f(1))),
  set('z', fmul(get('x'), get('x'))),
  set('y', fmul(fmul(get('x'), get('z')), horner(FILL.LOG_POLY, get('x'), k.f))),
  set('ef', `(f32x4.convert_i32x4_s ${get('e')})`),
  set('y', fadd(get('y'), fmul(get('ef'), k.f(FILL.LN2_LO)))),
  set('y', fsub(get('y'), fmul(k.f(0.5), get('z')))),
  set('ln', fadd(fadd(get('x'), get('y')), fmul(get('ef'), k.f(FILL.LN2_HI)))),
].join('\n');

/** cos and sin of 2π·(local `u`) into locals `cos`, `sin` (fill.ts `sincos2pi`). */
const sincos = (k: VectorConstants): string => [
  set('x', fmul(get('u'), k.f(4))),
  set('q', `(f32x4.floor ${fadd(get('x'), k.f(0.5))})`),
  set('x', fmul(fsub(get('x'), get('q')), k.f(FILL.HALF_PI))),
  set('z', fmul(get('x'), get('x'))),
  set('sin', fadd(fmul(fmul(horner(FILL.SIN_POLY, get('z'), k.f), get('z')), get('x')), get('x'))),
  set('cos', fadd(fsub(fmul(fmul(horner(FILL.COS_POLY, get('z'), k.f), get('z')), get('z')), fmul(k.f(0.5), get('z'))), k.f(1))),
  // q is a small whole number: adding 2²³ puts it in the low mantissa bits (cheaper than a saturating truncation).
  set('e', `(v128.and (f32x4.add ${get('q')} ${k.f(8388608)}) ${k.i(7)})`),
  // Odd quadrants swap sin and cos; cos is negated in quadrants 1 and 2, sin in 2 and 3.
  set('mask', `(i32x4.ne (v128.and ${get('e')} ${k.i(1)}) ${k.i(0)})`),
  set('y', `(v128.bitselect ${get('sin')} ${get('cos')} ${get('mask')})`),
  set('sin', `(v128.bitselect ${get('cos')} ${get('sin')} ${get('mask')})`),
  set('cos', `(v128.xor ${get('y')} (i32x4.shl (v128.and (i32x4.add ${get('e')} ${k.i(1)}) ${k.i(2)}) (i32.const 30)))`),
  set('sin', `(v128.xor ${get('sin')} (i32x4.shl (v128.and ${get('e')} ${k.i(2)}) (i32.const 30)))`),
].join('\n');

/** (uint32 lanes of local `r` ≫ 8 [+ 1])·2⁻²⁴ into local `u` (the integers are below 2²⁵: a signed conversion is exact). */
const toUnit = (k: VectorConstants, plusOne: boolean): string =>
  set('u', fmul(`(f32x4.convert_i32x4_s ${plusOne ? `(i32x4.add (i32x4.shr_u ${get('r')} (i32.const 8)) ${k.i(1)})` : `(i32x4.shr_u ${get('r')} (i32.const 8))`})`, k.f(2 ** -24)));

/**
 * A chunked fill kernel: `seed` sets the lane states of chunk c, `step` computes one step's values into locals `o0`
 * (and `o1`), `width` floats per step (8 for normal, 4 for uniform); pa and pb hold the kernel's two float parameters
 * (aBits, bBits) in every lane.
 */
function fillKernel(name: Extract<KernelName, 'fill_normal' | 'fill_uniform'>, seed: string, step: string, width: 4 | 8, k: VectorConstants): string {
  const vecs = ['s0', 's1', 's2', 's3', 't', 'h', 'r', 'u', 'e', 'm', 'mask', 'x', 'y', 'z', 'ef', 'ln', 'q', 'sin', 'cos', 'rad', 'o0', 'o1', 'pa', 'pb'];
  const bytes = width * 4;
  const storeAt = (ptr: string, at: number): string => (width === 8
    ? `(v128.store ${offset(at)}${get(ptr)} ${get('o0')}) (v128.store ${offset(at + 16)}${get(ptr)} ${get('o1')})`
    : `(v128.store ${offset(at)}${get(ptr)} ${get('o0')})`);
  return `
  ${kernelHeader(name)}
    ${locals('i32', ['c', 'p', 'end', 'last'])} ${locals('v128', vecs)}
    ${locals('v128', [...k.names.values()])}
    ${[...k.names].map(([expr, n]) => set(n, expr)).join(' ')}
    ${set('pa', `(f32x4.splat (f32.reinterpret_i32 ${get('aBits')}))`)}
    ${set('pb', `(f32x4.splat (f32.reinterpret_i32 ${get('bBits')}))`)}
    ${set('last', floatsEnd(get('out'), get('n')))}
    ${set('c', get('chunk0'))}
    ${whileLoop('chunks', `(i32.ge_u ${get('c')} ${get('chunk1')})`, `
      ${seed}
      ${set('p', `(i32.add ${get('out')} (i32.mul ${get('c')} (i32.const ${FILL.CHUNK * 4})))`)}
      ${set('end', `(i32.add ${get('p')} (i32.const ${FILL.CHUNK * 4}))`)}
      (if (i32.gt_u ${get('end')} ${get('last')}) (then ${set('end', get('last'))}))
      ;; UNROLL steps a turn while they fit (more independent work in flight), then one at a time
      ${whileLoop('pairs', `(i32.lt_u (i32.sub ${get('end')} ${get('p')}) (i32.const ${UNROLL * bytes}))`, `
        ${Array.from({ length: UNROLL }, (_, u) => `${step}\n${storeAt('p', u * bytes)}`).join('\n')}
        ${set('p', `(i32.add ${get('p')} (i32.const ${UNROLL * bytes}))`)}`)}
      ${whileLoop('steps', `(i32.ge_u ${get('p')} ${get('end')})`, `
        ${step}
        (if (i32.ge_u (i32.sub ${get('end')} ${get('p')}) (i32.const ${bytes}))
          (then ${storeAt('p', 0)})
          (else ${storeAt('scratch', 0)} (memory.copy ${get('p')} ${get('scratch')} (i32.sub ${get('end')} ${get('p')}))))
        ${set('p', `(i32.add ${get('p')} (i32.const ${bytes}))`)}`)}
      ${set('c', `(i32.add ${get('c')} (i32.const 1))`)}`)})`;
}

/** The two fill kernels as WAT module fields, by name; they share one set of hoisted constants. */
export function fillKernels(): Record<Extract<KernelName, 'fill_normal' | 'fill_uniform'>, string> {
  const k = new VectorConstants();
  // Built in this order, so that the constants get their locals in the order of the original generator.
  const seed = seedLanes(k), ln = log(k), trig = sincos(k);
  const normal = [
    next('r'), toUnit(k, true), ln,
    set('rad', `(f32x4.sqrt ${fmul(get('ln'), k.f(-2))})`),
    next('r'), toUnit(k, false), trig,
    // pa = mean, pb = std.
    set('o0', fadd(get('pa'), fmul(get('pb'), fmul(get('rad'), get('cos'))))),
    set('o1', fadd(get('pa'), fmul(get('pb'), fmul(get('rad'), get('sin'))))),
  ].join('\n');
  // pa = low, pb = width.
  const uniform = [next('r'), toUnit(k, false), set('o0', fadd(get('pa'), fmul(get('pb'), get('u'))))].join('\n');
  return { fill_normal: fillKernel('fill_normal', seed, normal, 8, k), fill_uniform: fillKernel('fill_uniform', seed, uniform, 4, k) };
}
