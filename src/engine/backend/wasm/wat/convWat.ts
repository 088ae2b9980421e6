import { CONV_GEOMETRY_FIELDS, type KernelName } from '../kernelAbi';
import { add, get, i32, kernelHeader, locals, mul, offset, set, sub, whileLoop } from './watHelpers';

// The convolution's data movement, the backend's `im2col` / `col2im` (computeBackend.ts) (contracts in kernelAbi.ts), each over a range of
// channels so that threads can split them. With stride 1 each output row is zeros, a SIMD copy (or add), zeros.

type GeometryField = (typeof CONV_GEOMETRY_FIELDS)[number];
/** The locals the geometry is loaded into, in the formulas' short names. */
const SHORT: Record<GeometryField, string> = {
  channels: 'C', height: 'H', width: 'W', kernelHeight: 'kh', kernelWidth: 'kw', strideHeight: 'sh', strideWidth: 'sw', padTop: 'pt', padLeft: 'pl', outHeight: 'oh', outWidth: 'ow',
};

const max = (a: string, b: string): string => `(select ${a} ${b} (i32.gt_s ${a} ${b}))`;
const min = (a: string, b: string): string => `(select ${a} ${b} (i32.lt_s ${a} ${b}))`;
/** i32 a ≥ b, signed. */
const atLeast = (a: string, b: string): string => `(i32.ge_s ${a} ${b})`;
/** local n ← n + step. */
const bump = (n: string, step: string): string => set(n, add(get(n), step));

/**
 * The loops both kernels share: for every (c, i, j, oy), `rowOutside` runs when the input row is padding, and
 * otherwise `rowStride1` (stride 1) or `rowStrided` once per ox (with local xx, the input column); locals: dst (the
 * cols row, bytes), src (the `image` row), lo..hi the valid ox range for stride 1.
 */
function convLoops(name: Extract<KernelName, 'im2col' | 'col2im'>, image: 'x' | 'dx', rowOutside: string, rowStride1: string, rowStrided: string): string {
  const geometry = CONV_GEOMETRY_FIELDS.map((f) => SHORT[f]);
  return `
  ${kernelHeader(name)}
    ${locals('i32', [...geometry, 'c', 'i', 'j', 'oy', 'ox', 'y', 'xx', 'lo', 'hi', 'dst', 'src', 'p', 'q', 'end', 'vend'])}
    ${geometry.map((g, k) => set(g, `(i32.load ${offset(4 * k)}${get('geom')})`)).join(' ')}
    ${set('c', get('c0'))}
    ${whileLoop('channels', atLeast(get('c'), get('c1')), `
      ${set('i', i32(0))}
      ${whileLoop('kernelRows', atLeast(get('i'), get('kh')), `
        ${set('j', i32(0))}
        ${whileLoop('kernelCols', atLeast(get('j'), get('kw')), `
          ;; valid ox for stride 1: 0 ≤ ox + j − pl < W
          ${set('lo', min(max(i32(0), sub(get('pl'), get('j'))), get('ow')))}
          ${set('hi', min(get('ow'), sub(add(get('W'), get('pl')), get('j'))))}
          ${set('hi', max(get('hi'), get('lo')))}
          ${set('oy', i32(0))}
          ${whileLoop('outRows', atLeast(get('oy'), get('oh')), `
            ${set('dst', add(get('cols'), mul(i32(4), add(mul(add(mul(add(mul(get('c'), get('kh')), get('i')), get('kw')), get('j')), mul(get('oh'), get('ow'))), mul(get('oy'), get('ow'))))))}
            ${set('y', sub(add(mul(get('oy'), get('sh')), get('i')), get('pt')))}
            (if (i32.or (i32.lt_s ${get('y')} (i32.const 0)) ${atLeast(get('y'), get('H'))})
              (then ${rowOutside})
              (else
                ${set('src', add(get(image), mul(i32(4), mul(add(mul(get('c'), get('H')), get('y')), get('W')))))}
                (if (i32.eq ${get('sw')} (i32.const 1)) (then ${rowStride1}) (else
                  ${set('ox', i32(0))}
                  ${whileLoop('outCols', atLeast(get('ox'), get('ow')), `
                    ${set('xx', sub(add(mul(get('ox'), get('sw')), get('j')), get('pl')))}
                    ${rowStrided}
                    ${bump('ox', i32(1))}`)}))))
            ${bump('oy', i32(1))}`)}
          ${bump('j', i32(1))}`)}
        ${bump('i', i32(1))}`)}
      ${bump('c', i32(1))}`)})`;
}

