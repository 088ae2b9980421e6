// WAT for the statistics kernels (each takes a range of the tensor, so that threads can split it; all write their
// result at byte `res`, which is the calling thread's own):
//   moments(x, n, res)            one pass in float64, shifted (see below): mean and M2 (f64 at res, res+8), min and
//                                 max (f32 at res+16, res+20; NaN ignored like the reference's `v < min`).
//   histogram(x, n, bins, res)    bin = ⌊(x − lo)·scale⌋ in float64, clamped to [0, bins); lo and scale are read as
//                                 f64 from res, res+8; from res+16, 4 × (bins + 1) i32 counts: one histogram per
//                                 SIMD lane, the last counter of each for NaN (not a bin).
//   count_outside(x, n, loBits, hiBits, res)   number of x < lo or x > hi (f32 bounds), i32 at res.
//   count_dead(z, batch, units, u0, u1, res)   units u in [u0, u1) with z[b][u] ≤ 0 for every b, i32 at res.
//   row_hash(w, cols, r0, r1, out)             a 32-bit hash of each row r in [r0, r1) of w (float bits, 4 × 4
//                                              interleaved FNV-1a lanes folded together), i32 at out + 4r.
'use strict';

const v = (n) => `(local.get $${n})`;
const set = (n, x) => `(local.set $${n} ${x})`;
const hi2 = (x) => `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${x} ${x})`;
const lanesF = (x) => [0, 1, 2, 3].map((l) => `(f32x4.extract_lane ${l} ${x})`);

// One pass, shifted by the first value (0 if that is not finite): with d = x − shift, mean = shift + Σd/n and
// M2 = Σd² − (Σd)²/n, accurate in float64 since the shift lies within the data.
const halvesOf = (x) => [`(f64x2.promote_low_f32x4 ${x})`, `(f64x2.promote_low_f32x4 ${hi2(x)})`];
const moments = `
  (func (export "moments") (param $x i32) (param $n i32) (param $res i32)
    (local $p i32) (local $end i32) (local $vend i32) (local $a f32) (local $d f64) (local $s f64) (local $q f64) (local $shift f64)
    (local $min f32) (local $max f32) (local $count f64)
    (local $v0 v128) (local $v1 v128) (local $s0 v128) (local $s1 v128) (local $q0 v128) (local $q1 v128)
    (local $mn v128) (local $mx v128) (local $sv v128) (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    ${set('end', `(i32.add ${v('x')} (i32.shl ${v('n')} (i32.const 2)))`)}
    ${set('vend', `(i32.add ${v('x')} (i32.shl (i32.and ${v('n')} (i32.const -8)) (i32.const 2)))`)}
    ${set('shift', `(f64.promote_f32 (f32.load ${v('x')}))`)}
    (if (f64.ne (f64.sub ${v('shift')} ${v('shift')}) (f64.const 0)) (then ${set('shift', '(f64.const 0)')}))
    ${set('sv', `(f64x2.splat ${v('shift')})`)}
    ${set('mn', '(f32x4.splat (f32.const inf))')} ${set('mx', '(f32x4.splat (f32.const -inf))')}
    ${set('p', v('x'))}
    (block $done (loop $step
      (br_if $done (i32.ge_u ${v('p')} ${v('vend')}))
      ${set('v0', `(v128.load ${v('p')})`)} ${set('v1', `(v128.load offset=16 ${v('p')})`)}
      ${[...halvesOf(v('v0')), ...halvesOf(v('v1'))].map((h, k) => set(`d${k}`, `(f64x2.sub ${h} ${v('sv')})`)).join('\n')}
      ${set('s0', `(f64x2.add ${v('s0')} (f64x2.add ${v('d0')} ${v('d1')}))`)}
      ${set('s1', `(f64x2.add ${v('s1')} (f64x2.add ${v('d2')} ${v('d3')}))`)}
      ${set('q0', `(f64x2.add ${v('q0')} (f64x2.add (f64x2.mul ${v('d0')} ${v('d0')}) (f64x2.mul ${v('d1')} ${v('d1')})))`)}
      ${set('q1', `(f64x2.add ${v('q1')} (f64x2.add (f64x2.mul ${v('d2')} ${v('d2')}) (f64x2.mul ${v('d3')} ${v('d3')})))`)}
      ${set('mn', `(f32x4.pmin (f32x4.pmin ${v('mn')} ${v('v0')}) ${v('v1')})`)}
      ${set('mx', `(f32x4.pmax (f32x4.pmax ${v('mx')} ${v('v0')}) ${v('v1')})`)}
      ${set('p', `(i32.add ${v('p')} (i32.const 32))`)}
      (br $step)))
    ${set('s0', `(f64x2.add ${v('s0')} ${v('s1')})`)} ${set('q0', `(f64x2.add ${v('q0')} ${v('q1')})`)}
    ${set('s', `(f64.add (f64x2.extract_lane 0 ${v('s0')}) (f64x2.extract_lane 1 ${v('s0')}))`)}
    ${set('q', `(f64.add (f64x2.extract_lane 0 ${v('q0')}) (f64x2.extract_lane 1 ${v('q0')}))`)}
    ${set('min', '(f32.const inf)')} ${set('max', '(f32.const -inf)')}
    ${lanesF(v('mn')).map((l) => `(if (f32.lt ${l} ${v('min')}) (then ${set('min', l)}))`).join(' ')}
    ${lanesF(v('mx')).map((l) => `(if (f32.gt ${l} ${v('max')}) (then ${set('max', l)}))`).join(' ')}
    (block $done (loop $tail
      (br_if $done (i32.ge_u ${v('p')} ${v('end')}))
      ${set('a', `(f32.load ${v('p')})`)}
      ${set('d', `(f64.sub (f64.promote_f32 ${v('a')}) ${v('shift')})`)}
      ${set('s', `(f64.add ${v('s')} ${v('d')})`)}
      ${set('q', `(f64.add ${v('q')} (f64.mul ${v('d')} ${v('d')}))`)}
      (if (f32.lt ${v('a')} ${v('min')}) (then ${set('min', v('a'))}))
      (if (f32.gt ${v('a')} ${v('max')}) (then ${set('max', v('a'))}))
      ${set('p', `(i32.add ${v('p')} (i32.const 4))`)}
      (br $tail)))
    ${set('count', `(f64.convert_i32_u ${v('n')})`)}
    (f64.store ${v('res')} (f64.add ${v('shift')} (f64.div ${v('s')} ${v('count')})))
    (f64.store offset=8 ${v('res')} (f64.sub ${v('q')} (f64.div (f64.mul ${v('s')} ${v('s')}) ${v('count')})))
    (f32.store offset=16 ${v('res')} ${v('min')})
    (f32.store offset=20 ${v('res')} ${v('max')}))`;

