// WAT for the convolution's data movement (compute.ts `im2col` / `col2im`), each over channels [c0, c1) so that
// threads can split them; the geometry is 11 i32 at byte `geom`: channels, height, width, kh, kw, sh, sw, padTop,
// padLeft, outHeight, outWidth.
//   im2col(x, cols, geom, c0, c1)   cols[(c·kh + i)·kw + j][oy·ow + ox] = x[c][oy·sh + i − padTop][ox·sw + j − padLeft]
//                                   or 0 outside; with stride 1 each output row is zeros, a SIMD copy, zeros.
//   col2im(cols, dx, geom, c0, c1)  the adjoint: dx[c][y][x] += every cols entry im2col read from there (stride 1:
//                                   f32x4 adds over each row's valid range).
'use strict';

const v = (n) => `(local.get $${n})`;
const set = (n, x) => `(local.set $${n} ${x})`;
const add = (a, b) => `(i32.add ${a} ${b})`;
const sub = (a, b) => `(i32.sub ${a} ${b})`;
const mul = (a, b) => `(i32.mul ${a} ${b})`;
const i32 = (n) => `(i32.const ${n})`;
const max = (a, b) => `(select ${a} ${b} (i32.gt_s ${a} ${b}))`;
const min = (a, b) => `(select ${a} ${b} (i32.lt_s ${a} ${b}))`;
const GEOMETRY = ['C', 'H', 'W', 'kh', 'kw', 'sh', 'sw', 'pt', 'pl', 'oh', 'ow'];

/**
 * The loops shared by both kernels: for every (c, i, j, oy), `rowOutside` runs when the input row is padding and
 * `row` otherwise, with locals dst (the cols row, bytes), src (the x / dx row), lo..hi the valid ox range (stride 1).
 */
function convLoops(name, params, rowOutside, rowStride1, rowStrided) {
  const locals = [...GEOMETRY, 'c', 'i', 'j', 'oy', 'ox', 'y', 'xx', 'lo', 'hi', 'dst', 'src', 'p', 'q', 'end', 'vend'];
  return `
  (func (export "${name}") ${params.map((p) => `(param $${p} i32)`).join(' ')} (param $geom i32) (param $c0 i32) (param $c1 i32)
    ${locals.map((n) => `(local $${n} i32)`).join(' ')}
    ${GEOMETRY.map((g, k) => set(g, `(i32.load offset=${4 * k} ${v('geom')})`)).join(' ')}
    ${set('c', v('c0'))}
    (block $cDone (loop $cLoop (br_if $cDone (i32.ge_s ${v('c')} ${v('c1')}))
      ${set('i', i32(0))}
      (block $iDone (loop $iLoop (br_if $iDone (i32.ge_s ${v('i')} ${v('kh')}))
        ${set('j', i32(0))}
        (block $jDone (loop $jLoop (br_if $jDone (i32.ge_s ${v('j')} ${v('kw')}))
          ;; valid ox for stride 1: 0 ≤ ox + j − pl < W
          ${set('lo', min(max(i32(0), sub(v('pl'), v('j'))), v('ow')))}
          ${set('hi', min(v('ow'), sub(add(v('W'), v('pl')), v('j'))))}
          ${set('hi', max(v('hi'), v('lo')))}
          ${set('oy', i32(0))}
          (block $oyDone (loop $oyLoop (br_if $oyDone (i32.ge_s ${v('oy')} ${v('oh')}))
            ${set('dst', add(v('cols'), mul(i32(4), add(mul(add(mul(add(mul(v('c'), v('kh')), v('i')), v('kw')), v('j')), mul(v('oh'), v('ow'))), mul(v('oy'), v('ow'))))))}
            ${set('y', sub(add(mul(v('oy'), v('sh')), v('i')), v('pt')))}
            (if (i32.or (i32.lt_s ${v('y')} (i32.const 0)) (i32.ge_s ${v('y')} ${v('H')}))
              (then ${rowOutside})
              (else
                ${set('src', add(v(params.find((p) => p !== 'cols')), mul(i32(4), mul(add(mul(v('c'), v('H')), v('y')), v('W')))))}
                (if (i32.eq ${v('sw')} (i32.const 1)) (then ${rowStride1}) (else
                  ${set('ox', i32(0))}
                  (block $oxDone (loop $oxLoop (br_if $oxDone (i32.ge_s ${v('ox')} ${v('ow')}))
                    ${set('xx', sub(add(mul(v('ox'), v('sw')), v('j')), v('pl')))}
                    ${rowStrided}
                    ${set('ox', add(v('ox'), i32(1)))}
                    (br $oxLoop)))))))
            ${set('oy', add(v('oy'), i32(1)))}
            (br $oyLoop)))
          ${set('j', add(v('j'), i32(1)))}
          (br $jLoop)))
        ${set('i', add(v('i'), i32(1)))}
        (br $iLoop)))
      ${set('c', add(v('c'), i32(1)))}
      (br $cLoop))))`;
}

