import { expf, get, i32, locals, set } from './watHelpers';

// The routines the attention kernels (attentionWat.ts) call, as internal WebAssembly functions: $att_mm, a product of
// workspace matrices on 4 × 8 blocks of registers with the causal shortcuts; $att_tr, a transpose by 4 × 4 shuffles;
// $att_pack / $att_unpack / $att_zero, copies between the tensors and the zero-padded workspace; $att_exp_row and
// $att_div_row, a softmax row in float32 (Cephes expf).

/** $att_mm modes (bits): skip blocks with every column above the diagonal; A is zero right of the diagonal (sum over
 *  k < i + 4 only); A is zero left of the diagonal (k ≥ i only); add to C instead of overwriting it. */
export const SKIP_UPPER = 1, A_LOWER = 2, A_UPPER = 4, ACCUMULATE = 8;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
/** i8x16.shuffle byte indices for f32 lanes (lane l of the first operand is l, of the second 4 + l). */
const lanes = (...l: number[]): string => l.flatMap((lane) => [0, 1, 2, 3].map((b) => 4 * lane + b)).join(' ');

/**
 * $att_mm: C = scale·A·B (or C += A·B with ACCUMULATE, scale 1) for an M × N block of C (M a multiple of 4, N of 8),
 * A M × K, B K × N; strides in bytes. Each 4 × 8 block of C is summed in registers over its k range.
 */
function matmul(): string {
  const cs = range(4).flatMap((r) => [0, 1].map((v) => `c${r}${v}`));
  const rowC = (r: number): string => `(i32.add ${get('pc')} (i32.mul (i32.const ${r}) ${get('ldc')}))`;
  const kbody = [
    set('b0', `(v128.load ${get('pb')})`),
    set('b1', `(v128.load offset=16 ${get('pb')})`),
    ...range(4).flatMap((r) => [
      set('av', `(v128.load32_splat ${get(`pa${r}`)})`),
      set(`c${r}0`, `(f32x4.add ${get(`c${r}0`)} (f32x4.mul ${get('av')} ${get('b0')}))`),
      set(`c${r}1`, `(f32x4.add ${get(`c${r}1`)} (f32x4.mul ${get('av')} ${get('b1')}))`),
      set(`pa${r}`, `(i32.add ${get(`pa${r}`)} (i32.const 4))`),
    ]),
    set('pb', `(i32.add ${get('pb')} ${get('ldb')})`),
  ].join('\n');
  const init = range(4).flatMap((r) => [0, 1].map((v) => set(`c${r}${v}`, `(if (result v128) ${get('acc')} (then (v128.load offset=${16 * v} ${rowC(r)})) (else (v128.const i32x4 0 0 0 0)))`))).join('\n');
  const store = range(4).flatMap((r) => [0, 1].map((v) => `(v128.store offset=${16 * v} ${rowC(r)} (f32x4.mul ${get(`c${r}${v}`)} ${get('sv')}))`)).join('\n');
  return `
  (func $att_mm (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
      (param $M i32) (param $N i32) (param $K i32) (param $mode i32) (param $scale f32)
    ${locals('i32', ['i', 'j', 'k0', 'k1', 'pb', 'pc', 'pend', 'acc', ...range(4).map((r) => `pa${r}`)])} ${locals('v128', ['av', 'b0', 'b1', 'sv', ...cs])}
    ${set('sv', `(f32x4.splat ${get('scale')})`)}
    ${set('acc', `(i32.and ${get('mode')} (i32.const ${ACCUMULATE}))`)}
    ${set('i', i32(0))}
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u ${get('i')} ${get('M')}))
      ${set('k0', `(select ${get('i')} (i32.const 0) (i32.and ${get('mode')} (i32.const ${A_UPPER})))`)}
      ${set('k1', get('K'))}
      (if (i32.and ${get('mode')} (i32.const ${A_LOWER})) (then
        (if (i32.lt_u (i32.add ${get('i')} (i32.const 4)) ${get('k1')}) (then ${set('k1', `(i32.add ${get('i')} (i32.const 4))`)}))))
      ${set('j', i32(0))}
      (block $colsDone (loop $cols
        (br_if $colsDone (i32.ge_u ${get('j')} ${get('N')}))
        (br_if $colsDone (i32.and (i32.and ${get('mode')} (i32.const ${SKIP_UPPER})) (i32.ge_u ${get('j')} (i32.add ${get('i')} (i32.const 4)))))
        ${set('pc', `(i32.add (i32.add ${get('c')} (i32.mul ${get('i')} ${get('ldc')})) (i32.shl ${get('j')} (i32.const 2)))`)}
        ${init}
        (if (i32.lt_u ${get('k0')} ${get('k1')}) (then
          ${range(4).map((r) => set(`pa${r}`, `(i32.add (i32.add ${get('a')} (i32.mul (i32.add ${get('i')} (i32.const ${r})) ${get('lda')})) (i32.shl ${get('k0')} (i32.const 2)))`)).join('\n')}
          ${set('pb', `(i32.add (i32.add ${get('b')} (i32.mul ${get('k0')} ${get('ldb')})) (i32.shl ${get('j')} (i32.const 2)))`)}
          ${set('pend', `(i32.add ${get('pa0')} (i32.shl (i32.sub ${get('k1')} ${get('k0')}) (i32.const 2)))`)}
          (loop $k
            ${kbody}
            (br_if $k (i32.ne ${get('pa0')} ${get('pend')})))))
        ${store}
        ${set('j', `(i32.add ${get('j')} (i32.const 8))`)}
        (br $cols)))
      ${set('i', `(i32.add ${get('i')} (i32.const 4))`)}
      (br $rows))))`;
}