// Four sub-histograms (one per SIMD lane, so that repeated bins do not serialize on one counter), each bins + 1
// counters: the extra one takes NaN.
const histogram = `
  (func (export "histogram") (param $x i32) (param $n i32) (param $bins i32) (param $res i32)
    (local $p i32) (local $end i32) (local $vend i32) (local $lo f64) (local $scale f64) (local $a f64) (local $top f64)
    (local $at i32) (local $counts i32) (local $stride i32)
    (local $v v128) (local $h v128) (local $t0 v128) (local $t1 v128) (local $idx v128) (local $vlo v128) (local $vscale v128) (local $vtop v128) (local $vnan v128)
    ${set('lo', `(f64.load ${v('res')})`)} ${set('scale', `(f64.load offset=8 ${v('res')})`)}
    ${set('top', `(f64.convert_i32_u (i32.sub ${v('bins')} (i32.const 1)))`)}
    ${set('vlo', `(f64x2.splat ${v('lo')})`)} ${set('vscale', `(f64x2.splat ${v('scale')})`)} ${set('vtop', `(f64x2.splat ${v('top')})`)}
    ${set('vnan', `(f64x2.splat (f64.convert_i32_u ${v('bins')}))`)}
    ${set('counts', `(i32.add ${v('res')} (i32.const 16))`)}
    ${set('stride', `(i32.shl (i32.add ${v('bins')} (i32.const 1)) (i32.const 2))`)}
    (memory.fill ${v('counts')} (i32.const 0) (i32.shl ${v('stride')} (i32.const 2)))
    ${set('end', `(i32.add ${v('x')} (i32.shl ${v('n')} (i32.const 2)))`)}
    ${set('vend', `(i32.add ${v('x')} (i32.shl (i32.and ${v('n')} (i32.const -4)) (i32.const 2)))`)}
    ${set('p', v('x'))}
    (block $done (loop $step
      (br_if $done (i32.ge_u ${v('p')} ${v('vend')}))
      ${set('v', `(v128.load ${v('p')})`)}
      ${[['t0', v('v')], ['t1', hi2(v('v'))]].map(([t, src]) => [
        set('h', `(f64x2.promote_low_f32x4 ${src})`),
        set(t, `(f64x2.min (f64x2.max (f64x2.floor (f64x2.mul (f64x2.sub ${v('h')} ${v('vlo')}) ${v('vscale')})) (f64x2.splat (f64.const 0))) ${v('vtop')})`),
        set(t, `(v128.bitselect ${v('vnan')} ${v(t)} (f64x2.ne ${v('h')} ${v('h')}))`),
        set(t, `(i32x4.trunc_sat_f64x2_s_zero ${v(t)})`),
      ].join('\n')).join('\n')}
      ${set('idx', `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 ${v('t0')} ${v('t1')})`)}
      ${[0, 1, 2, 3].map((l) => `${set('at', `(i32.add (i32.add ${v('counts')} (i32.mul ${v('stride')} (i32.const ${l}))) (i32.shl (i32x4.extract_lane ${l} ${v('idx')}) (i32.const 2)))`)}
      (i32.store ${v('at')} (i32.add (i32.load ${v('at')}) (i32.const 1)))`).join('\n')}
      ${set('p', `(i32.add ${v('p')} (i32.const 16))`)}
      (br $step)))
    (block $done (loop $each
      (br_if $done (i32.ge_u ${v('p')} ${v('end')}))
      ${set('a', `(f64.promote_f32 (f32.load ${v('p')}))`)}
      ${set('p', `(i32.add ${v('p')} (i32.const 4))`)}
      (br_if $each (f64.ne ${v('a')} ${v('a')}))
      ${set('a', `(f64.min (f64.max (f64.floor (f64.mul (f64.sub ${v('a')} ${v('lo')}) ${v('scale')})) (f64.const 0)) ${v('top')})`)}
      ${set('at', `(i32.add ${v('counts')} (i32.shl (i32.trunc_f64_s ${v('a')}) (i32.const 2)))`)}
      (i32.store ${v('at')} (i32.add (i32.load ${v('at')}) (i32.const 1)))
      (br $each))))`;

