// WAT for the bulk fills of src/engine/random/fill.ts, four xoshiro128** lanes in one i32x4 (see that file for the
// definition). Every float operation is the same float32 operation, in the same order, as in fill.ts, so both give
// the same bits. Kernels (all arguments i32, floats passed as their bits, so that the thread pool can hand them over):
//   fill_normal(out, n, key, chunk0, chunk1, meanBits, stdBits, scratch)
//   fill_uniform(out, n, key, chunk0, chunk1, lowBits, widthBits, scratch)
// write chunks [chunk0, chunk1) of a tensor of n floats at byte `out`; `scratch` is 32 bytes of this thread's own for
// the last, partial step.
'use strict';

// The constants are shared with src/engine/random/fill.ts and the NumPy oracle; f32.const rounds them as Math.fround does.
const FILL = require('../../src/engine/random/fillConstants.json');

const v = (n) => `(local.get $${n})`;
// Steps per turn of the main loop: two independent steps in flight run 1.3× faster than one (measured on V8 11.3).
const UNROLL = 2;
const set = (n, x) => `(local.set $${n} ${x})`;
/** Vector constants, hoisted into locals set once per call (V8 would otherwise rebuild a splat at every use). */
const constants = new Map();
const constant = (expr) => {
  if (!constants.has(expr)) constants.set(expr, `k${constants.size}`);
  return `(local.get $${constants.get(expr)})`;
};
const splatI = (x) => constant(`(i32x4.splat (i32.const ${x}))`);
const splatF = (x) => constant(`(f32x4.splat (f32.const ${x}))`);
const fmul = (a, b) => `(f32x4.mul ${a} ${b})`;
const fadd = (a, b) => `(f32x4.add ${a} ${b})`;
const fsub = (a, b) => `(f32x4.sub ${a} ${b})`;
const rotl = (x, k) => `(v128.or (i32x4.shl ${x} (i32.const ${k})) (i32x4.shr_u ${x} (i32.const ${32 - k})))`;

/** lowbias32 on each lane of local `x`, in place. */
const lowbias = (x) => [
  set(x, `(v128.xor ${v(x)} (i32x4.shr_u ${v(x)} (i32.const 16)))`),
  set(x, `(i32x4.mul ${v(x)} ${splatI('0x7feb352d')})`),
  set(x, `(v128.xor ${v(x)} (i32x4.shr_u ${v(x)} (i32.const 15)))`),
  set(x, `(i32x4.mul ${v(x)} ${splatI('0x846ca68b')})`),
  set(x, `(v128.xor ${v(x)} (i32x4.shr_u ${v(x)} (i32.const 16)))`),
].join('\n');

/** The lane states of chunk $c (fill.ts `laneStates`). */
const seedLanes = [
  set('h', `(i32x4.add (i32x4.splat (i32.add (i32.shl ${v('c')} (i32.const 2)) (i32.const 1))) (v128.const i32x4 0 1 2 3))`),
  set('h', `(v128.xor (i32x4.splat ${v('key')}) (i32x4.mul ${v('h')} ${splatI('0x27d4eb2f')}))`),
  lowbias('h'),
  ...['s0', 's1', 's2', 's3'].flatMap((s) => [set('h', `(i32x4.add ${v('h')} ${splatI('0x632be5ab')})`), lowbias('h'), set(s, v('h'))]),
].join('\n');

/** One xoshiro128** step on every lane; the output goes to local `into`. */
const next = (into) => [
  // s1·5 = (s1 ≪ 2) + s1 and r·9 = (r ≪ 3) + r: shifts and adds instead of the slower i32x4.mul.
  set('t', `(i32x4.add (i32x4.shl ${v('s1')} (i32.const 2)) ${v('s1')})`),
  set(into, rotl(v('t'), 7)),
  set(into, `(i32x4.add (i32x4.shl ${v(into)} (i32.const 3)) ${v(into)})`),
  set('t', `(i32x4.shl ${v('s1')} (i32.const 9))`),
  set('s2', `(v128.xor ${v('s2')} ${v('s0')})`),
  set('s3', `(v128.xor ${v('s3')} ${v('s1')})`),
  set('s1', `(v128.xor ${v('s1')} ${v('s2')})`),
  set('s0', `(v128.xor ${v('s0')} ${v('s3')})`),
  set('s2', `(v128.xor ${v('s2')} ${v('t')})`),
  set('s3', rotl(v('s3'), 11)),
].join('\n');

