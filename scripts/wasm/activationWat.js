// WAT for the elementwise activations of the ReLU family, tanh and sigmoid, 4 floats at a time (kind 0 linear,
// 1 relu, 2 leaky_relu, 3 tanh, 4 sigmoid, as ACTIVATION_KINDS in src/engine/backend/wasm/wasmBackend.ts):
//   activate(kind, x, y, n, slopeBits)         y = φ(x)
//   mul_derivative(kind, z, g, n, slopeBits)   g ← g·φ′(z), z the pre-activation
// tanh: Cephes tanhf (|x| < 0.625: x + x³·P(x²); else 1 − 2/(e^{2|x|} + 1), sign restored); sigmoid 1/(1 + e^{−x});
// e^x: Cephes expf (x = n·ln 2 + r, e^r by its degree-6 polynomial, 2ⁿ from the exponent bits), argument clamped to
// [−87, 88]. Within a few float32 ulps of the float64 functions; the tail (n mod 4 floats) goes through one padded
// step in `scratch` (16 bytes of the caller's).
'use strict';

const v = (n) => `(local.get $${n})`;
const set = (n, x) => `(local.set $${n} ${x})`;
const splat = (x) => `(f32x4.splat (f32.const ${x}))`;
const fmul = (a, b) => `(f32x4.mul ${a} ${b})`;
const fadd = (a, b) => `(f32x4.add ${a} ${b})`;
const fsub = (a, b) => `(f32x4.sub ${a} ${b})`;
const horner = (cs, x) => cs.slice(1).reduce((p, c) => fadd(fmul(p, x), splat(c)), splat(cs[0]));

const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const TANH_POLY = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];

/** e^(local `ex`) into local `ex` (uses ne, r). */
const exp = [
  set('ex', `(f32x4.max (f32x4.min ${v('ex')} ${splat(88)}) ${splat(-87)})`),
  set('ne', `(f32x4.floor ${fadd(fmul(v('ex'), splat(Math.LOG2E)), splat(0.5))})`),
  set('r', fsub(fsub(v('ex'), fmul(v('ne'), splat(0.693359375))), fmul(v('ne'), splat(-2.12194440e-4)))),
  set('ex', fadd(fadd(fmul(horner(EXP_POLY, v('r')), fmul(v('r'), v('r'))), v('r')), splat(1))),
  set('ex', fmul(v('ex'), `(i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s ${v('ne')}) (i32x4.splat (i32.const 127))) (i32.const 23))`)),
].join('\n');

/** tanh(local `a`) into local `t` (uses ex, ne, r, ax, zs, m). */
const tanh = [
  set('ax', `(f32x4.abs ${v('a')})`),
  set('ex', fmul(v('ax'), splat(2))),
  exp,
  set('t', fsub(splat(1), `(f32x4.div ${splat(2)} ${fadd(v('ex'), splat(1))})`)),
  set('t', `(v128.or (v128.and ${v('t')} (i32x4.splat (i32.const 0x7fffffff))) (v128.and ${v('a')} (i32x4.splat (i32.const 0x80000000))))`),
  set('zs', fmul(v('a'), v('a'))),
  set('m', `(f32x4.lt ${v('ax')} ${splat(0.625)})`),
  set('t', `(v128.bitselect ${fadd(fmul(fmul(horner(TANH_POLY, v('zs')), v('zs')), v('a')), v('a'))} ${v('t')} ${v('m')})`),
].join('\n');

/** sigmoid(local `a`) into local `t`. */
const sigmoid = [
  set('ex', `(f32x4.neg ${v('a')})`),
  exp,
  set('t', `(f32x4.div ${splat(1)} ${fadd(splat(1), v('ex'))})`),
].join('\n');

