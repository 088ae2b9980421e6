// WAT for the SIMD128 float32 GEMM micro-kernels, each keeping its block of C in registers:
//   gemm_nn: C[M×N] (+)= A[M×K]·B[K×N], 4 rows × 8 columns per block: B rows by vector loads, A by splat loads;
//            B copied panel by panel into a contiguous buffer first (see gemmNN).
//   gemm_nn_moments: the same product reduced to its moments block by block, never stored.
//   gemm_nt: C[M×N] += A[M×K]·B[N×K]ᵀ, 4 rows × 2 columns per block as SIMD dot products over K; column pairs
//            outer, so each pair of B rows is read from memory once and serves every row block from cache.
// Shapes must be padded by the caller: gemm_nn(_moments) needs M % 4 = 0 and N % 8 = 0; gemm_nt needs M % 4 = 0, N % 2 = 0
// and K % 4 = 0. N is the number of columns to compute and ld the row stride (floats) of C (and of B for gemm_nn),
// so that threads can each take a range of columns. Pointers are byte offsets into the imported shared memory; all
// matrices are row-major float32.
// Following the measured advice for V8: the k loop bumps pointers and is not unrolled by hand.
'use strict';

const get = (n) => `(local.get $${n})`;
const set = (n, v) => `(local.set $${n} ${v})`;
const add = (a, b) => `(i32.add ${a} ${b})`;
const mul = (a, b) => `(i32.mul ${a} ${b})`;
const i32 = (n) => `(i32.const ${n})`;
const fma = (acc, a, b) => `(f32x4.add ${acc} (f32x4.mul ${a} ${b}))`;

/**
 * gemm_nn(a, b, c, M, N, K, ld, kc, pack, overwrite): C ← A·B when `overwrite`, else C += A·B. Blocks of kc along K; in each, for every 16 columns of B, their kc × 16
 * block is first copied into `pack` (this thread's own 2·kc·32 bytes) as two contiguous kc × 8 panels, one pass over
 * B's rows, so that every cache line of B is read from memory once whatever B's row stride (a power-of-two stride
 * maps B's rows onto a few cache sets and would evict them between panels); then 4 × 8 blocks of C run over the panels.
 * gemm_nn_moments(a, b, res, M, N, K, ld, kc, pack): the same product, never stored: each 4 × 8 block of C, still in
 * registers, is reduced to float64 sums of (c − shift) and (c − shift)², written at res like the `moments` kernel's
 * (mean, M2, min, max). Needs kc ≥ K (one K block).
 */