/** Zeros over bytes [from, to) (short runs: the padding), one float at a time. */
const zeros = (from: string, to: string): string => `
   ${set('p', from)} ${set('end', to)}
   ${whileLoop('zero', atLeast(get('p'), get('end')), `(f32.store ${get('p')} (f32.const 0)) ${bump('p', i32(4))}`)}`;

/**
 * A stride-1 row over the valid range [lo, hi): p walks the cols row, q the image row; `vector` and `scalar` move 4
 * floats or 1 between them.
 */
const validRange = (vector: string, scalar: string): string => `
   ${set('p', add(get('dst'), mul(get('lo'), i32(4))))}
   ${set('q', add(get('src'), mul(sub(add(get('lo'), get('j')), get('pl')), i32(4))))}
   ${set('end', add(get('dst'), mul(get('hi'), i32(4))))}
   ${set('vend', sub(get('end'), i32(12)))}
   ${whileLoop('vector', atLeast(get('p'), get('vend')), `${vector} ${bump('p', i32(16))} ${bump('q', i32(16))}`)}
   ${whileLoop('scalar', atLeast(get('p'), get('end')), `${scalar} ${bump('p', i32(4))} ${bump('q', i32(4))}`)}`;

/** Input column xx lies in the image. */
const inside = `(i32.and (i32.ge_s ${get('xx')} (i32.const 0)) (i32.lt_s ${get('xx')} ${get('W')}))`;

// Rows are short (a feature map's width), and memory.copy / memory.fill on a shared memory cost a runtime call each,
// so rows are copied with SIMD loads and stores instead.
const im2col = (): string => convLoops('im2col', 'x',
  zeros(get('dst'), add(get('dst'), mul(get('ow'), i32(4)))),
  `${zeros(get('dst'), add(get('dst'), mul(get('lo'), i32(4))))}
   ${validRange(`(v128.store ${get('p')} (v128.load ${get('q')}))`, `(f32.store ${get('p')} (f32.load ${get('q')}))`)}
   ${zeros(add(get('dst'), mul(get('hi'), i32(4))), add(get('dst'), mul(get('ow'), i32(4))))}`,
  `(f32.store ${add(get('dst'), mul(get('ox'), i32(4)))} (if (result f32) ${inside}
     (then (f32.load ${add(get('src'), mul(get('xx'), i32(4)))})) (else (f32.const 0))))`);

// dx row += cols row over [lo, hi).
const col2im = (): string => convLoops('col2im', 'dx',
  '',
  validRange(`(v128.store ${get('q')} (f32x4.add (v128.load ${get('q')}) (v128.load ${get('p')})))`, `(f32.store ${get('q')} (f32.add (f32.load ${get('q')}) (f32.load ${get('p')})))`),
  `(if ${inside} (then
     (f32.store ${add(get('src'), mul(get('xx'), i32(4)))} (f32.add (f32.load ${add(get('src'), mul(get('xx'), i32(4)))}) (f32.load ${add(get('dst'), mul(get('ox'), i32(4)))})))))`);

/** The two convolution kernels as WAT module fields, by name. */
export function convKernels(): Record<Extract<KernelName, 'im2col' | 'col2im'>, string> {
  return { im2col: im2col(), col2im: col2im() };
}