const horner = (coefficients, x) => coefficients.slice(1).reduce((p, c) => fadd(fmul(p, x), splatF(c)), splatF(coefficients[0]));

/** ln of local `u` (float32 lanes in (0, 1]) into local `ln` (fill.ts `logf`). */
const log = [
  set('e', `(i32x4.sub (i32x4.shr_u ${v('u')} (i32.const 23)) ${splatI(127)})`),
  set('m', `(v128.or (v128.and ${v('u')} ${splatI('0x7fffff')}) ${splatI('0x3f800000')})`),
  set('mask', `(f32x4.gt ${v('m')} ${splatF(FILL.SQRT2)})`),
  set('m', `(v128.bitselect ${fmul(v('m'), splatF(0.5))} ${v('m')} ${v('mask')})`),
  set('e', `(i32x4.sub ${v('e')} ${v('mask')})`),
  set('x', fsub(v('m'), splatF(1))),
  set('z', fmul(v('x'), v('x'))),
  set('y', fmul(fmul(v('x'), v('z')), horner(FILL.LOG_POLY, v('x')))),
  set('ef', `(f32x4.convert_i32x4_s ${v('e')})`),
  set('y', fadd(v('y'), fmul(v('ef'), splatF(FILL.LN2_LO)))),
  set('y', fsub(v('y'), fmul(splatF(0.5), v('z')))),
  set('ln', fadd(fadd(v('x'), v('y')), fmul(v('ef'), splatF(FILL.LN2_HI)))),
].join('\n');

/** cos and sin of 2π·(local `u`) into locals `cos`, `sin` (fill.ts `sincos2pi`). */
const sincos = [
  set('x', fmul(v('u'), splatF(4))),
  set('q', `(f32x4.floor ${fadd(v('x'), splatF(0.5))})`),
  set('x', fmul(fsub(v('x'), v('q')), splatF(FILL.HALF_PI))),
  set('z', fmul(v('x'), v('x'))),
  set('sin', fadd(fmul(fmul(horner(FILL.SIN_POLY, v('z')), v('z')), v('x')), v('x'))),
  set('cos', fadd(fsub(fmul(fmul(horner(FILL.COS_POLY, v('z')), v('z')), v('z')), fmul(splatF(0.5), v('z'))), splatF(1))),
  // q is a small whole number: adding 2²³ puts it in the low mantissa bits (cheaper than a saturating truncation).
  set('e', `(v128.and (f32x4.add ${v('q')} ${splatF(8388608)}) ${splatI(7)})`),
  // Odd quadrants swap sin and cos; cos is negated in quadrants 1 and 2, sin in 2 and 3.
  set('mask', `(i32x4.ne (v128.and ${v('e')} ${splatI(1)}) ${splatI(0)})`),
  set('y', `(v128.bitselect ${v('sin')} ${v('cos')} ${v('mask')})`),
  set('sin', `(v128.bitselect ${v('cos')} ${v('sin')} ${v('mask')})`),
  set('cos', `(v128.xor ${v('y')} (i32x4.shl (v128.and (i32x4.add ${v('e')} ${splatI(1)}) ${splatI(2)}) (i32.const 30)))`),
  set('sin', `(v128.xor ${v('sin')} (i32x4.shl (v128.and ${v('e')} ${splatI(2)}) (i32.const 30)))`),
].join('\n');

/** (uint32 lanes of local `r` ≫ 8 [+ 1])·2⁻²⁴ into local `u` (the integers are below 2²⁵: a signed conversion is exact). */
const toUnit = (plusOne) => set('u', fmul(`(f32x4.convert_i32x4_s ${plusOne ? `(i32x4.add (i32x4.shr_u ${v('r')} (i32.const 8)) ${splatI(1)})` : `(i32x4.shr_u ${v('r')} (i32.const 8))`})`, splatF(2 ** -24)));

/**
 * A chunked fill kernel: `step` computes one step's values into locals `o0` (and `o1`), `width` floats per step
 * (8 for normal, 4 for uniform).
 */