/** $att_tr: dst (cols × rows) = the transpose of src (rows × cols), both multiples of 4, contiguous rows. */
function transposeBlocks(): string {
  return `
  (func $att_tr (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    ${locals('i32', ['r', 'c', 'p', 'q', 'sb', 'db'])} ${locals('v128', ['a0', 'a1', 'a2', 'a3', 't0', 't1', 't2', 't3'])}
    ${set('sb', `(i32.shl ${get('cols')} (i32.const 2))`)}
    ${set('db', `(i32.shl ${get('rows')} (i32.const 2))`)}
    ${set('r', i32(0))}
    (block $rDone (loop $r
      (br_if $rDone (i32.ge_u ${get('r')} ${get('rows')}))
      ${set('c', i32(0))}
      (block $cDone (loop $c
        (br_if $cDone (i32.ge_u ${get('c')} ${get('cols')}))
        ${set('p', `(i32.add ${get('src')} (i32.shl (i32.add (i32.mul ${get('r')} ${get('cols')}) ${get('c')}) (i32.const 2)))`)}
        ${range(4).map((k) => set(`a${k}`, `(v128.load (i32.add ${get('p')} (i32.mul ${get('sb')} (i32.const ${k}))))`)).join(' ')}
        ${set('t0', `(i8x16.shuffle ${lanes(0, 4, 1, 5)} ${get('a0')} ${get('a1')})`)}
        ${set('t1', `(i8x16.shuffle ${lanes(2, 6, 3, 7)} ${get('a0')} ${get('a1')})`)}
        ${set('t2', `(i8x16.shuffle ${lanes(0, 4, 1, 5)} ${get('a2')} ${get('a3')})`)}
        ${set('t3', `(i8x16.shuffle ${lanes(2, 6, 3, 7)} ${get('a2')} ${get('a3')})`)}
        ${set('q', `(i32.add ${get('dst')} (i32.shl (i32.add (i32.mul ${get('c')} ${get('rows')}) ${get('r')}) (i32.const 2)))`)}
        (v128.store ${get('q')} (i8x16.shuffle ${lanes(0, 1, 4, 5)} ${get('t0')} ${get('t2')}))
        (v128.store (i32.add ${get('q')} ${get('db')}) (i8x16.shuffle ${lanes(2, 3, 6, 7)} ${get('t0')} ${get('t2')}))
        (v128.store (i32.add ${get('q')} (i32.mul ${get('db')} (i32.const 2))) (i8x16.shuffle ${lanes(0, 1, 4, 5)} ${get('t1')} ${get('t3')}))
        (v128.store (i32.add ${get('q')} (i32.mul ${get('db')} (i32.const 3))) (i8x16.shuffle ${lanes(2, 3, 6, 7)} ${get('t1')} ${get('t3')}))
        ${set('c', `(i32.add ${get('c')} (i32.const 4))`)}
        (br $c)))
      ${set('r', `(i32.add ${get('r')} (i32.const 4))`)}
      (br $r))))`;
}

