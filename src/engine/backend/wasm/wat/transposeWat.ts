import { type KernelName } from '../kernelAbi';
import { add, get, i32, kernelHeader, locals, mul, set, whileLoop } from './watHelpers';

// The transpose (the backend's `transpose`, contract in kernelAbi.ts) over a range of the input's rows, so that threads
// can split it: whole 4 × 4 blocks by four vector loads, eight shuffles and four vector stores, the edges one float
// at a time.

/** Lanes (f32) of a and b as i8x16.shuffle byte indices: lane l of a is l, of b is 4 + l. */
function lanes(...l: number[]): string {
  return l.flatMap((lane) => [0, 1, 2, 3].map((b) => 4 * lane + b)).join(' ');
}

/** y[c·ldy + r] = x[r·cols + c] for rows r in [r0, r1) of x (rows × cols, row-major). */
function transpose(): string {
  const block = `
        ${set('p', add(get('x'), mul(i32(4), add(mul(get('r'), get('cols')), get('c')))))}
        ${set('a0', '(v128.load (local.get $p))')}
        ${set('a1', `(v128.load ${add(get('p'), get('rowBytes'))})`)}
        ${set('a2', `(v128.load ${add(get('p'), mul(get('rowBytes'), i32(2)))})`)}
        ${set('a3', `(v128.load ${add(get('p'), mul(get('rowBytes'), i32(3)))})`)}
        ${set('t0', `(i8x16.shuffle ${lanes(0, 4, 1, 5)} ${get('a0')} ${get('a1')})`)}
        ${set('t1', `(i8x16.shuffle ${lanes(2, 6, 3, 7)} ${get('a0')} ${get('a1')})`)}
        ${set('t2', `(i8x16.shuffle ${lanes(0, 4, 1, 5)} ${get('a2')} ${get('a3')})`)}
        ${set('t3', `(i8x16.shuffle ${lanes(2, 6, 3, 7)} ${get('a2')} ${get('a3')})`)}
        ${set('q', add(get('y'), mul(i32(4), add(mul(get('c'), get('ldy')), get('r')))))}
        (v128.store (local.get $q) (i8x16.shuffle ${lanes(0, 1, 4, 5)} ${get('t0')} ${get('t2')}))
        (v128.store ${add(get('q'), get('outBytes'))} (i8x16.shuffle ${lanes(2, 3, 6, 7)} ${get('t0')} ${get('t2')}))
        (v128.store ${add(get('q'), mul(get('outBytes'), i32(2)))} (i8x16.shuffle ${lanes(0, 1, 4, 5)} ${get('t1')} ${get('t3')}))
        (v128.store ${add(get('q'), mul(get('outBytes'), i32(3)))} (i8x16.shuffle ${lanes(2, 3, 6, 7)} ${get('t1')} ${get('t3')}))`;
  const one = (r: string, c: string): string =>
    `(f32.store ${add(get('y'), mul(i32(4), add(mul(c, get('ldy')), r)))} (f32.load ${add(get('x'), mul(i32(4), add(mul(r, get('cols')), c)))}))`;
  return `
  ${kernelHeader('transpose')}
    ${locals('i32', ['r', 'c', 'rEnd', 'cEnd', 'p', 'q', 'rowBytes', 'outBytes', 'i'])} ${locals('v128', ['a0', 'a1', 'a2', 'a3', 't0', 't1', 't2', 't3'])}
    ${set('rowBytes', mul(get('cols'), i32(4)))}
    ${set('outBytes', mul(get('ldy'), i32(4)))}
    ;; whole blocks of 4 rows and 4 columns
    ${set('rEnd', add(get('r0'), `(i32.and (i32.sub ${get('r1')} ${get('r0')}) (i32.const -4))`))}
    ${set('cEnd', `(i32.and ${get('cols')} (i32.const -4))`)}
    ${set('r', get('r0'))}
    ${whileLoop('rowBlocks', `(i32.ge_u ${get('r')} ${get('rEnd')})`, `
      ${set('c', i32(0))}
      ${whileLoop('colBlocks', `(i32.ge_u ${get('c')} ${get('cEnd')})`, `${block}
        ${set('c', add(get('c'), i32(4)))}`)}
      ;; the last cols mod 4 columns of these 4 rows
      ${whileLoop('colRest', `(i32.ge_u ${get('c')} ${get('cols')})`, `
        ${set('i', i32(0))}
        ${whileLoop('rowsOfBlock', `(i32.ge_u ${get('i')} (i32.const 4))`, `
          ${one(add(get('r'), get('i')), get('c'))}
          ${set('i', add(get('i'), i32(1)))}`)}
        ${set('c', add(get('c'), i32(1)))}`)}
      ${set('r', add(get('r'), i32(4)))}`)}
    ;; the last (r1 − r0) mod 4 rows
    ${whileLoop('rowRest', `(i32.ge_u ${get('r')} ${get('r1')})`, `
      ${set('c', i32(0))}
      ${whileLoop('colsOfRow', `(i32.ge_u ${get('c')} ${get('cols')})`, `
        ${one(get('r'), get('c'))}
        ${set('c', add(get('c'), i32(1)))}`)}
      ${set('r', add(get('r'), i32(1)))}`)})`;
}

/** The transpose kernel as a WAT module field, by name. */
export function transposeKernels(): Record<Extract<KernelName, 'transpose'>, string> {
  return { transpose: transpose() };
}
