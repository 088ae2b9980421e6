import type { KernelName } from '../kernelAbi';
import { get, highHalf, kernelHeader, locals, set, whileLoop } from './watHelpers';

// The normalization kernels (contracts in kernelAbi.ts and ComputeBackend.normalize): per group, its runs of floats
// walked 4 at a time (each half promoted to f64x2) and the last length mod 4 one by one; sums, x̂ and dx in float64
// as the reference backend computes them, stored in float32. Threads split the groups.

/** f64x2 a + b, a − b, a·b. */
const dadd = (a: string, b: string): string => `(f64x2.add ${a} ${b})`;
const dsub = (a: string, b: string): string => `(f64x2.sub ${a} ${b})`;
const dmul = (a: string, b: string): string => `(f64x2.mul ${a} ${b})`;
/** Lanes 0, 1 and lanes 2, 3 of f32x4 v as f64x2. */
const low = (v: string): string => `(f64x2.promote_low_f32x4 ${v})`;
const high = (v: string): string => `(f64x2.promote_low_f32x4 ${highHalf(v)})`;
/** Two f64x2 back to one f32x4 (lanes of a, then of b), each rounded to float32. */
const demote = (a: string, b: string): string => `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero ${a}) (f32x4.demote_f64x2_zero ${b}))`;
/** The scalar f32 at p as f64. */
const load64 = (p: string): string => `(f64.promote_f32 (f32.load ${p}))`;
const bump = (p: string, bytes: number): string => set(p, `(i32.add ${get(p)} (i32.const ${bytes}))`);

/**
 * Every run of group `g` (local), in order: for each segment s, `pointers` are set to their array + 4·(g·groupStride +
 * s·segmentStride) (and `gp` to `gain`), then `vector` runs on whole blocks of 4 floats and `scalar` on the rest,
 * each followed by advancing every pointer. Uses locals s, off, vend, end.
 */
function overGroup(pointers: Record<string, string>, vector: string, scalar: string, withGain: boolean): string {
  const first = Object.keys(pointers)[0];
  const advance = (bytes: number): string => [...Object.keys(pointers), ...(withGain ? ['gp'] : [])].map((p) => bump(p, bytes)).join(' ');
  return `
      ${set('s', '(i32.const 0)')}
      ${whileLoop('segment', `(i32.ge_u ${get('s')} ${get('segments')})`, `
        ${set('off', `(i32.shl (i32.add (i32.mul ${get('g')} ${get('groupStride')}) (i32.mul ${get('s')} ${get('segmentStride')})) (i32.const 2))`)}
        ${Object.entries(pointers).map(([p, array]) => set(p, `(i32.add ${get(array)} ${get('off')})`)).join(' ')}
        ${withGain ? set('gp', get('gain')) : ''}
        ${set('end', `(i32.add ${get(first)} (i32.shl ${get('length')} (i32.const 2)))`)}
        ${set('vend', `(i32.add ${get(first)} (i32.shl (i32.and ${get('length')} (i32.const -4)) (i32.const 2)))`)}
        ${whileLoop('block', `(i32.ge_u ${get(first)} ${get('vend')})`, `${vector} ${advance(16)}`)}
        ${whileLoop('single', `(i32.ge_u ${get(first)} ${get('end')})`, `${scalar} ${advance(4)}`)}
        ${set('s', `(i32.add ${get('s')} (i32.const 1))`)}`)}`;
}

/** Sum of the two lanes of f64x2 local `v`. */
const laneSum = (v: string): string => `(f64.add (f64x2.extract_lane 0 ${get(v)}) (f64x2.extract_lane 1 ${get(v)}))`;