function gemmNN(moments = false) {
  const R = 4, V = 2;
  const locals = ['i', 'j', 'k0', 'kb', 'pb', 'pc', 'pend', 'lda', 'ldb', 'panels', 's', 'src', 'dst', 'rows', ...Array.from({ length: R }, (_, r) => `pa${r}`)].map((n) => `(local $${n} i32)`);
  const vecs = ['av', ...Array.from({ length: V }, (_, v) => `bv${v}`), ...(moments ? ['sv', 'qv', 'mv', 'mn', 'mx', ...Array.from({ length: 2 * R * V }, (_, k) => `d${k}`)] : [])];
  for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) vecs.push(`c${r}${v}`);
  const rowC = (r) => add(get('pc'), mul(i32(r), get('ldb')));
  let load = '', zero = '', store = '', kbody = '';
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < V; v++) {
      load += set(`c${r}${v}`, `(v128.load offset=${16 * v} ${rowC(r)})`) + '\n';
      zero += set(`c${r}${v}`, '(v128.const i32x4 0 0 0 0)') + '\n';
      store += `(v128.store offset=${16 * v} ${rowC(r)} ${get(`c${r}${v}`)})\n`;
    }
  }
  for (let v = 0; v < V; v++) kbody += set(`bv${v}`, `(v128.load offset=${16 * v} ${get('pb')})`) + '\n';
  for (let r = 0; r < R; r++) {
    kbody += set('av', `(v128.load32_splat ${get(`pa${r}`)})`) + '\n';
    for (let v = 0; v < V; v++) kbody += set(`c${r}${v}`, fma(get(`c${r}${v}`), get('av'), get(`bv${v}`))) + '\n';
    kbody += set(`pa${r}`, add(get(`pa${r}`), i32(4))) + '\n';
  }
  kbody += set('pb', add(get('pb'), i32(32))) + '\n';
  const pa = Array.from({ length: R }, (_, r) => set(`pa${r}`, add(add(get('a'), mul(add(get('i'), i32(r)), get('lda'))), mul(get('k0'), i32(4))))).join('\n');
  const copy = (from, to, offset) => `(v128.store offset=${to} ${get('dst')} (v128.load offset=${from + offset} ${get('src')}))`;
  const cs = [];
  for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) cs.push(get(`c${r}${v}`));
  const hi2 = (x) => `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${x} ${x})`;
  const halves = cs.flatMap((x) => [`(f64x2.promote_low_f32x4 ${x})`, `(f64x2.promote_low_f32x4 ${hi2(x)})`]);
  const lanes = (x) => `(f64.add (f64x2.extract_lane 0 ${x}) (f64x2.extract_lane 1 ${x}))`;
  // The block's 32 values, shifted by the product's first value (0 if not finite): their sum and sum of squares in
  // float64, added pairwise (a short dependency chain) into running vector sums; mean = shift + S/n, M2 = Q − S²/n.
  const tree = (xs) => (xs.length === 1 ? xs[0] : tree(xs.reduce((out, x, i) => (i % 2 ? [...out.slice(0, -1), `(f64x2.add ${out[out.length - 1]} ${x})`] : [...out, x]), [])));
  const blockMoments = `
            (if ${get('first')} (then
              ${set('shift', `(f64.promote_f32 (f32x4.extract_lane 0 ${cs[0]}))`)}
              (if (f64.ne (f64.sub ${get('shift')} ${get('shift')}) (f64.const 0)) (then ${set('shift', '(f64.const 0)')}))
              ${set('mv', `(f64x2.splat ${get('shift')})`)}
              ${set('first', i32(0))}))
            ${halves.map((h, k) => set(`d${k}`, `(f64x2.sub ${h} ${get('mv')})`)).join('\n')}
            ${set('sv', `(f64x2.add ${get('sv')} ${tree(halves.map((_, k) => get(`d${k}`)))})`)}
            ${set('qv', `(f64x2.add ${get('qv')} ${tree(halves.map((_, k) => `(f64x2.mul ${get(`d${k}`)} ${get(`d${k}`)})`))})`)}
            ${set('cnt', `(f64.add ${get('cnt')} (f64.const ${R * V * 4}))`)}
            ${cs.map((x) => `${set('mn', `(f32x4.pmin ${get('mn')} ${x})`)} ${set('mx', `(f32x4.pmax ${get('mx')} ${x})`)}`).join('\n')}`;
  const lanesF = (x) => [0, 1, 2, 3].map((l) => `(f32x4.extract_lane ${l} ${x})`);
  const head = moments
    ? `(func (export "gemm_nn_moments") (param $a i32) (param $b i32) (param $res i32) (param $M i32) (param $N i32) (param $K i32) (param $ld i32) (param $kc i32) (param $pack i32)
    (local $c i32) (local $overwrite i32) (local $first i32) (local $cnt f64) (local $shift f64) (local $sum f64) (local $sq f64) (local $min f32) (local $max f32)`
    : '(func (export "gemm_nn") (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $N i32) (param $K i32) (param $ld i32) (param $kc i32) (param $pack i32) (param $overwrite i32)';
  const finish = moments ? `
    ${set('min', '(f32.const inf)')} ${set('max', '(f32.const -inf)')}
    ${lanesF(get('mn')).map((l) => `(if (f32.lt ${l} ${get('min')}) (then ${set('min', l)}))`).join(' ')}
    ${lanesF(get('mx')).map((l) => `(if (f32.gt ${l} ${get('max')}) (then ${set('max', l)}))`).join(' ')}
    ${set('sum', lanes(get('sv')))} ${set('sq', lanes(get('qv')))}
    (f64.store ${get('res')} (f64.add ${get('shift')} (f64.div ${get('sum')} ${get('cnt')})))
    (f64.store offset=8 ${get('res')} (f64.sub ${get('sq')} (f64.div (f64.mul ${get('sum')} ${get('sum')}) ${get('cnt')})))
    (f32.store offset=16 ${get('res')} ${get('min')}) (f32.store offset=20 ${get('res')} ${get('max')})` : '';
  return `
  ${head}
    ${locals.join(' ')} ${vecs.map((n) => `(local $${n} v128)`).join(' ')}
    ${moments ? `${set('overwrite', i32(1))} ${set('first', i32(1))} ${set('mn', '(f32x4.splat (f32.const inf))')} ${set('mx', '(f32x4.splat (f32.const -inf))')}` : ''}
    (if (i32.or (i32.eqz ${get('M')}) (i32.or (i32.eqz ${get('N')}) (i32.eqz ${get('K')}))) (then (return)))
    ${set('lda', mul(get('K'), i32(4)))}
    ${set('ldb', mul(get('ld'), i32(4)))}
    ${set('k0', i32(0))}
    (loop $kblocks
      ${set('kb', `(select ${get('kc')} (i32.sub ${get('K')} ${get('k0')}) (i32.lt_u ${get('kc')} (i32.sub ${get('K')} ${get('k0')})))`)}
      ${set('j', i32(0))}
      (loop $cols
        ;; pack B[k0 .. k0+kb, j .. j+16) (or the last 8 columns) as panels [2][kb][8]
        ${set('panels', `(select (i32.const 2) (i32.const 1) (i32.ge_u (i32.sub ${get('N')} ${get('j')}) (i32.const 16)))`)}
        ${set('src', add(add(get('b'), mul(get('k0'), get('ldb'))), mul(get('j'), i32(4))))}
        ${set('dst', get('pack'))}
        ${set('rows', get('kb'))}
        (loop $pack
          ${copy(0, 0, 0)} ${copy(16, 16, 0)}
          (if (i32.eq ${get('panels')} (i32.const 2)) (then
            (v128.store ${add(get('dst'), mul(get('kb'), i32(32)))} (v128.load offset=32 ${get('src')}))
            (v128.store offset=16 ${add(get('dst'), mul(get('kb'), i32(32)))} (v128.load offset=48 ${get('src')}))))
          ${set('src', add(get('src'), get('ldb')))}
          ${set('dst', add(get('dst'), i32(32)))}
          ${set('rows', `(i32.sub ${get('rows')} (i32.const 1))`)}
          (br_if $pack ${get('rows')}))
        ${set('s', i32(0))}
        (loop $panel
          ${set('i', i32(0))}
          (loop $rows
            ${set('pc', add(get('c'), mul(add(add(mul(get('i'), get('ld')), get('j')), mul(get('s'), i32(8))), i32(4))))}
            ;; C's old values are read unless this is the first K block of an overwriting product
            (if (i32.and ${get('overwrite')} (i32.eqz ${get('k0')})) (then ${zero}) (else ${load}))
            ${pa}
            ${set('pb', add(get('pack'), mul(mul(get('s'), get('kb')), i32(32))))}
            ${set('pend', add(get('pa0'), mul(get('kb'), i32(4))))}
            (loop $k
              ${kbody}
              (br_if $k (i32.ne ${get('pa0')} ${get('pend')})))
            ${moments ? blockMoments : store}
            ${set('i', add(get('i'), i32(R)))}
            (br_if $rows (i32.lt_u ${get('i')} ${get('M')})))
          ${set('s', add(get('s'), i32(1)))}
          (br_if $panel (i32.lt_u ${get('s')} ${get('panels')})))
        ${set('j', add(get('j'), i32(16)))}
        (br_if $cols (i32.lt_u ${get('j')} ${get('N')})))
      ${set('k0', add(get('k0'), get('kb')))}
      (br_if $kblocks (i32.lt_u ${get('k0')} ${get('K')})))${finish})`;
}

