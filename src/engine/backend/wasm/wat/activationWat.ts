import { ACTIVATION_CODES, LAYOUT, type KernelActivation, type KernelName } from '../kernelAbi';
import { blocksEnd, expf, f32Splat, fadd, floatsEnd, fmul, fsub, get, horner, kernelHeader, locals, set, whileLoop } from './watHelpers';

// The elementwise activations (contracts in kernelAbi.ts), 4 floats at a time, chosen by their ACTIVATION_CODES kind.
// tanh: Cephes tanhf (|x| < 0.625: x + x³·P(x²); else 1 − 2/(e^{2|x|} + 1), sign restored); sigmoid 1/(1 + e^{−x});
// e^x: Cephes expf (x = n·ln 2 + r, e^r by its degree-6 polynomial, 2ⁿ from the exponent bits), argument clamped to
// [−87, 88]. Within a few float32 ulps of the float64 functions (S. Moshier, Cephes Math Library, 1984–1992), times
// the condition number of e^x where its argument is itself computed (gelu, gelu_new: |argument| ulps).
// silu x·sigmoid(x); gelu_new x·sigmoid(2u), u = √(2/π)(x + 0.044715x³) (= ½x(1 + tanh u) without cancelling);
// gelu x·Φ(x), Φ(x) = ½·erfc(−x/√2) by the Chebyshev fit of math/gaussian.ts `erfc` (Numerical Recipes' erfcc).

const TANH_POLY = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];

/** e^(local `ex`) into local `ex` (uses ne, r). */
const exp = expf('ex', 'ne', 'r');

/** tanh(local `a`) into local `t` (uses ex, ne, r, ax, zs, m). */
const tanh = [
  set('ax', `(f32x4.abs ${get('a')})`),
  set('ex', fmul(get('ax'), f32Splat(2))),
  exp,
  set('t', fsub(f32Splat(1), `(f32x4.div ${f32Splat(2)} ${fadd(get('ex'), f32Splat(1))})`)),
  set('t', `(v128.or (v128.and ${get('t')} (i32x4.splat (i32.const 0x7fffffff))) (v128.and ${get('a')} (i32x4.splat (i32.const 0x80000000))))`),
  set('zs', fmul(get('a'), get('a'))),
  set('m', `(f32x4.lt ${get('ax')} ${f32Splat(0.625)})`),
  set('t', `(v128.bitselect ${fadd(fmul(fmul(horner(TANH_POLY, get('zs')), get('zs')), get('a')), get('a'))} ${get('t')} ${get('m')})`),
].join('\n');

/** sigmoid(local `a`) into local `t`, e^{−a} left in local `ex` (so 1 − t = ex·t without cancelling). */
const sigmoid = [
  set('ex', `(f32x4.neg ${get('a')})`),
  exp,
  set('t', `(f32x4.div ${f32Splat(1)} ${fadd(f32Splat(1), get('ex'))})`),
].join('\n');

/** √(2/π), GELU's tanh approximation's constant (math/activation.ts). */
const GELU_TANH_C = Math.sqrt(2 / Math.PI);
/** s = sigmoid(2u) = ½(1 + tanh u) of gelu_new for local `a` into local `s`, e^{−2u} in local `ex`. */
const geluNewGate = [
  set('ex', fmul(f32Splat(-2 * GELU_TANH_C), fadd(get('a'), fmul(f32Splat(0.044715), fmul(get('a'), fmul(get('a'), get('a'))))))),
  exp,
  set('s', `(f32x4.div ${f32Splat(1)} ${fadd(f32Splat(1), get('ex'))})`),
].join('\n');
/** math/gaussian.ts `erfc`'s Chebyshev coefficients, highest power first (Numerical Recipes, 2nd ed., §6.2). */
const ERFC_POLY = [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368];
/** Φ(local `a`) = ½·erfc(−a/√2) into local `s` (uses ex, ne, r, ax, zs). */
const normalCdf = [
  set('ax', fmul(`(f32x4.abs ${get('a')})`, f32Splat(Math.SQRT1_2))),
  set('zs', `(f32x4.div ${f32Splat(1)} ${fadd(f32Splat(1), fmul(f32Splat(0.5), get('ax')))})`),
  set('ex', fadd(fsub(`(f32x4.neg ${fmul(get('ax'), get('ax'))})`, f32Splat(1.26551223)), fmul(get('zs'), horner(ERFC_POLY, get('zs'))))),
  exp,
  set('ex', fmul(get('zs'), get('ex'))),
  // erfc(z) for z = −a/√2: the fit for z ≥ 0 (a ≤ 0), 2 − it for z < 0.
  set('s', fmul(f32Splat(0.5), `(v128.bitselect ${fsub(f32Splat(2), get('ex'))} ${get('ex')} (f32x4.gt ${get('a')} ${f32Splat(0)}))`)),
].join('\n');