const positive = `(f32x4.gt ${v('a')} ${splat(0)})`;
/** y for each kind, from local `a`, into local `t`. */
const forward = [
  set('t', v('a')),
  set('t', `(v128.and ${v('a')} ${positive})`),
  set('t', `(v128.bitselect ${v('a')} ${fmul(v('a'), v('slope'))} ${positive})`),
  tanh,
  sigmoid,
];
/** g·φ′(z) for each kind, from locals `a` (z) and `gv`, into local `t`. */
const backward = [
  set('t', v('gv')),
  set('t', `(v128.and ${v('gv')} ${positive})`),
  set('t', `(v128.bitselect ${v('gv')} ${fmul(v('gv'), v('slope'))} ${positive})`),
  `${tanh} ${set('t', fmul(v('gv'), fsub(splat(1), fmul(v('t'), v('t')))))}`,
  `${sigmoid} ${set('t', fmul(v('gv'), fmul(v('t'), fsub(splat(1), v('t')))))}`,
];

/** One kernel: `bodies[kind]` computes local t; `withG` loads g from the output array first. */
function elementwise(name, inName, outName, bodies, withG) {
  const vecs = ['a', 'gv', 't', 'slope', 'ex', 'ne', 'r', 'ax', 'zs', 'm'];
  const step = (load, store) => `
        ${set('a', load(v('p')))}
        ${withG ? set('gv', load(v('q'))) : ''}
        ${bodies.map((b, k) => `(if (i32.eq ${v('kind')} (i32.const ${k})) (then ${b}))`).join('\n')}
        ${store}`;
  return `
  (func (export "${name}") (param $kind i32) (param $${inName} i32) (param $${outName} i32) (param $n i32) (param $slopeBits i32) (param $scratch i32)
    (local $p i32) (local $q i32) (local $end i32) (local $vend i32) (local $rest i32) ${vecs.map((n) => `(local $${n} v128)`).join(' ')}
    ${set('slope', `(f32x4.splat (f32.reinterpret_i32 ${v('slopeBits')}))`)}
    ${set('p', v(inName))} ${set('q', v(outName))}
    ${set('end', `(i32.add ${v(inName)} (i32.shl ${v('n')} (i32.const 2)))`)}
    ${set('vend', `(i32.add ${v(inName)} (i32.shl (i32.and ${v('n')} (i32.const -4)) (i32.const 2)))`)}
    (block $done (loop $each
      (br_if $done (i32.ge_u ${v('p')} ${v('vend')}))
      ${step((ptr) => `(v128.load ${ptr})`, `(v128.store ${v('q')} ${v('t')})`)}
      ${set('p', `(i32.add ${v('p')} (i32.const 16))`)} ${set('q', `(i32.add ${v('q')} (i32.const 16))`)}
      (br $each)))
    ${set('rest', `(i32.sub ${v('end')} ${v('p')})`)}
    (if ${v('rest')} (then
      ;; the last 1..3 floats: through the scratch (in at scratch, g at scratch + 16), one padded step
      (memory.fill ${v('scratch')} (i32.const 0) (i32.const 32))
      (memory.copy ${v('scratch')} ${v('p')} ${v('rest')})
      (memory.copy (i32.add ${v('scratch')} (i32.const 16)) ${v('q')} ${v('rest')})
      ${set('p', v('scratch'))}
      ${set('a', `(v128.load ${v('p')})`)}
      ${withG ? set('gv', `(v128.load offset=16 ${v('p')})`) : ''}
      ${bodies.map((b, k) => `(if (i32.eq ${v('kind')} (i32.const ${k})) (then ${b}))`).join('\n')}
      (v128.store offset=16 ${v('scratch')} ${v('t')})
      (memory.copy ${v('q')} (i32.add ${v('scratch')} (i32.const 16)) ${v('rest')}))))`;
}

/** The two activation kernels as WAT module fields. */
function activationWat() {
  return elementwise('activate', 'x', 'y', forward, false) + elementwise('mul_derivative', 'z', 'g', backward, true);
}

module.exports = { activationWat };