const normalize = (): string => `
  ${kernelHeader('normalize')}
    ${locals('i32', ['g', 's', 'off', 'p', 'q', 'w', 'gp', 'vend', 'end'])}
    ${locals('f64', ['n', 'eps', 'sum', 'mean', 'm2', 'r', 'd', 'e'])}
    ${locals('v128', ['v', 'a0', 'a1', 'vm', 'vr', 'h0', 'h1', 't'])}
    ${set('eps', `(f64.reinterpret_i64 (i64.or (i64.shl (i64.extend_i32_u ${get('epsHi')}) (i64.const 32)) (i64.extend_i32_u ${get('epsLo')})))`)}
    ${set('n', `(f64.convert_i32_u (i32.mul ${get('segments')} ${get('length')}))`)}
    ${set('g', get('g0'))}
    ${whileLoop('groups', `(i32.ge_u ${get('g')} ${get('g1')})`, `
      ;; the mean (centred normalizations only)
      ${set('sum', '(f64.const 0)')} ${set('a0', '(f64x2.splat (f64.const 0))')} ${set('a1', '(f64x2.splat (f64.const 0))')}
      (if ${get('center')} (then
        ${overGroup({ p: 'x' }, `${set('v', `(v128.load ${get('p')})`)} ${set('a0', dadd(get('a0'), low(get('v'))))} ${set('a1', dadd(get('a1'), high(get('v'))))}`,
          set('sum', `(f64.add ${get('sum')} ${load64(get('p'))})`), false)}))
      ${set('a0', dadd(get('a0'), get('a1')))}
      ${set('mean', `(f64.div (f64.add ${get('sum')} ${laneSum('a0')}) ${get('n')})`)}
      ;; Σ(x − mean)², then 1/σ
      ${set('vm', `(f64x2.splat ${get('mean')})`)}
      ${set('m2', '(f64.const 0)')} ${set('a0', '(f64x2.splat (f64.const 0))')} ${set('a1', '(f64x2.splat (f64.const 0))')}
      ${overGroup({ p: 'x' }, `${set('v', `(v128.load ${get('p')})`)}
          ${set('h0', dsub(low(get('v')), get('vm')))} ${set('h1', dsub(high(get('v')), get('vm')))}
          ${set('a0', dadd(get('a0'), dmul(get('h0'), get('h0'))))} ${set('a1', dadd(get('a1'), dmul(get('h1'), get('h1'))))}`,
        `${set('d', `(f64.sub ${load64(get('p'))} ${get('mean')})`)} ${set('m2', `(f64.add ${get('m2')} (f64.mul ${get('d')} ${get('d')}))`)}`, false)}
      ${set('a0', dadd(get('a0'), get('a1')))}
      ${set('r', `(f64.div (f64.const 1) (f64.sqrt (f64.add (f64.div (f64.add ${get('m2')} ${laneSum('a0')}) ${get('n')}) ${get('eps')})))`)}
      (f64.store (i32.add ${get('inv')} (i32.shl ${get('g')} (i32.const 3))) ${get('r')})
      ;; x̂ = (x − mean)·r, and y = x̂·gain
      ${set('vr', `(f64x2.splat ${get('r')})`)}
      ${overGroup({ p: 'x', q: 'xhat', w: 'y' }, `${set('v', `(v128.load ${get('p')})`)}
          ${set('t', demote(dmul(dsub(low(get('v')), get('vm')), get('vr')), dmul(dsub(high(get('v')), get('vm')), get('vr'))))}
          (v128.store ${get('q')} ${get('t')})
          (if ${get('gain')} (then (v128.store ${get('w')} (f32x4.mul ${get('t')} (v128.load ${get('gp')})))))`,
        `${set('e', `(f64.mul (f64.sub ${load64(get('p'))} ${get('mean')}) ${get('r')})`)}
          (f32.store ${get('q')} (f32.demote_f64 ${get('e')}))
          (if ${get('gain')} (then (f32.store ${get('w')} (f32.mul (f32.load ${get('q')}) (f32.load ${get('gp')})))))`, true)}
      ${set('g', `(i32.add ${get('g')} (i32.const 1))`)}`)})`;

/** d = dy (·gain) as f64x2 halves into h0, h1 from the f32x4 at `dy` pointer q (and gain at gp). */
const gradientHalves = `
          ${set('v', `(v128.load ${get('q')})`)}
          ${set('h0', low(get('v')))} ${set('h1', high(get('v')))}
          (if ${get('gain')} (then
            ${set('t', `(v128.load ${get('gp')})`)}
            ${set('h0', dmul(get('h0'), low(get('t'))))} ${set('h1', dmul(get('h1'), high(get('t'))))}))
          ${set('v', `(v128.load ${get('p')})`)}`;
