import { COUNT_SLOT, HISTOGRAM_SLOT, type KernelName } from '../kernelAbi';
import { blocksEnd, f64LaneSum, floatsEnd, foldLanes, get, highHalf, i32LaneSum, kernelHeader, locals, offset, promoteHalves, set, storeMoments, whileLoop, zeroUnlessFinite } from './watHelpers';

// The statistics kernels (contracts in kernelAbi.ts). Each takes a range of the tensor, so that threads can split it,
// and writes its result in the slot at `res` (or `out`), the calling part's own.

/**
 * One pass, shifted by the first value (0 if that is not finite): with d = x − shift, mean = shift + Σd/n and
 * M2 = Σd² − (Σd)²/n, accurate in float64 since the shift lies within the data. 8 floats a step, the rest one by one.
 */
const moments = (): string => `
  ${kernelHeader('moments')}
    ${locals('i32', ['p', 'end', 'vend'])} ${locals('f32', ['a'])} ${locals('f64', ['d', 's', 'q', 'shift'])}
    ${locals('f32', ['min', 'max'])} ${locals('f64', ['count'])}
    ${locals('v128', ['v0', 'v1', 's0', 's1', 'q0', 'q1'])}
    ${locals('v128', ['mn', 'mx', 'sv', 'd0', 'd1', 'd2', 'd3'])}
    ${set('end', floatsEnd(get('x'), get('n')))}
    ${set('vend', blocksEnd(get('x'), get('n'), 8))}
    ${set('shift', `(f64.promote_f32 (f32.load ${get('x')}))`)}
    ${zeroUnlessFinite('shift')}
    ${set('sv', `(f64x2.splat ${get('shift')})`)}
    ${set('mn', '(f32x4.splat (f32.const inf))')} ${set('mx', '(f32x4.splat (f32.const -inf))')}
    ${set('p', get('x'))}
    ${whileLoop('step', `(i32.ge_u ${get('p')} ${get('vend')})`, `
      ${set('v0', `(v128.load ${get('p')})`)} ${set('v1', `(v128.load offset=16 ${get('p')})`)}
      ${[...promoteHalves(get('v0')), ...promoteHalves(get('v1'))].map((h, k) => set(`d${k}`, `(f64x2.sub ${h} ${get('sv')})`)).join('\n')}
      ${set('s0', `(f64x2.add ${get('s0')} (f64x2.add ${get('d0')} ${get('d1')}))`)}
      ${set('s1', `(f64x2.add ${get('s1')} (f64x2.add ${get('d2')} ${get('d3')}))`)}
      ${set('q0', `(f64x2.add ${get('q0')} (f64x2.add (f64x2.mul ${get('d0')} ${get('d0')}) (f64x2.mul ${get('d1')} ${get('d1')})))`)}
      ${set('q1', `(f64x2.add ${get('q1')} (f64x2.add (f64x2.mul ${get('d2')} ${get('d2')}) (f64x2.mul ${get('d3')} ${get('d3')})))`)}
      ${set('mn', `(f32x4.pmin (f32x4.pmin ${get('mn')} ${get('v0')}) ${get('v1')})`)}
      ${set('mx', `(f32x4.pmax (f32x4.pmax ${get('mx')} ${get('v0')}) ${get('v1')})`)}
      ${set('p', `(i32.add ${get('p')} (i32.const 32))`)}`)}
    ${set('s0', `(f64x2.add ${get('s0')} ${get('s1')})`)} ${set('q0', `(f64x2.add ${get('q0')} ${get('q1')})`)}
    ${set('s', f64LaneSum(get('s0')))}
    ${set('q', f64LaneSum(get('q0')))}
    ${set('min', '(f32.const inf)')} ${set('max', '(f32.const -inf)')}
    ${foldLanes('lt', get('mn'), 'min')}
    ${foldLanes('gt', get('mx'), 'max')}
    ${whileLoop('tail', `(i32.ge_u ${get('p')} ${get('end')})`, `
      ${set('a', `(f32.load ${get('p')})`)}
      ${set('d', `(f64.sub (f64.promote_f32 ${get('a')}) ${get('shift')})`)}
      ${set('s', `(f64.add ${get('s')} ${get('d')})`)}
      ${set('q', `(f64.add ${get('q')} (f64.mul ${get('d')} ${get('d')}))`)}
      (if (f32.lt ${get('a')} ${get('min')}) (then ${set('min', get('a'))}))
      (if (f32.gt ${get('a')} ${get('max')}) (then ${set('max', get('a'))}))
      ${set('p', `(i32.add ${get('p')} (i32.const 4))`)}`)}
    ${set('count', `(f64.convert_i32_u ${get('n')})`)}
    ${storeMoments(get('res'), { shift: 'shift', sum: 's', squares: 'q', count: 'count', min: 'min', max: 'max' })})`;