function fillKernel(name, step, width) {
  const vecs = ['s0', 's1', 's2', 's3', 't', 'h', 'r', 'u', 'e', 'm', 'mask', 'x', 'y', 'z', 'ef', 'ln', 'q', 'sin', 'cos', 'rad', 'o0', 'o1', 'pa', 'pb'];
  const bytes = width * 4;
  const store = width === 8
    ? `(v128.store ${v('p')} ${v('o0')}) (v128.store offset=16 ${v('p')} ${v('o1')})`
    : `(v128.store ${v('p')} ${v('o0')})`;
  const storeAt = (offset) => (width === 8
    ? `(v128.store offset=${offset} ${v('p')} ${v('o0')}) (v128.store offset=${offset + 16} ${v('p')} ${v('o1')})`
    : `(v128.store offset=${offset} ${v('p')} ${v('o0')})`);
  const storeScratch = width === 8
    ? `(v128.store ${v('scratch')} ${v('o0')}) (v128.store offset=16 ${v('scratch')} ${v('o1')})`
    : `(v128.store ${v('scratch')} ${v('o0')})`;
  return `
  (func (export "${name}") (param $out i32) (param $n i32) (param $key i32) (param $chunk0 i32) (param $chunk1 i32) (param $aBits i32) (param $bBits i32) (param $scratch i32)
    (local $c i32) (local $p i32) (local $end i32) (local $last i32) ${vecs.map((n) => `(local $${n} v128)`).join(' ')}
    ${[...constants.values()].map((n) => `(local $${n} v128)`).join(' ')}
    ${[...constants].map(([expr, n]) => set(n, expr)).join(' ')}
    ${set('pa', `(f32x4.splat (f32.reinterpret_i32 ${v('aBits')}))`)}
    ${set('pb', `(f32x4.splat (f32.reinterpret_i32 ${v('bBits')}))`)}
    ${set('last', `(i32.add ${v('out')} (i32.shl ${v('n')} (i32.const 2)))`)}
    ${set('c', v('chunk0'))}
    (block $chunksDone (loop $chunks
      (br_if $chunksDone (i32.ge_u ${v('c')} ${v('chunk1')}))
      ${seedLanes}
      ${set('p', `(i32.add ${v('out')} (i32.mul ${v('c')} (i32.const ${FILL.CHUNK * 4})))`)}
      ${set('end', `(i32.add ${v('p')} (i32.const ${FILL.CHUNK * 4}))`)}
      (if (i32.gt_u ${v('end')} ${v('last')}) (then ${set('end', v('last'))}))
      ;; UNROLL steps a turn while they fit (more independent work in flight), then one at a time
      (block $pairsDone (loop $pairs
        (br_if $pairsDone (i32.lt_u (i32.sub ${v('end')} ${v('p')}) (i32.const ${UNROLL * bytes})))
        ${Array.from({ length: UNROLL }, (_, k) => `${step}\n${storeAt(k * bytes)}`).join('\n')}
        ${set('p', `(i32.add ${v('p')} (i32.const ${UNROLL * bytes}))`)}
        (br $pairs)))
      (block $stepsDone (loop $steps
        (br_if $stepsDone (i32.ge_u ${v('p')} ${v('end')}))
        ${step}
        (if (i32.ge_u (i32.sub ${v('end')} ${v('p')}) (i32.const ${bytes}))
          (then ${store})
          (else ${storeScratch} (memory.copy ${v('p')} ${v('scratch')} (i32.sub ${v('end')} ${v('p')}))))
        ${set('p', `(i32.add ${v('p')} (i32.const ${bytes}))`)}
        (br $steps)))
      ${set('c', `(i32.add ${v('c')} (i32.const 1))`)}
      (br $chunks))))`;
}

const normalStep = [
  next('r'), toUnit(true), log,
  set('rad', `(f32x4.sqrt ${fmul(v('ln'), splatF(-2))})`),
  next('r'), toUnit(false), sincos,
  // pa = mean, pb = std.
  set('o0', fadd(v('pa'), fmul(v('pb'), fmul(v('rad'), v('cos'))))),
  set('o1', fadd(v('pa'), fmul(v('pb'), fmul(v('rad'), v('sin'))))),
].join('\n');

// pa = low, pb = width.
const uniformStep = [next('r'), toUnit(false), set('o0', fadd(v('pa'), fmul(v('pb'), v('u'))))].join('\n');

/** The two fill kernels as WAT module fields. */
function fillWat() {
  return fillKernel('fill_normal', normalStep, 8) + fillKernel('fill_uniform', uniformStep, 4);
}

module.exports = { fillWat };