/** The same for one float, into d (x̂ at p into e). */
const gradientScalar = `
          ${set('d', load64(get('q')))}
          (if ${get('gain')} (then ${set('d', `(f64.mul ${get('d')} ${load64(get('gp'))})`)}))
          ${set('e', load64(get('p')))}`;

const normalizeBackward = (): string => `
  ${kernelHeader('normalize_backward')}
    ${locals('i32', ['g', 's', 'off', 'p', 'q', 'w', 'gp', 'vend', 'end'])}
    ${locals('f64', ['n', 'sum', 'sumx', 'meanDy', 'meanDyX', 'r', 'd', 'e'])}
    ${locals('v128', ['v', 'a0', 'a1', 'b0', 'b1', 'h0', 'h1', 't', 'vm', 'vx', 'vr'])}
    ${set('n', `(f64.convert_i32_u (i32.mul ${get('segments')} ${get('length')}))`)}
    ${set('g', get('g0'))}
    ${whileLoop('groups', `(i32.ge_u ${get('g')} ${get('g1')})`, `
      ;; Σd and Σd·x̂
      ${set('sum', '(f64.const 0)')} ${set('sumx', '(f64.const 0)')}
      ${['a0', 'a1', 'b0', 'b1'].map((a) => set(a, '(f64x2.splat (f64.const 0))')).join(' ')}
      ${overGroup({ p: 'xhat', q: 'dy' }, `${gradientHalves}
          ${set('a0', dadd(get('a0'), get('h0')))} ${set('a1', dadd(get('a1'), get('h1')))}
          ${set('b0', dadd(get('b0'), dmul(get('h0'), low(get('v')))))} ${set('b1', dadd(get('b1'), dmul(get('h1'), high(get('v')))))}`,
        `${gradientScalar}
          ${set('sum', `(f64.add ${get('sum')} ${get('d')})`)} ${set('sumx', `(f64.add ${get('sumx')} (f64.mul ${get('d')} ${get('e')}))`)}`, true)}
      ${set('a0', dadd(get('a0'), get('a1')))} ${set('b0', dadd(get('b0'), get('b1')))}
      ${set('meanDy', `(select (f64.div (f64.add ${get('sum')} ${laneSum('a0')}) ${get('n')}) (f64.const 0) ${get('center')})`)}
      ${set('meanDyX', `(f64.div (f64.add ${get('sumx')} ${laneSum('b0')}) ${get('n')})`)}
      ${set('r', `(f64.load (i32.add ${get('inv')} (i32.shl ${get('g')} (i32.const 3))))`)}
      ${set('vm', `(f64x2.splat ${get('meanDy')})`)} ${set('vx', `(f64x2.splat ${get('meanDyX')})`)} ${set('vr', `(f64x2.splat ${get('r')})`)}
      ;; dx = r·((d − mean(d)) − x̂·mean(d·x̂))
      ${overGroup({ p: 'xhat', q: 'dy', w: 'dx' }, `${gradientHalves}
          (v128.store ${get('w')} ${demote(
            dmul(get('vr'), dsub(dsub(get('h0'), get('vm')), dmul(low(get('v')), get('vx')))),
            dmul(get('vr'), dsub(dsub(get('h1'), get('vm')), dmul(high(get('v')), get('vx')))))})`,
        `${gradientScalar}
          (f32.store ${get('w')} (f32.demote_f64 (f64.mul ${get('r')} (f64.sub (f64.sub ${get('d')} ${get('meanDy')}) (f64.mul ${get('e')} ${get('meanDyX')})))))`, true)}
      ${set('g', `(i32.add ${get('g')} (i32.const 1))`)}`)})`;

/** The normalization kernels as WAT module fields, by name. */
export function normalizationKernels(): Record<Extract<KernelName, 'normalize' | 'normalize_backward'>, string> {
  return { normalize: normalize(), normalize_backward: normalizeBackward() };
}