const countOutside = `
  (func (export "count_outside") (param $x i32) (param $n i32) (param $loBits i32) (param $hiBits i32) (param $res i32)
    (local $p i32) (local $end i32) (local $vend i32) (local $lo f32) (local $hi f32) (local $a f32) (local $count i32)
    (local $acc v128) (local $vlo v128) (local $vhi v128) (local $x0 v128)
    ${set('lo', `(f32.reinterpret_i32 ${v('loBits')})`)} ${set('hi', `(f32.reinterpret_i32 ${v('hiBits')})`)}
    ${set('vlo', `(f32x4.splat ${v('lo')})`)} ${set('vhi', `(f32x4.splat ${v('hi')})`)}
    ${set('end', `(i32.add ${v('x')} (i32.shl ${v('n')} (i32.const 2)))`)}
    ${set('vend', `(i32.add ${v('x')} (i32.shl (i32.and ${v('n')} (i32.const -4)) (i32.const 2)))`)}
    ${set('p', v('x'))}
    (block $done (loop $step
      (br_if $done (i32.ge_u ${v('p')} ${v('vend')}))
      ${set('x0', `(v128.load ${v('p')})`)}
      ${set('acc', `(i32x4.sub ${v('acc')} (v128.or (f32x4.lt ${v('x0')} ${v('vlo')}) (f32x4.gt ${v('x0')} ${v('vhi')})))`)}
      ${set('p', `(i32.add ${v('p')} (i32.const 16))`)}
      (br $step)))
    ${set('count', [0, 1, 2, 3].map((l) => `(i32x4.extract_lane ${l} ${v('acc')})`).reduce((a, b) => `(i32.add ${a} ${b})`))}
    (block $done (loop $tail
      (br_if $done (i32.ge_u ${v('p')} ${v('end')}))
      ${set('a', `(f32.load ${v('p')})`)}
      ${set('count', `(i32.add ${v('count')} (i32.or (f32.lt ${v('a')} ${v('lo')}) (f32.gt ${v('a')} ${v('hi')})))`)}
      ${set('p', `(i32.add ${v('p')} (i32.const 4))`)}
      (br $tail)))
    (i32.store ${v('res')} ${v('count')}))`;