const positive = `(f32x4.gt ${get('a')} ${f32Splat(0)})`;
/** y = φ(a) for each kind, from local `a`, into local `t`. */
const forward: Record<KernelActivation, string> = {
  linear: set('t', get('a')),
  relu: set('t', `(v128.and ${get('a')} ${positive})`),
  leaky_relu: set('t', `(v128.bitselect ${get('a')} ${fmul(get('a'), get('slope'))} ${positive})`),
  tanh,
  sigmoid,
  gelu: `${normalCdf} ${set('t', fmul(get('a'), get('s')))}`,
  gelu_new: `${geluNewGate} ${set('t', fmul(get('a'), get('s')))}`,
  silu: `${sigmoid} ${set('t', fmul(get('a'), get('t')))}`,
};
/** g·φ′(z) for each kind, from locals `a` (z) and `gv`, into local `t`. */
const backward: Record<KernelActivation, string> = {
  linear: set('t', get('gv')),
  relu: set('t', `(v128.and ${get('gv')} ${positive})`),
  leaky_relu: set('t', `(v128.bitselect ${get('gv')} ${fmul(get('gv'), get('slope'))} ${positive})`),
  tanh: `${tanh} ${set('t', fmul(get('gv'), fsub(f32Splat(1), fmul(get('t'), get('t')))))}`,
  sigmoid: `${sigmoid} ${set('t', fmul(get('gv'), fmul(get('t'), fsub(f32Splat(1), get('t')))))}`,
  // Φ(z) + z·φ(z), φ(z) = e^{−z²/2}/√(2π).
  gelu: `${normalCdf} ${set('ex', fmul(f32Splat(-0.5), fmul(get('a'), get('a'))))} ${exp}
    ${set('t', fmul(get('gv'), fadd(get('s'), fmul(get('a'), fmul(f32Splat(0.3989422804014327), get('ex'))))))}`,
  // s + 2z·s(1 − s)·u′, u′ = √(2/π)(1 + 3·0.044715z²), 1 − s = e^{−2u}·s.
  gelu_new: `${geluNewGate} ${set('t', fmul(get('gv'), fadd(get('s'), fmul(fmul(fmul(f32Splat(2 * GELU_TANH_C), get('a')), fmul(fmul(get('ex'), get('s')), get('s'))),
    fadd(f32Splat(1), fmul(f32Splat(3 * 0.044715), fmul(get('a'), get('a'))))))))}`,
  // s + z·s(1 − s) = s·(1 + z·e^{−z}·s).
  silu: `${sigmoid} ${set('t', fmul(get('gv'), fmul(get('t'), fadd(f32Splat(1), fmul(get('a'), fmul(get('ex'), get('t')))))))}`,
};

/** The vector locals the bodies use (besides `slope`). */
const VECTOR_LOCALS = ['a', 'gv', 't', 'ex', 'ne', 'r', 'ax', 'zs', 'm', 's'];
/** A body on the second vector of a turn: its locals renamed x → x_2 (`slope` is shared). */
const second = (body: string): string => body.replace(new RegExp(`\\$(${VECTOR_LOCALS.join('|')})\\b`, 'g'), '$$$1_2');
/** Each activation's code and body, in code order. */
const byCode = (bodies: Record<KernelActivation, string>): [number, string][] => (Object.entries(ACTIVATION_CODES) as [KernelActivation, number][])
  .sort((a, b) => a[1] - b[1]).map(([name, code]) => [code, bodies[name]]);
