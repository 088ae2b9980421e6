import { GEMM_NN_TILE, GEMM_NT_TILE, type KernelName } from '../kernelAbi';
import { add, f32Lanes, f64LaneSum, fadd, fmul, foldLanes, get, i32, kernelHeader, locals, mul, promoteHalves, set, storeMoments, sub, zeroUnlessFinite } from './watHelpers';

// The SIMD128 float32 GEMM micro-kernels (contracts in kernelAbi.ts), each keeping its block of C in registers:
//   gemm_nn: 4 rows × 8 columns per block, B rows by vector loads, A by splat loads, B copied panel by panel into a
//            contiguous buffer first; gemm_nn_moments reduces the same product to its moments block by block.
//   gemm_nt: 4 rows × 2 columns per block as SIMD dot products over K; column pairs outer, so each pair of B rows is
//            read from memory once and serves every row block from cache.
// N is the number of columns to compute and ld the row stride (floats) of C (and of B for gemm_nn), so that threads
// can each take a range of columns. Following the measured advice for V8: the k loop bumps pointers and is not
// unrolled by hand.

const R = GEMM_NN_TILE.rows, V = GEMM_NN_TILE.cols / 4;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A balanced tree of f64x2 additions over xs (a short dependency chain). */
function tree(xs: string[]): string {
  if (xs.length === 1) return xs[0];
  const pairs: string[] = [];
  xs.forEach((x, i) => (i % 2 ? pairs.push(`(f64x2.add ${pairs.pop()!} ${x})`) : pairs.push(x)));
  return tree(pairs);
}

/**
 * gemm_nn, or gemm_nn_moments when `moments`. Blocks of kc along K; in each, for every 16 columns of B, their kc × 16
 * block is first copied into `pack` as two contiguous kc × 8 panels, one pass over B's rows, so that every cache line
 * of B is read from memory once whatever B's row stride (a power-of-two stride maps B's rows onto a few cache sets and
 * would evict them between panels); then 4 × 8 blocks of C run over the panels. The moments variant reduces each
 * block of C, still in registers, to float64 sums of (c − shift) and (c − shift)², shift the product's first value
 * (0 if not finite): mean = shift + S/n, M2 = Q − S²/n.
 */