/** Zeros over bytes [p, end) (short runs: the padding), one float at a time. */
const zeros = (from, to) => `
   ${set('p', from)} ${set('end', to)}
   (block $zDone (loop $zLoop (br_if $zDone (i32.ge_s ${v('p')} ${v('end')}))
     (f32.store ${v('p')} (f32.const 0)) ${set('p', add(v('p'), i32(4)))} (br $zLoop)))`;

// Rows are short (a feature map's width), and memory.copy / memory.fill on a shared memory cost a runtime call each,
// so rows are copied with SIMD loads and stores instead.
const im2col = convLoops('im2col', ['x', 'cols'],
  zeros(v('dst'), add(v('dst'), mul(v('ow'), i32(4)))),
  `${zeros(v('dst'), add(v('dst'), mul(v('lo'), i32(4))))}
   ${set('p', add(v('dst'), mul(v('lo'), i32(4))))}
   ${set('q', add(v('src'), mul(sub(add(v('lo'), v('j')), v('pl')), i32(4))))}
   ${set('end', add(v('dst'), mul(v('hi'), i32(4))))}
   ${set('vend', sub(v('end'), i32(12)))}
   (block $cDone (loop $cLoop (br_if $cDone (i32.ge_s ${v('p')} ${v('vend')}))
     (v128.store ${v('p')} (v128.load ${v('q')}))
     ${set('p', add(v('p'), i32(16)))} ${set('q', add(v('q'), i32(16)))}
     (br $cLoop)))
   (block $sDone (loop $sLoop (br_if $sDone (i32.ge_s ${v('p')} ${v('end')}))
     (f32.store ${v('p')} (f32.load ${v('q')}))
     ${set('p', add(v('p'), i32(4)))} ${set('q', add(v('q'), i32(4)))}
     (br $sLoop)))
   ${zeros(add(v('dst'), mul(v('hi'), i32(4))), add(v('dst'), mul(v('ow'), i32(4))))}`,
  `(f32.store ${add(v('dst'), mul(v('ox'), i32(4)))} (if (result f32) (i32.and (i32.ge_s ${v('xx')} (i32.const 0)) (i32.lt_s ${v('xx')} ${v('W')}))
     (then (f32.load ${add(v('src'), mul(v('xx'), i32(4)))})) (else (f32.const 0))))`);

// dx row += cols row over [lo, hi): p walks cols, q walks dx.
const col2im = convLoops('col2im', ['cols', 'dx'],
  '',
  `${set('p', add(v('dst'), mul(v('lo'), i32(4))))}
   ${set('q', add(v('src'), mul(sub(add(v('lo'), v('j')), v('pl')), i32(4))))}
   ${set('end', add(v('dst'), mul(v('hi'), i32(4))))}
   ${set('vend', sub(v('end'), i32(12)))}
   (block $vDone (loop $vLoop (br_if $vDone (i32.ge_s ${v('p')} ${v('vend')}))
     (v128.store ${v('q')} (f32x4.add (v128.load ${v('q')}) (v128.load ${v('p')})))
     ${set('p', add(v('p'), i32(16)))} ${set('q', add(v('q'), i32(16)))}
     (br $vLoop)))
   (block $sDone (loop $sLoop (br_if $sDone (i32.ge_s ${v('p')} ${v('end')}))
     (f32.store ${v('q')} (f32.add (f32.load ${v('q')}) (f32.load ${v('p')})))
     ${set('p', add(v('p'), i32(4)))} ${set('q', add(v('q'), i32(4)))}
     (br $sLoop)))`,
  `(if (i32.and (i32.ge_s ${v('xx')} (i32.const 0)) (i32.lt_s ${v('xx')} ${v('W')})) (then
     (f32.store ${add(v('src'), mul(v('xx'), i32(4)))} (f32.add (f32.load ${add(v('src'), mul(v('xx'), i32(4)))}) (f32.load ${add(v('dst'), mul(v('ox'), i32(4)))})))))`);

/** The two convolution kernels as WAT module fields. */
function convWat() {
  return im2col + col2im;
}

module.exports = { convWat };