/**
 * $att_pack: rows [0, rows) × columns [0, cols) of src (row stride `ld` bytes) into dst (row stride `dstride` bytes,
 * a multiple of 32), the rest of dst's `prows` rows zero; $att_unpack copies rows × cols of src back to dst.
 */
function packing(): string {
  const copy = (from: string, fromStride: string, to: string, toStride: string, zeroTail: boolean): string => `
    ${set('r', i32(0))}
    (block $rDone (loop $r
      (br_if $rDone (i32.ge_u ${get('r')} ${get('rows')}))
      ${set('p', `(i32.add ${get(from)} (i32.mul ${get('r')} ${get(fromStride)}))`)}
      ${set('q', `(i32.add ${get(to)} (i32.mul ${get('r')} ${get(toStride)}))`)}
      ${set('c', i32(0))}
      (block $vDone (loop $v
        (br_if $vDone (i32.gt_u (i32.add ${get('c')} (i32.const 4)) ${get('cols')}))
        (v128.store (i32.add ${get('q')} (i32.shl ${get('c')} (i32.const 2))) (v128.load (i32.add ${get('p')} (i32.shl ${get('c')} (i32.const 2)))))
        ${set('c', `(i32.add ${get('c')} (i32.const 4))`)}
        (br $v)))
      (block $sDone (loop $s
        (br_if $sDone (i32.ge_u ${get('c')} ${get('cols')}))
        (f32.store (i32.add ${get('q')} (i32.shl ${get('c')} (i32.const 2))) (f32.load (i32.add ${get('p')} (i32.shl ${get('c')} (i32.const 2)))))
        ${set('c', `(i32.add ${get('c')} (i32.const 1))`)}
        (br $s)))
      ${zeroTail ? `(block $zDone (loop $z
        (br_if $zDone (i32.ge_u (i32.shl ${get('c')} (i32.const 2)) ${get('dstride')}))
        (f32.store (i32.add ${get('q')} (i32.shl ${get('c')} (i32.const 2))) (f32.const 0))
        ${set('c', `(i32.add ${get('c')} (i32.const 1))`)}
        (br $z)))` : ''}
      ${set('r', `(i32.add ${get('r')} (i32.const 1))`)}
      (br $r)))`;
  return `
  (func $att_pack (param $src i32) (param $ld i32) (param $rows i32) (param $cols i32) (param $dst i32) (param $dstride i32) (param $prows i32)
    ${locals('i32', ['r', 'c', 'p', 'q', 'end'])}
    ${copy('src', 'ld', 'dst', 'dstride', true)}
    ${set('p', `(i32.add ${get('dst')} (i32.mul ${get('rows')} ${get('dstride')}))`)}
    ${set('end', `(i32.add ${get('dst')} (i32.mul ${get('prows')} ${get('dstride')}))`)}
    (block $zDone (loop $z
      (br_if $zDone (i32.ge_u ${get('p')} ${get('end')}))
      (v128.store ${get('p')} (v128.const i32x4 0 0 0 0))
      ${set('p', `(i32.add ${get('p')} (i32.const 16))`)}
      (br $z))))
  (func $att_unpack (param $src i32) (param $sstride i32) (param $rows i32) (param $cols i32) (param $dst i32) (param $ld i32)
    ${locals('i32', ['r', 'c', 'p', 'q'])}
    ${copy('src', 'sstride', 'dst', 'ld', false)})
  (func $att_zero (param $p i32) (param $bytes i32)
    ${locals('i32', ['end'])}
    ${set('end', `(i32.add ${get('p')} ${get('bytes')})`)}
    (block $zDone (loop $z
      (br_if $zDone (i32.ge_u ${get('p')} ${get('end')}))
      (v128.store ${get('p')} (v128.const i32x4 0 0 0 0))
      ${set('p', `(i32.add ${get('p')} (i32.const 16))`)}
      (br $z))))`;
}