const countDead = `
  (func (export "count_dead") (param $z i32) (param $batch i32) (param $units i32) (param $u0 i32) (param $u1 i32) (param $res i32)
    (local $u i32) (local $b i32) (local $p i32) (local $stride i32) (local $count i32) (local $alive i32) (local $alivev v128)
    ${set('stride', `(i32.shl ${v('units')} (i32.const 2))`)}
    ${set('u', v('u0'))}
    (block $done (loop $quad
      (br_if $done (i32.gt_u (i32.add ${v('u')} (i32.const 4)) ${v('u1')}))
      ${set('alivev', '(v128.const i32x4 0 0 0 0)')}
      ${set('p', `(i32.add ${v('z')} (i32.shl ${v('u')} (i32.const 2)))`)}
      ${set('b', '(i32.const 0)')}
      (block $rows (loop $row
        (br_if $rows (i32.ge_u ${v('b')} ${v('batch')}))
        ${set('alivev', `(v128.or ${v('alivev')} (f32x4.gt (v128.load ${v('p')}) (f32x4.splat (f32.const 0))))`)}
        ${set('p', `(i32.add ${v('p')} ${v('stride')})`)}
        ${set('b', `(i32.add ${v('b')} (i32.const 1))`)}
        (br $row)))
      ${set('count', `(i32.add ${v('count')} (i32.add (i32.const 4) ${[0, 1, 2, 3].map((l) => `(i32x4.extract_lane ${l} ${v('alivev')})`).reduce((a, b) => `(i32.add ${a} ${b})`)}))`)}
      ${set('u', `(i32.add ${v('u')} (i32.const 4))`)}
      (br $quad)))
    (block $done (loop $single
      (br_if $done (i32.ge_u ${v('u')} ${v('u1')}))
      ${set('alive', '(i32.const 0)')}
      ${set('p', `(i32.add ${v('z')} (i32.shl ${v('u')} (i32.const 2)))`)}
      ${set('b', '(i32.const 0)')}
      (block $rows (loop $row
        (br_if $rows (i32.ge_u ${v('b')} ${v('batch')}))
        ${set('alive', `(i32.or ${v('alive')} (f32.gt (f32.load ${v('p')}) (f32.const 0)))`)}
        ${set('p', `(i32.add ${v('p')} ${v('stride')})`)}
        ${set('b', `(i32.add ${v('b')} (i32.const 1))`)}
        (br $row)))
      ${set('count', `(i32.add ${v('count')} (i32.eqz ${v('alive')}))`)}
      ${set('u', `(i32.add ${v('u')} (i32.const 1))`)}
      (br $single)))
    (i32.store ${v('res')} ${v('count')}))`;

const FNV_PRIME = '0x01000193';
const rowHash = `
  (func (export "row_hash") (param $w i32) (param $cols i32) (param $r0 i32) (param $r1 i32) (param $out i32)
    (local $r i32) (local $p i32) (local $vend i32) (local $end i32) (local $h i32) (local $l i32)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128) (local $prime v128)
    ${set('prime', `(i32x4.splat (i32.const ${FNV_PRIME}))`)}
    ${set('r', v('r0'))}
    (block $done (loop $rows
      (br_if $done (i32.ge_u ${v('r')} ${v('r1')}))
      ${set('p', `(i32.add ${v('w')} (i32.mul ${v('r')} (i32.shl ${v('cols')} (i32.const 2))))`)}
      ${set('end', `(i32.add ${v('p')} (i32.shl ${v('cols')} (i32.const 2)))`)}
      ${set('vend', `(i32.add ${v('p')} (i32.shl (i32.and ${v('cols')} (i32.const -16)) (i32.const 2)))`)}
      ${['h0', 'h1', 'h2', 'h3'].map((h, k) => set(h, `(v128.const i32x4 ${[0, 1, 2, 3].map((l) => 0x811c9dc5 + 4 * k + l).join(' ')})`)).join(' ')}
      (block $vdone (loop $step
        (br_if $vdone (i32.ge_u ${v('p')} ${v('vend')}))
        ${['h0', 'h1', 'h2', 'h3'].map((h, k) => set(h, `(i32x4.mul (v128.xor ${v(h)} (v128.load offset=${16 * k} ${v('p')})) ${v('prime')})`)).join('\n')}
        ${set('p', `(i32.add ${v('p')} (i32.const 64))`)}
        (br $step)))
      ${set('h0', `(v128.xor (v128.xor ${v('h0')} (i32x4.mul ${v('h1')} ${v('prime')})) (v128.xor (i32x4.mul ${v('h2')} (i32x4.splat (i32.const 0x9e3779b1))) (i32x4.mul ${v('h3')} (i32x4.splat (i32.const 0x85ebca6b)))))`)}
      ${set('h', '(i32.const 0x811c9dc5)')}
      ${[0, 1, 2, 3].map((l) => set('h', `(i32.mul (i32.xor ${v('h')} (i32x4.extract_lane ${l} ${v('h0')})) (i32.const ${FNV_PRIME}))`)).join(' ')}
      (block $sdone (loop $single
        (br_if $sdone (i32.ge_u ${v('p')} ${v('end')}))
        ${set('h', `(i32.mul (i32.xor ${v('h')} (i32.load ${v('p')})) (i32.const ${FNV_PRIME}))`)}
        ${set('p', `(i32.add ${v('p')} (i32.const 4))`)}
        (br $single)))
      (i32.store (i32.add ${v('out')} (i32.shl ${v('r')} (i32.const 2))) ${v('h')})
      ${set('r', `(i32.add ${v('r')} (i32.const 1))`)}
      (br $rows))))`;

/** The statistics kernels as WAT module fields. */
function statsWat() {
  return moments + histogram + countOutside + countDead + rowHash;
}

module.exports = { statsWat };
