import { ACTIVATION_CODES, LAYOUT, type KernelActivation, type KernelName } from '../kernelAbi';
import { blocksEnd, f32Splat, fadd, floatsEnd, fmul, fsub, get, horner, kernelHeader, locals, set, whileLoop } from './watHelpers';

// The elementwise activations (contracts in kernelAbi.ts), 4 floats at a time, chosen by their ACTIVATION_CODES kind.
// tanh: Cephes tanhf (|x| < 0.625: x + x³·P(x²); else 1 − 2/(e^{2|x|} + 1), sign restored); sigmoid 1/(1 + e^{−x});
// e^x: Cephes expf (x = n·ln 2 + r, e^r by its degree-6 polynomial, 2ⁿ from the exponent bits), argument clamped to
// [−87, 88]. Within a few float32 ulps of the float64 functions (S. Moshier, Cephes Math Library, 1984–1992).

const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const TANH_POLY = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];

/** e^(local `ex`) into local `ex` (uses ne, r). */
const exp = [
  set('ex', `(f32x4.max (f32x4.min ${get('ex')} ${f32Splat(88)}) ${f32Splat(-87)})`),
  set('ne', `(f32x4.floor ${fadd(fmul(get('ex'), f32Splat(Math.LOG2E)), f32Splat(0.5))})`),
  set('r', fsub(fsub(get('ex'), fmul(get('ne'), f32Splat(0.693359375))), fmul(get('ne'), f32Splat(-2.12194440e-4)))),
  set('ex', fadd(fadd(fmul(horner(EXP_POLY, get('r')), fmul(get('r'), get('r'))), get('r')), f32Splat(1))),
  set('ex', fmul(get('ex'), `(i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s ${get('ne')}) (i32x4.splat (i32.const 127))) (i32.const 23))`)),
].join('\n');

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

/** sigmoid(local `a`) into local `t`. */
const sigmoid = [
  set('ex', `(f32x4.neg ${get('a')})`),
  exp,
  set('t', `(f32x4.div ${f32Splat(1)} ${fadd(f32Splat(1), get('ex'))})`),
].join('\n');

const positive = `(f32x4.gt ${get('a')} ${f32Splat(0)})`;
/** y = φ(a) for each kind, from local `a`, into local `t`. */
const forward: Record<KernelActivation, string> = {
  linear: set('t', get('a')),
  relu: set('t', `(v128.and ${get('a')} ${positive})`),
  leaky_relu: set('t', `(v128.bitselect ${get('a')} ${fmul(get('a'), get('slope'))} ${positive})`),
  tanh,
  sigmoid,
};
/** g·φ′(z) for each kind, from locals `a` (z) and `gv`, into local `t`. */
const backward: Record<KernelActivation, string> = {
  linear: set('t', get('gv')),
  relu: set('t', `(v128.and ${get('gv')} ${positive})`),
  leaky_relu: set('t', `(v128.bitselect ${get('gv')} ${fmul(get('gv'), get('slope'))} ${positive})`),
  tanh: `${tanh} ${set('t', fmul(get('gv'), fsub(f32Splat(1), fmul(get('t'), get('t')))))}`,
  sigmoid: `${sigmoid} ${set('t', fmul(get('gv'), fmul(get('t'), fsub(f32Splat(1), get('t')))))}`,
};

/** The body for local `kind`: one `if` per activation code, in code order. */
const dispatch = (bodies: Record<KernelActivation, string>): string => (Object.entries(ACTIVATION_CODES) as [KernelActivation, number][])
  .sort((a, b) => a[1] - b[1])
  .map(([name, code]) => `(if (i32.eq ${get('kind')} (i32.const ${code})) (then ${bodies[name]}))`).join('\n');

/**
 * One kernel over arrays `input` and `output` (its second and third parameters): `bodies[kind]` computes local t;
 * `withG` loads g from the output array first. Whole vectors in place, then the last n mod 4 floats through the
 * scratch (input at scratch, g at scratch + 16), one padded step.
 */
function elementwise(name: Extract<KernelName, 'activate' | 'mul_derivative'>, input: string, output: string, bodies: Record<KernelActivation, string>, withG: boolean): string {
  const vecs = ['a', 'gv', 't', 'slope', 'ex', 'ne', 'r', 'ax', 'zs', 'm'];
  return `
  ${kernelHeader(name)}
    ${locals('i32', ['p', 'q', 'end', 'vend', 'rest'])} ${locals('v128', vecs)}
    ${set('slope', `(f32x4.splat (f32.reinterpret_i32 ${get('slopeBits')}))`)}
    ${set('p', get(input))} ${set('q', get(output))}
    ${set('end', floatsEnd(get(input), get('n')))}
    ${set('vend', blocksEnd(get(input), get('n'), 4))}
    ${whileLoop('each', `(i32.ge_u ${get('p')} ${get('vend')})`, `
        ${set('a', `(v128.load ${get('p')})`)}
        ${withG ? set('gv', `(v128.load ${get('q')})`) : ''}
        ${dispatch(bodies)}
        (v128.store ${get('q')} ${get('t')})
      ${set('p', `(i32.add ${get('p')} (i32.const 16))`)} ${set('q', `(i32.add ${get('q')} (i32.const 16))`)}`)}
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