/** The lanes j .. j+3 that are visible keys (j + lane < visible), as an i32x4 mask. */
export const visibleLanes = `(i32x4.lt_s (i32x4.add (i32x4.splat ${get('j')}) (v128.const i32x4 0 1 2 3)) (i32x4.splat ${get('vis')}))`;
/** Sums the four lanes of f32x4 x in a fixed order. */
export const laneSum = (x: string): string => `(f32.add (f32.add (f32x4.extract_lane 0 ${x}) (f32x4.extract_lane 1 ${x})) (f32.add (f32x4.extract_lane 2 ${x}) (f32x4.extract_lane 3 ${x})))`;

/**
 * $att_exp_row: e_j = exp(s_j − m) into prow for the visible keys j < vis (zero for the other lanes of their last
 * vector, and for j up to n, a multiple of 8); returns l = Σ e_j. $att_div_row: prow_j ← prow_j / l up to vis.
 * Forward and backward both make P by these two, so their P agree bit for bit.
 */
function softmaxRows(): string {
  return `
  (func $att_exp_row (param $srow i32) (param $prow i32) (param $vis i32) (param $n i32) (param $m f32) (result f32)
    ${locals('i32', ['j'])} ${locals('v128', ['x', 'en', 'er', 'lv', 'mv', 'mask'])}
    ${set('mv', `(f32x4.splat ${get('m')})`)}
    ${set('lv', '(v128.const i32x4 0 0 0 0)')}
    ${set('j', i32(0))}
    (block $done (loop $each
      (br_if $done (i32.ge_s ${get('j')} ${get('vis')}))
      ${set('mask', visibleLanes)}
      ${set('x', `(f32x4.sub (v128.load (i32.add ${get('srow')} (i32.shl ${get('j')} (i32.const 2)))) ${get('mv')})`)}
      ${expf('x', 'en', 'er')}
      ${set('x', `(v128.and ${get('x')} ${get('mask')})`)}
      (v128.store (i32.add ${get('prow')} (i32.shl ${get('j')} (i32.const 2))) ${get('x')})
      ${set('lv', `(f32x4.add ${get('lv')} ${get('x')})`)}
      ${set('j', `(i32.add ${get('j')} (i32.const 4))`)}
      (br $each)))
    (call $att_zero (i32.add ${get('prow')} (i32.shl ${get('j')} (i32.const 2))) (i32.shl (i32.sub ${get('n')} ${get('j')}) (i32.const 2)))
    ${laneSum(get('lv'))})
  (func $att_div_row (param $prow i32) (param $vis i32) (param $l f32)
    ${locals('i32', ['j', 'p'])} ${locals('v128', ['lv'])}
    ${set('lv', `(f32x4.splat ${get('l')})`)}
    ${set('j', i32(0))}
    (block $done (loop $each
      (br_if $done (i32.ge_s ${get('j')} ${get('vis')}))
      ${set('p', `(i32.add ${get('prow')} (i32.shl ${get('j')} (i32.const 2)))`)}
      (v128.store ${get('p')} (f32x4.div (v128.load ${get('p')}) ${get('lv')}))
      ${set('j', `(i32.add ${get('j')} (i32.const 4))`)}
      (br $each))))`;
}

/** The WAT of every routine, as module fields (attention_forward's text carries them). */
export function attentionRoutines(): string {
  return matmul() + transposeBlocks() + packing() + softmaxRows();
}