function gemmNN(moments: boolean, transB = false): string {
  const cs = range(R).flatMap((r) => range(V).map((v) => `c${r}${v}`));
  const ints = ['i', 'j', 'k0', 'kb', 'pb', 'pc', 'pend', 'lda', 'ldb', 'panels', 's', 'src', 'dst', 'rows', 'c4', ...range(R).map((r) => `pa${r}`)];
  const vecs = ['av', ...range(V).map((v) => `bv${v}`), ...(moments ? ['sv', 'qv', 'mv', 'mn', 'mx', ...range(2 * R * V).map((k) => `d${k}`)] : []), ...cs,
    ...(transB ? ['t0', 't1', 't2', 't3', 'u0', 'u1', 'u2', 'u3'] : [])];
  const rowC = (r: number): string => add(get('pc'), mul(i32(r), get('ldb')));
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
    for (let v = 0; v < V; v++) kbody += set(`c${r}${v}`, fadd(get(`c${r}${v}`), fmul(get('av'), get(`bv${v}`)))) + '\n';
    kbody += set(`pa${r}`, add(get(`pa${r}`), i32(4))) + '\n';
  }
  kbody += set('pb', add(get('pb'), i32(4 * GEMM_NN_TILE.cols))) + '\n';
  const pa = range(R).map((r) => set(`pa${r}`, add(add(get('a'), mul(add(get('i'), i32(r)), get('lda'))), mul(get('k0'), i32(4))))).join('\n');
  const copy = (from: number, to: number): string => `(v128.store offset=${to} ${get('dst')} (v128.load offset=${from} ${get('src')}))`;
  const halves = cs.flatMap((c) => promoteHalves(get(c)));
  const blockMoments = `
            (if ${get('first')} (then
              ${set('shift', `(f64.promote_f32 (f32x4.extract_lane 0 ${get(cs[0])}))`)}
              ${zeroUnlessFinite('shift')}
              ${set('mv', `(f64x2.splat ${get('shift')})`)}
              ${set('first', i32(0))}))
            ${halves.map((h, k) => set(`d${k}`, `(f64x2.sub ${h} ${get('mv')})`)).join('\n')}
            ${set('sv', `(f64x2.add ${get('sv')} ${tree(halves.map((_, k) => get(`d${k}`)))})`)}
            ${set('qv', `(f64x2.add ${get('qv')} ${tree(halves.map((_, k) => `(f64x2.mul ${get(`d${k}`)} ${get(`d${k}`)})`))})`)}
            ${set('cnt', `(f64.add ${get('cnt')} (f64.const ${R * V * 4}))`)}
            ${cs.map((c) => `${set('mn', `(f32x4.pmin ${get('mn')} ${get(c)})`)} ${set('mx', `(f32x4.pmax ${get('mx')} ${get(c)})`)}`).join('\n')}`;
  // gemm_nn_moments has no C and always starts from zero: c and overwrite are locals there.
  const head = moments
    ? `${kernelHeader('gemm_nn_moments')}
    ${locals('i32', ['c', 'overwrite', 'first'])} ${locals('f64', ['cnt', 'shift', 'sum', 'sq'])} ${locals('f32', ['min', 'max'])}`
    : kernelHeader(transB ? 'gemm_nt_packed' : 'gemm_nn');
  const finish = moments ? `
    ${set('min', '(f32.const inf)')} ${set('max', '(f32.const -inf)')}
    ${foldLanes('lt', get('mn'), 'min')}
    ${foldLanes('gt', get('mx'), 'max')}
    ${set('sum', f64LaneSum(get('sv')))} ${set('sq', f64LaneSum(get('qv')))}
    ${storeMoments(get('res'), { shift: 'shift', sum: 'sum', squares: 'sq', count: 'cnt', min: 'min', max: 'max' })}` : '';
  const panelBytes = 4 * GEMM_NN_TILE.cols;
  // B stored N×K (gemm_nt_packed): each panel column c is row j + 8s + c of B; 4 columns × 4 depths at a time are
  // loaded as 4 vectors along K and transposed by shuffles into 4 rows of the panel.
  const shuffle = (l: number[], x: string, y: string): string => `(i8x16.shuffle ${l.flatMap((lane) => [0, 1, 2, 3].map((b) => 4 * lane + b)).join(' ')} ${get(x)} ${get(y)})`;
  const packTransposed = `
        ${set('s', i32(0))}
        (loop $tpanels
          ${set('c4', i32(0))}
          (loop $tcols
            ${set('src', add(get('b'), mul(add(mul(add(add(get('j'), mul(get('s'), i32(GEMM_NN_TILE.cols))), get('c4')), get('K')), get('k0')), i32(4))))}
            ${set('dst', add(get('pack'), mul(add(mul(mul(get('s'), get('kb')), i32(GEMM_NN_TILE.cols)), get('c4')), i32(4))))}
            ${set('rows', get('kb'))}
            (loop $tk
              ${set('t0', `(v128.load ${get('src')})`)}
              ${set('t1', `(v128.load ${add(get('src'), get('lda'))})`)}
              ${set('t2', `(v128.load ${add(get('src'), mul(get('lda'), i32(2)))})`)}
              ${set('t3', `(v128.load ${add(get('src'), mul(get('lda'), i32(3)))})`)}
              ${set('u0', shuffle([0, 4, 1, 5], 't0', 't1'))} ${set('u1', shuffle([2, 6, 3, 7], 't0', 't1'))}
              ${set('u2', shuffle([0, 4, 1, 5], 't2', 't3'))} ${set('u3', shuffle([2, 6, 3, 7], 't2', 't3'))}
              (v128.store ${get('dst')} ${shuffle([0, 1, 4, 5], 'u0', 'u2')})
              (v128.store offset=${panelBytes} ${get('dst')} ${shuffle([2, 3, 6, 7], 'u0', 'u2')})
              (v128.store offset=${2 * panelBytes} ${get('dst')} ${shuffle([0, 1, 4, 5], 'u1', 'u3')})
              (v128.store offset=${3 * panelBytes} ${get('dst')} ${shuffle([2, 3, 6, 7], 'u1', 'u3')})
              ${set('src', add(get('src'), i32(16)))}
              ${set('dst', add(get('dst'), i32(4 * panelBytes)))}
              ${set('rows', sub(get('rows'), i32(4)))}
              (br_if $tk ${get('rows')}))
            ${set('c4', add(get('c4'), i32(4)))}
            (br_if $tcols (i32.lt_u ${get('c4')} ${i32(GEMM_NN_TILE.cols)})))
          ${set('s', add(get('s'), i32(1)))}
          (br_if $tpanels (i32.lt_u ${get('s')} ${get('panels')})))`;
  return `
  ${head}
    ${locals('i32', ints)} ${locals('v128', vecs)}
    ${moments ? `${set('overwrite', i32(1))} ${set('first', i32(1))} ${set('mn', '(f32x4.splat (f32.const inf))')} ${set('mx', '(f32x4.splat (f32.const -inf))')}` : ''}
    (if (i32.or (i32.eqz ${get('M')}) (i32.or (i32.eqz ${get('N')}) (i32.eqz ${get('K')}))) (then (return)))
    ${set('lda', mul(get('K'), i32(4)))}
    ${set('ldb', mul(get('ld'), i32(4)))}
    ${set('k0', i32(0))}
    (loop $kblocks
      ${set('kb', `(select ${get('kc')} ${sub(get('K'), get('k0'))} (i32.lt_u ${get('kc')} ${sub(get('K'), get('k0'))}))`)}
      ${set('j', i32(0))}
      (loop $cols
        ;; pack B[k0 .. k0+kb, j .. j+16) (or the last 8 columns) as panels [2][kb][8]
        ${set('panels', `(select ${i32(2)} ${i32(1)} (i32.ge_u ${sub(get('N'), get('j'))} ${i32(GEMM_NN_TILE.packCols)}))`)}
        ${transB ? packTransposed : `
        ${set('src', add(add(get('b'), mul(get('k0'), get('ldb'))), mul(get('j'), i32(4))))}
        ${set('dst', get('pack'))}
        ${set('rows', get('kb'))}
        (loop $pack
          ${copy(0, 0)} ${copy(16, 16)}
          (if (i32.eq ${get('panels')} ${i32(2)}) (then
            (v128.store ${add(get('dst'), mul(get('kb'), i32(panelBytes)))} (v128.load offset=32 ${get('src')}))
            (v128.store offset=16 ${add(get('dst'), mul(get('kb'), i32(panelBytes)))} (v128.load offset=48 ${get('src')}))))
          ${set('src', add(get('src'), get('ldb')))}
          ${set('dst', add(get('dst'), i32(panelBytes)))}
          ${set('rows', sub(get('rows'), i32(1)))}
          (br_if $pack ${get('rows')}))`}
        ${set('s', i32(0))}
        (loop $panel
          ${set('i', i32(0))}
          (loop $rows
            ${set('pc', add(get('c'), mul(add(add(mul(get('i'), get('ld')), get('j')), mul(get('s'), i32(GEMM_NN_TILE.cols))), i32(4))))}
            ;; C's old values are read unless this is the first K block of an overwriting product
            (if (i32.and ${get('overwrite')} (i32.eqz ${get('k0')})) (then ${zero}) (else ${load}))
            ${pa}
            ${set('pb', add(get('pack'), mul(mul(get('s'), get('kb')), i32(panelBytes))))}
            ${set('pend', add(get('pa0'), mul(get('kb'), i32(4))))}
            (loop $k
              ${kbody}
              (br_if $k (i32.ne ${get('pa0')} ${get('pend')})))
            ${moments ? blockMoments : store}
            ${set('i', add(get('i'), i32(R)))}
            (br_if $rows (i32.lt_u ${get('i')} ${get('M')})))
          ${set('s', add(get('s'), i32(1)))}
          (br_if $panel (i32.lt_u ${get('s')} ${get('panels')})))
        ${set('j', add(get('j'), i32(GEMM_NN_TILE.packCols)))}
        (br_if $cols (i32.lt_u ${get('j')} ${get('N')})))
      ${set('k0', add(get('k0'), get('kb')))}
      (br_if $kblocks (i32.lt_u ${get('k0')} ${get('K')})))${finish})`;
}