/** The body for local `kind`: one `if` per activation code, in code order. */
const dispatch = (bodies: Record<KernelActivation, string>): string => byCode(bodies)
  .map(([code, body]) => `(if (i32.eq ${get('kind')} (i32.const ${code})) (then ${body}))`).join('\n');

/**
 * One kernel over arrays `input` and `output` (its second and third parameters): `bodies[kind]` computes local t;
 * `withG` loads g from the output array first. Whole vectors in place, then the last n mod 4 floats through the
 * scratch (input at scratch, g at scratch + 16), one padded step.
 */
function elementwise(name: Extract<KernelName, 'activate' | 'mul_derivative'>, input: string, output: string, bodies: Record<KernelActivation, string>, withG: boolean): string {
  const vecs = [...VECTOR_LOCALS, 'slope', ...VECTOR_LOCALS.map((v) => `${v}_2`)];
  return `
  ${kernelHeader(name)}
    ${locals('i32', ['p', 'q', 'end', 'vend', 'rest'])} ${locals('v128', vecs)}
    ${set('slope', `(f32x4.splat (f32.reinterpret_i32 ${get('slopeBits')}))`)}
    ${set('p', get(input))} ${set('q', get(output))}
    ${set('end', floatsEnd(get(input), get('n')))}
    ${set('vend', blocksEnd(get(input), get('n'), 4))}
    ;; one loop per kind, so that each loop holds only its own activation's work, two vectors a turn (two
    ;; independent chains in flight), then the last vector alone
    ${byCode(bodies).map(([code, body]) => `(if (i32.eq ${get('kind')} (i32.const ${code})) (then
      ${whileLoop(`pairs${code}`, `(i32.ge_u (i32.add ${get('p')} (i32.const 16)) ${get('vend')})`, `
        ${set('a', `(v128.load ${get('p')})`)} ${set('a_2', `(v128.load offset=16 ${get('p')})`)}
        ${withG ? `${set('gv', `(v128.load ${get('q')})`)} ${set('gv_2', `(v128.load offset=16 ${get('q')})`)}` : ''}
        ${body}
        ${second(body)}
        (v128.store ${get('q')} ${get('t')}) (v128.store offset=16 ${get('q')} ${get('t_2')})
        ${set('p', `(i32.add ${get('p')} (i32.const 32))`)} ${set('q', `(i32.add ${get('q')} (i32.const 32))`)}`)}
      (if (i32.lt_u ${get('p')} ${get('vend')}) (then
        ${set('a', `(v128.load ${get('p')})`)}
        ${withG ? set('gv', `(v128.load ${get('q')})`) : ''}
        ${body}
        (v128.store ${get('q')} ${get('t')})
        ${set('p', `(i32.add ${get('p')} (i32.const 16))`)} ${set('q', `(i32.add ${get('q')} (i32.const 16))`)}))))`).join('\n')}
    ${set('rest', `(i32.sub ${get('end')} ${get('p')})`)}
    (if ${get('rest')} (then
      (memory.fill ${get('scratch')} (i32.const 0) (i32.const ${LAYOUT.scratchBytes}))
      (memory.copy ${get('scratch')} ${get('p')} ${get('rest')})
      (memory.copy (i32.add ${get('scratch')} (i32.const 16)) ${get('q')} ${get('rest')})
      ${set('p', get('scratch'))}
      ${set('a', `(v128.load ${get('p')})`)}
      ${withG ? set('gv', `(v128.load offset=16 ${get('p')})`) : ''}
      ${dispatch(bodies)}
      (v128.store offset=16 ${get('scratch')} ${get('t')})
      (memory.copy ${get('q')} (i32.add ${get('scratch')} (i32.const 16)) ${get('rest')}))))`;
}

/** The two activation kernels as WAT module fields, by name. */
export function activationKernels(): Record<Extract<KernelName, 'activate' | 'mul_derivative'>, string> {
  return { activate: elementwise('activate', 'x', 'y', forward, false), mul_derivative: elementwise('mul_derivative', 'z', 'g', backward, true) };
}