/**
 * Four sub-histograms (one per SIMD lane, so that repeated bins do not serialize on one counter), each bins + 1
 * counters: the extra one takes NaN. bin = ⌊(x − lo)·scale⌋ in float64, clamped to [0, bins).
 */
const histogram = (): string => `
  ${kernelHeader('histogram')}
    ${locals('i32', ['p', 'end', 'vend'])} ${locals('f64', ['lo', 'scale', 'a', 'top'])}
    ${locals('i32', ['at', 'counts', 'stride'])}
    ${locals('v128', ['v', 'h', 't0', 't1', 'idx', 'vlo', 'vscale', 'vtop', 'vnan'])}
    ${set('lo', `(f64.load ${offset(HISTOGRAM_SLOT.lo)}${get('res')})`)} ${set('scale', `(f64.load ${offset(HISTOGRAM_SLOT.scale)}${get('res')})`)}
    ${set('top', `(f64.convert_i32_u (i32.sub ${get('bins')} (i32.const 1)))`)}
    ${set('vlo', `(f64x2.splat ${get('lo')})`)} ${set('vscale', `(f64x2.splat ${get('scale')})`)} ${set('vtop', `(f64x2.splat ${get('top')})`)}
    ${set('vnan', `(f64x2.splat (f64.convert_i32_u ${get('bins')}))`)}
    ${set('counts', `(i32.add ${get('res')} (i32.const ${HISTOGRAM_SLOT.counts}))`)}
    ${set('stride', `(i32.shl (i32.add ${get('bins')} (i32.const 1)) (i32.const 2))`)}
    (memory.fill ${get('counts')} (i32.const 0) (i32.shl ${get('stride')} (i32.const 2)))
    ${set('end', floatsEnd(get('x'), get('n')))}
    ${set('vend', blocksEnd(get('x'), get('n'), 4))}
    ${set('p', get('x'))}
    ${whileLoop('step', `(i32.ge_u ${get('p')} ${get('vend')})`, `
      ${set('v', `(v128.load ${get('p')})`)}
      ${[['t0', get('v')], ['t1', highHalf(get('v'))]].map(([t, src]) => [
        set('h', `(f64x2.promote_low_f32x4 ${src})`),
        set(t, `(f64x2.min (f64x2.max (f64x2.floor (f64x2.mul (f64x2.sub ${get('h')} ${get('vlo')}) ${get('vscale')})) (f64x2.splat (f64.const 0))) ${get('vtop')})`),
        set(t, `(v128.bitselect ${get('vnan')} ${get(t)} (f64x2.ne ${get('h')} ${get('h')}))`),
        set(t, `(i32x4.trunc_sat_f64x2_s_zero ${get(t)})`),
      ].join('\n')).join('\n')}
      ${set('idx', `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 ${get('t0')} ${get('t1')})`)}
      ${[0, 1, 2, 3].map((l) => `${set('at', `(i32.add (i32.add ${get('counts')} (i32.mul ${get('stride')} (i32.const ${l}))) (i32.shl (i32x4.extract_lane ${l} ${get('idx')}) (i32.const 2)))`)}
      (i32.store ${get('at')} (i32.add (i32.load ${get('at')}) (i32.const 1)))`).join('\n')}
      ${set('p', `(i32.add ${get('p')} (i32.const 16))`)}`)}
    ${whileLoop('each', `(i32.ge_u ${get('p')} ${get('end')})`, `
      ${set('a', `(f64.promote_f32 (f32.load ${get('p')}))`)}
      ${set('p', `(i32.add ${get('p')} (i32.const 4))`)}
      ;; NaN is not counted here (the vector steps put it in their lane's extra counter)
      (br_if $each (f64.ne ${get('a')} ${get('a')}))
      ${set('a', `(f64.min (f64.max (f64.floor (f64.mul (f64.sub ${get('a')} ${get('lo')}) ${get('scale')})) (f64.const 0)) ${get('top')})`)}
      ${set('at', `(i32.add ${get('counts')} (i32.shl (i32.trunc_f64_s ${get('a')}) (i32.const 2)))`)}
      (i32.store ${get('at')} (i32.add (i32.load ${get('at')}) (i32.const 1)))`)})`;

/** How many floats are < lo or > hi: 4 lanes of counts (each comparison's mask is −1), then the tail one by one. */
const countOutside = (): string => `
  ${kernelHeader('count_outside')}
    ${locals('i32', ['p', 'end', 'vend'])} ${locals('f32', ['lo', 'hi', 'a'])} ${locals('i32', ['count'])}
    ${locals('v128', ['acc', 'vlo', 'vhi', 'x0'])}
    ${set('lo', `(f32.reinterpret_i32 ${get('loBits')})`)} ${set('hi', `(f32.reinterpret_i32 ${get('hiBits')})`)}
    ${set('vlo', `(f32x4.splat ${get('lo')})`)} ${set('vhi', `(f32x4.splat ${get('hi')})`)}
    ${set('end', floatsEnd(get('x'), get('n')))}
    ${set('vend', blocksEnd(get('x'), get('n'), 4))}
    ${set('p', get('x'))}
    ${whileLoop('step', `(i32.ge_u ${get('p')} ${get('vend')})`, `
      ${set('x0', `(v128.load ${get('p')})`)}
      ${set('acc', `(i32x4.sub ${get('acc')} (v128.or (f32x4.lt ${get('x0')} ${get('vlo')}) (f32x4.gt ${get('x0')} ${get('vhi')})))`)}
      ${set('p', `(i32.add ${get('p')} (i32.const 16))`)}`)}
    ${set('count', i32LaneSum(get('acc')))}
    ${whileLoop('tail', `(i32.ge_u ${get('p')} ${get('end')})`, `
      ${set('a', `(f32.load ${get('p')})`)}
      ${set('count', `(i32.add ${get('count')} (i32.or (f32.lt ${get('a')} ${get('lo')}) (f32.gt ${get('a')} ${get('hi')})))`)}
      ${set('p', `(i32.add ${get('p')} (i32.const 4))`)}`)}
    (i32.store ${offset(COUNT_SLOT.count)}${get('res')} ${get('count')}))`;

/** The loop over the batch rows of one unit (or 4): `alive` ← alive | (z > 0), p walking down the column. */
const overBatch = (alive: string): string => `
      ${set('b', '(i32.const 0)')}
      ${whileLoop('row', `(i32.ge_u ${get('b')} ${get('batch')})`, `
        ${alive}
        ${set('p', `(i32.add ${get('p')} ${get('stride')})`)}
        ${set('b', `(i32.add ${get('b')} (i32.const 1))`)}`)}`;

/** Dead units: 4 units at a time (a lane each, alive once any z > 0), then one at a time. */
const countDead = (): string => `
  ${kernelHeader('count_dead')}
    ${locals('i32', ['u', 'b', 'p', 'stride', 'count', 'alive'])} ${locals('v128', ['alivev'])}
    ${set('stride', `(i32.shl ${get('units')} (i32.const 2))`)}
    ${set('u', get('u0'))}
    ${whileLoop('quad', `(i32.gt_u (i32.add ${get('u')} (i32.const 4)) ${get('u1')})`, `
      ${set('alivev', '(v128.const i32x4 0 0 0 0)')}
      ${set('p', `(i32.add ${get('z')} (i32.shl ${get('u')} (i32.const 2)))`)}
      ${overBatch(set('alivev', `(v128.or ${get('alivev')} (f32x4.gt (v128.load ${get('p')}) (f32x4.splat (f32.const 0))))`))}
      ${set('count', `(i32.add ${get('count')} (i32.add (i32.const 4) ${i32LaneSum(get('alivev'))}))`)}
      ${set('u', `(i32.add ${get('u')} (i32.const 4))`)}`)}
    ${whileLoop('single', `(i32.ge_u ${get('u')} ${get('u1')})`, `
      ${set('alive', '(i32.const 0)')}
      ${set('p', `(i32.add ${get('z')} (i32.shl ${get('u')} (i32.const 2)))`)}
      ${overBatch(set('alive', `(i32.or ${get('alive')} (f32.gt (f32.load ${get('p')}) (f32.const 0)))`))}
      ${set('count', `(i32.add ${get('count')} (i32.eqz ${get('alive')}))`)}
      ${set('u', `(i32.add ${get('u')} (i32.const 1))`)}`)}
    (i32.store ${offset(COUNT_SLOT.count)}${get('res')} ${get('count')}))`;

const FNV_PRIME = '0x01000193';
/** Row hashes: 16 floats a step into 4 × 4 FNV-1a lanes (offset bases 0x811c9dc5 + lane), folded, then the tail. */
const rowHash = (): string => `
  ${kernelHeader('row_hash')}
    ${locals('i32', ['r', 'p', 'vend', 'end', 'h', 'l'])}
    ${locals('v128', ['h0', 'h1', 'h2', 'h3', 'prime'])}
    ${set('prime', `(i32x4.splat (i32.const ${FNV_PRIME}))`)}
    ${set('r', get('r0'))}
    ${whileLoop('rows', `(i32.ge_u ${get('r')} ${get('r1')})`, `
      ${set('p', `(i32.add ${get('w')} (i32.mul ${get('r')} (i32.shl ${get('cols')} (i32.const 2))))`)}
      ${set('end', floatsEnd(get('p'), get('cols')))}
      ${set('vend', blocksEnd(get('p'), get('cols'), 16))}
      ${['h0', 'h1', 'h2', 'h3'].map((h, k) => set(h, `(v128.const i32x4 ${[0, 1, 2, 3].map((l) => 0x811c9dc5 + 4 * k + l).join(' ')})`)).join(' ')}
      ${whileLoop('step', `(i32.ge_u ${get('p')} ${get('vend')})`, `
        ${['h0', 'h1', 'h2', 'h3'].map((h, k) => set(h, `(i32x4.mul (v128.xor ${get(h)} (v128.load ${offset(16 * k)}${get('p')})) ${get('prime')})`)).join('\n')}
        ${set('p', `(i32.add ${get('p')} (i32.const 64))`)}`)}
      ${set('h0', `(v128.xor (v128.xor ${get('h0')} (i32x4.mul ${get('h1')} ${get('prime')})) (v128.xor (i32x4.mul ${get('h2')} (i32x4.splat (i32.const 0x9e3779b1))) (i32x4.mul ${get('h3')} (i32x4.splat (i32.const 0x85ebca6b)))))`)}
      ${set('h', '(i32.const 0x811c9dc5)')}
      ${[0, 1, 2, 3].map((l) => set('h', `(i32.mul (i32.xor ${get('h')} (i32x4.extract_lane ${l} ${get('h0')})) (i32.const ${FNV_PRIME}))`)).join(' ')}
      ${whileLoop('single', `(i32.ge_u ${get('p')} ${get('end')})`, `
        ${set('h', `(i32.mul (i32.xor ${get('h')} (i32.load ${get('p')})) (i32.const ${FNV_PRIME}))`)}
        ${set('p', `(i32.add ${get('p')} (i32.const 4))`)}`)}
      (i32.store (i32.add ${get('out')} (i32.shl ${get('r')} (i32.const 2))) ${get('h')})
      ${set('r', `(i32.add ${get('r')} (i32.const 1))`)}`)})`;

/** The statistics kernels as WAT module fields, by name. */
export function statsKernels(): Record<Extract<KernelName, 'moments' | 'histogram' | 'count_outside' | 'count_dead' | 'row_hash'>, string> {
  return { moments: moments(), histogram: histogram(), count_outside: countOutside(), count_dead: countDead(), row_hash: rowHash() };
}