/** gemm_nt: C += A·Bᵀ by 4 × 2 blocks of SIMD dot products, each lane summing every 4th term, then the lanes added. */
function gemmNT(): string {
  const RT = GEMM_NT_TILE.rows, S = GEMM_NT_TILE.cols;
  const cs = range(RT).flatMap((r) => range(S).map((s) => `c${r}${s}`));
  const ints = ['i', 'j', 'pend', 'lda', ...range(RT).map((r) => `pa${r}`), ...range(S).map((s) => `pb${s}`), 'pc'];
  const vecs = [...range(RT).map((r) => `a${r}`), ...range(S).map((s) => `b${s}`), ...cs];
  const hsum = (x: string): string => {
    const [l0, l1, l2, l3] = f32Lanes(x);
    return `(f32.add (f32.add ${l0} ${l1}) (f32.add ${l2} ${l3}))`;
  };
  const zero = cs.map((c) => set(c, '(v128.const i32x4 0 0 0 0)') + '\n').join('');
  let kbody = '', out = '';
  for (let r = 0; r < RT; r++) kbody += set(`a${r}`, `(v128.load ${get(`pa${r}`)})`) + '\n';
  for (let s = 0; s < S; s++) kbody += set(`b${s}`, `(v128.load ${get(`pb${s}`)})`) + '\n';
  for (let r = 0; r < RT; r++) for (let s = 0; s < S; s++) kbody += set(`c${r}${s}`, fadd(get(`c${r}${s}`), fmul(get(`a${r}`), get(`b${s}`)))) + '\n';
  for (let r = 0; r < RT; r++) kbody += set(`pa${r}`, add(get(`pa${r}`), i32(16))) + '\n';
  for (let s = 0; s < S; s++) kbody += set(`pb${s}`, add(get(`pb${s}`), i32(16))) + '\n';
  for (let r = 0; r < RT; r++) {
    for (let s = 0; s < S; s++) {
      const at = add(get('pc'), i32(4 * s));
      out += `(f32.store ${at} (f32.add (f32.load ${at}) ${hsum(get(`c${r}${s}`))}))\n`;
    }
    if (r < RT - 1) out += set('pc', add(get('pc'), mul(get('ld'), i32(4)))) + '\n';
  }
  const pa = range(RT).map((r) => set(`pa${r}`, add(get('a'), mul(add(get('i'), i32(r)), get('lda'))))).join('\n');
  const pb = range(S).map((s) => set(`pb${s}`, add(get('b'), mul(add(get('j'), i32(s)), get('lda'))))).join('\n');
  return `
  ${kernelHeader('gemm_nt')}
    ${locals('i32', ints)} ${locals('v128', vecs)}
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
        ${set('i', add(get('i'), i32(RT)))}
        (br_if $rows (i32.lt_u ${get('i')} ${get('M')})))
      ${set('j', add(get('j'), i32(S)))}
      (br_if $cols (i32.lt_u ${get('j')} ${get('N')}))))`;
}

/** The GEMM kernels as WAT module fields, by name. */
export function gemmKernels(): Record<Extract<KernelName, 'gemm_nn' | 'gemm_nn_moments' | 'gemm_nt' | 'gemm_nt_packed'>, string> {
  return { gemm_nn: gemmNN(false), gemm_nn_moments: gemmNN(true), gemm_nt: gemmNT(), gemm_nt_packed: gemmNN(false, true) };
}