function gemmNT() {
  const R = 4, S = 2;
  const locals = ['i', 'j', 'pend', 'lda', ...Array.from({ length: R }, (_, r) => `pa${r}`), ...Array.from({ length: S }, (_, s) => `pb${s}`), 'pc'].map((n) => `(local $${n} i32)`);
  const vecs = [...Array.from({ length: R }, (_, r) => `a${r}`), ...Array.from({ length: S }, (_, s) => `b${s}`)];
  for (let r = 0; r < R; r++) for (let s = 0; s < S; s++) vecs.push(`c${r}${s}`);
  let zero = '', kbody = '', out = '';
  for (let r = 0; r < R; r++) for (let s = 0; s < S; s++) zero += set(`c${r}${s}`, '(v128.const i32x4 0 0 0 0)') + '\n';
  for (let r = 0; r < R; r++) kbody += set(`a${r}`, `(v128.load ${get(`pa${r}`)})`) + '\n';
  for (let s = 0; s < S; s++) kbody += set(`b${s}`, `(v128.load ${get(`pb${s}`)})`) + '\n';
  for (let r = 0; r < R; r++) for (let s = 0; s < S; s++) kbody += set(`c${r}${s}`, fma(get(`c${r}${s}`), get(`a${r}`), get(`b${s}`))) + '\n';
  for (let r = 0; r < R; r++) kbody += set(`pa${r}`, add(get(`pa${r}`), i32(16))) + '\n';
  for (let s = 0; s < S; s++) kbody += set(`pb${s}`, add(get(`pb${s}`), i32(16))) + '\n';
  const hsum = (v) => `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;
  for (let r = 0; r < R; r++) {
    for (let s = 0; s < S; s++) {
      const at = add(get('pc'), i32(4 * s));
      out += `(f32.store ${at} (f32.add (f32.load ${at}) ${hsum(get(`c${r}${s}`))}))\n`;
    }
    if (r < R - 1) out += set('pc', add(get('pc'), mul(get('ld'), i32(4)))) + '\n';
  }
  const pa = Array.from({ length: R }, (_, r) => set(`pa${r}`, add(get('a'), mul(add(get('i'), i32(r)), get('lda'))))).join('\n');
  const pb = Array.from({ length: S }, (_, s) => set(`pb${s}`, add(get('b'), mul(add(get('j'), i32(s)), get('lda'))))).join('\n');
  return `
  (func (export "gemm_nt") (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $N i32) (param $K i32) (param $ld i32)
    ${locals.join(' ')} ${vecs.map((n) => `(local $${n} v128)`).join(' ')}
    (if (i32.or (i32.eqz ${get('M')}) (i32.or (i32.eqz ${get('N')}) (i32.eqz ${get('K')}))) (then (return)))
    ${set('lda', mul(get('K'), i32(4)))}
    ${set('j', i32(0))}
    (loop $cols
      ${set('i', i32(0))}
      (loop $rows
        ${zero}
        ${pa}
        ${pb}
        ${set('pend', add(get('pa0'), get('lda')))}
        (loop $k
          ${kbody}
          (br_if $k (i32.ne ${get('pa0')} ${get('pend')})))
        ${set('pc', add(get('c'), mul(add(mul(get('i'), get('ld')), get('j')), i32(4))))}
        ${out}
        ${set('i', add(get('i'), i32(R)))}
        (br_if $rows (i32.lt_u ${get('i')} ${get('M')})))
      ${set('j', add(get('j'), i32(S)))}
      (br_if $cols (i32.lt_u ${get('j')} ${get('N')}))))`;
}


module.exports = { gemmWat: () => gemmNN() + gemmNN(true) + gemmNT() };
