import { ATTENTION_ROW_STATS } from '../../../math/softmax';
import { ATTENTION_GEOMETRY_FIELDS, type KernelName } from '../kernelAbi';
import { A_LOWER, A_UPPER, ACCUMULATE, attentionRoutines, laneSum, SKIP_UPPER, visibleLanes } from './attentionRoutinesWat';
import { get, i32, kernelHeader, locals, offset, set } from './watHelpers';

// Scaled dot-product attention, one (batch, head) pair (forward) or one (batch, kv head) group (backward) at a time,
// so that threads split the pairs (contracts in kernelAbi.ts, the backend's attentionForward / attentionBackward in
// computeBackend.ts). Each pair's q, k, v (rows b·T + t of their tensors, the head's columns) are first copied into
// the part's workspace as matrices padded with zeros to Tp = T rounded up to 8 rows and dhp = head_dim rounded up to 8
// columns, transposed where a product needs it, so that every product is one routine ($att_mm) on 4 × 8 blocks of
// registers over contiguous rows. Causal masks skip the blocks above the diagonal and the zero parts of the sums.
// Softmax in float32: e_j = exp(s_j − max) for the visible keys (Cephes expf, watHelpers `expf`), l = Σ e_j, p = e/l;
// the backward pass recomputes P from q, k and the row's (max, l) by the same instructions, so it is the forward's P
// bit for bit, and no [T, T] matrix is kept between the passes.

/** Geometry fields as locals (their names in ATTENTION_GEOMETRY_FIELDS). */
const loadGeometry = ATTENTION_GEOMETRY_FIELDS.map((f, k) => set(f, `(i32.load ${offset(4 * k)}${get('geom')})`)).join(' ');

/** The locals of the geometry, the part's workspace and the pair being worked on. */
const commonLocals = [...ATTENTION_GEOMETRY_FIELDS, 'Tp', 'dhp', 'rep', 'b', 'h', 'g', 'i', 'j', 'vis', 'pair', 'srow', 'prow', 'st', 'rowB', 'padB', 'sqB'];
/** Sets Tp, dhp (rounded up to 8), rep (heads per kv head) and the byte strides rowB = dhp·4, padB = Tp·4, sqB = Tp²·4. */
const derived = `
    ${set('Tp', `(i32.and (i32.add ${get('tokens')} (i32.const 7)) (i32.const -8))`)}
    ${set('dhp', `(i32.and (i32.add ${get('headDim')} (i32.const 7)) (i32.const -8))`)}
    ${set('rep', `(i32.div_u ${get('heads')} ${get('kvHeads')})`)}
    ${set('rowB', `(i32.shl ${get('dhp')} (i32.const 2))`)}
    ${set('padB', `(i32.shl ${get('Tp')} (i32.const 2))`)}
    ${set('sqB', `(i32.mul ${get('padB')} ${get('Tp')})`)}`;
/** The byte address of (row b·T, column col·head_dim) of a tensor at `base` with row stride `ld` floats. */
const headAt = (base: string, ld: string, col: string): string =>
  `(i32.add ${get(base)} (i32.shl (i32.add (i32.mul (i32.mul ${get('b')} ${get('tokens')}) ${get(ld)}) (i32.mul ${get(col)} ${get('headDim')})) (i32.const 2)))`;
/** The byte address of row i's statistics for pair `pair` (= b·heads + h). */
const statsAt = `(i32.add ${get('rowStats')} (i32.mul (i32.add (i32.mul ${get('pair')} ${get('tokens')}) ${get('i')}) (i32.const ${4 * ATTENTION_ROW_STATS})))`;
/** Visible keys of query i. */
const visible = set('vis', `(select (i32.add ${get('i')} (i32.const 1)) ${get('tokens')} ${get('causal')})`);
/** Workspace matrices: byte offsets from ws in units of Tp·dhp·4 (`m`) and Tp²·4 (`s`) bytes. */
const area = (m: number, s: number): string => `(i32.add ${get('ws')} (i32.add (i32.mul (i32.mul ${get('Tp')} ${get('rowB')}) (i32.const ${m})) (i32.mul ${get('sqB')} (i32.const ${s}))))`;

/**
 * attention_forward over pairs [p0, p1): S = scale·Q·Kᵀ, P = softmax(S) (with the row statistics), O = P·V into
 * the head's columns of `out`. Workspace: Q, K, Kᵀ, V, O (Tp × dhp each) then S and P (Tp × Tp each).
 */
function forward(): string {
  return `
  ${kernelHeader('attention_forward')}
    ${locals('i32', [...commonLocals, 'Q', 'K', 'KT', 'V', 'O', 'S', 'P'])} ${locals('f32', ['scale', 'm', 'l', 'mu'])}
    ${locals('v128', ['x', 'mv', 'mask', 'sv', 'qv', 'pv', 'xv'])}
    ${loadGeometry}
    ${set('scale', `(f32.reinterpret_i32 ${get('scaleBits')})`)}
    ${derived}
    ${set('Q', area(0, 0))} ${set('K', area(1, 0))} ${set('KT', area(2, 0))} ${set('V', area(3, 0))} ${set('O', area(4, 0))} ${set('S', area(5, 0))} ${set('P', area(5, 1))}
    ${set('pair', get('p0'))}
    (block $pairsDone (loop $pairs
      (br_if $pairsDone (i32.ge_u ${get('pair')} ${get('p1')}))
      ${set('b', `(i32.div_u ${get('pair')} ${get('heads')})`)}
      ${set('h', `(i32.rem_u ${get('pair')} ${get('heads')})`)}
      ${set('g', `(i32.div_u ${get('h')} ${get('rep')})`)}
      (call $att_pack ${headAt('q', 'ldq', 'h')} (i32.shl ${get('ldq')} (i32.const 2)) ${get('tokens')} ${get('headDim')} ${get('Q')} ${get('rowB')} ${get('Tp')})
      (call $att_pack ${headAt('k', 'ldk', 'g')} (i32.shl ${get('ldk')} (i32.const 2)) ${get('tokens')} ${get('headDim')} ${get('K')} ${get('rowB')} ${get('Tp')})
      (call $att_pack ${headAt('v', 'ldv', 'g')} (i32.shl ${get('ldv')} (i32.const 2)) ${get('tokens')} ${get('headDim')} ${get('V')} ${get('rowB')} ${get('Tp')})
      (call $att_tr ${get('K')} ${get('KT')} ${get('Tp')} ${get('dhp')})
      (call $att_mm ${get('Q')} ${get('rowB')} ${get('KT')} ${get('padB')} ${get('S')} ${get('padB')} ${get('Tp')} ${get('Tp')} ${get('dhp')}
        (select (i32.const ${SKIP_UPPER}) (i32.const 0) ${get('causal')}) ${get('scale')})
      ${set('i', i32(0))}
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_u ${get('i')} ${get('tokens')}))
        ${visible}
        ${set('srow', `(i32.add ${get('S')} (i32.mul ${get('i')} ${get('padB')}))`)}
        ;; the row's max and Σ s over the visible keys
        ${set('mv', '(f32x4.splat (f32.const -inf))')} ${set('sv', '(v128.const i32x4 0 0 0 0)')} ${set('qv', '(v128.const i32x4 0 0 0 0)')}
        ${set('j', i32(0))}
        (block $mDone (loop $mLoop
          (br_if $mDone (i32.ge_s ${get('j')} ${get('vis')}))
          ${set('mask', visibleLanes)}
          ${set('x', `(v128.and (v128.load (i32.add ${get('srow')} (i32.shl ${get('j')} (i32.const 2)))) ${get('mask')})`)}
          ${set('mv', `(f32x4.pmax ${get('mv')} (v128.bitselect ${get('x')} (f32x4.splat (f32.const -inf)) ${get('mask')}))`)}
          ${set('sv', `(f32x4.add ${get('sv')} ${get('x')})`)}
          ${set('j', `(i32.add ${get('j')} (i32.const 4))`)}
          (br $mLoop)))
        ${set('m', `(f32.max (f32.max (f32x4.extract_lane 0 ${get('mv')}) (f32x4.extract_lane 1 ${get('mv')})) (f32.max (f32x4.extract_lane 2 ${get('mv')}) (f32x4.extract_lane 3 ${get('mv')})))`)}
        ${set('prow', `(i32.add ${get('P')} (i32.mul ${get('i')} ${get('padB')}))`)}
        ${set('l', `(call $att_exp_row ${get('srow')} ${get('prow')} ${get('vis')} ${get('Tp')} ${get('m')})`)}
        (call $att_div_row ${get('prow')} ${get('vis')} ${get('l')})
        ;; Σ p·(s − max), for the entropy ln l − Σ p·(s − max); the mean μ of s and Σ (s − μ)²
        ${set('mu', `(f32.div ${laneSum(get('sv'))} (f32.convert_i32_s ${get('vis')}))`)}
        ${set('xv', `(f32x4.splat ${get('mu')})`)}
        ${set('mv', `(f32x4.splat ${get('m')})`)} ${set('pv', '(v128.const i32x4 0 0 0 0)')}
        ${set('j', i32(0))}
        (block $eDone (loop $eLoop
          (br_if $eDone (i32.ge_s ${get('j')} ${get('vis')}))
          ${set('mask', visibleLanes)}
          ${set('x', `(f32x4.mul (v128.load (i32.add ${get('prow')} (i32.shl ${get('j')} (i32.const 2)))) (f32x4.sub (v128.load (i32.add ${get('srow')} (i32.shl ${get('j')} (i32.const 2)))) ${get('mv')}))`)}
          ${set('pv', `(f32x4.add ${get('pv')} (v128.and ${get('x')} ${get('mask')}))`)}
          ${set('x', `(f32x4.sub (v128.load (i32.add ${get('srow')} (i32.shl ${get('j')} (i32.const 2)))) ${get('xv')})`)}
          ${set('qv', `(f32x4.add ${get('qv')} (v128.and (f32x4.mul ${get('x')} ${get('x')}) ${get('mask')}))`)}
          ${set('j', `(i32.add ${get('j')} (i32.const 4))`)}
          (br $eLoop)))
        ${set('st', statsAt)}
        (f32.store offset=0 ${get('st')} ${get('m')})
        (f32.store offset=4 ${get('st')} ${get('l')})
        (f32.store offset=8 ${get('st')} ${laneSum(get('pv'))})
        (f32.store offset=12 ${get('st')} ${get('mu')})
        (f32.store offset=16 ${get('st')} ${laneSum(get('qv'))})
        ${set('i', `(i32.add ${get('i')} (i32.const 1))`)}
        (br $rows)))
      (call $att_zero (i32.add ${get('P')} (i32.mul ${get('tokens')} ${get('padB')})) (i32.mul (i32.sub ${get('Tp')} ${get('tokens')}) ${get('padB')}))
      (call $att_mm ${get('P')} ${get('padB')} ${get('V')} ${get('rowB')} ${get('O')} ${get('rowB')} ${get('Tp')} ${get('dhp')} ${get('Tp')}
        (select (i32.const ${A_LOWER}) (i32.const 0) ${get('causal')}) (f32.const 1))
      (call $att_unpack ${get('O')} ${get('rowB')} ${get('tokens')} ${get('headDim')} ${headAt('o', 'ldo', 'h')} (i32.shl ${get('ldo')} (i32.const 2)))
      ${set('pair', `(i32.add ${get('pair')} (i32.const 1))`)}
      (br $pairs))))`;
}

/**
 * attention_backward over kv groups [p0, p1) (b·kv_heads + g): for each head h of the group, S and P again (from the
 * row's max and l), dP = dO·Vᵀ, dS = scale·P ⊙ (dP − Σ_j P·dP), dV += Pᵀ·dO, dQ = dS·K (into the head's columns of
 * dq), dK += dSᵀ·Q; then dK, dV into the group's columns of dk, dv. Workspace: Q, K, Kᵀ, Vᵀ, dO, dQ, dK, dV
 * (Tp × dhp each), S, P, dS and a transpose (Tp × Tp each).
 */
function backward(): string {
  const row = (base: string): string => `(i32.add ${get(base)} (i32.mul ${get('i')} ${get('padB')}))`;
  const at = (base: string): string => `(i32.add ${get(base)} (i32.shl ${get('j')} (i32.const 2)))`;
  const causalMode = (mode: number, otherwise = 0): string => `(select (i32.const ${mode}) (i32.const ${otherwise}) ${get('causal')})`;
  return `
  ${kernelHeader('attention_backward')}
    ${locals('i32', [...commonLocals, 'Q', 'K', 'KT', 'VT', 'dO', 'dQ', 'dK', 'dV', 'S', 'P', 'dS', 'X', 'drow', 'h1', 'grp', 'matB'])}
    ${locals('f32', ['scale', 'dot'])} ${locals('v128', ['x', 'mask', 'acc4', 'sv'])}
    ${loadGeometry}
    ${set('scale', `(f32.reinterpret_i32 ${get('scaleBits')})`)}
    ${derived}
    ${set('matB', `(i32.mul ${get('Tp')} ${get('rowB')})`)}
    ${set('Q', area(0, 0))} ${set('K', area(1, 0))} ${set('KT', area(2, 0))} ${set('VT', area(3, 0))} ${set('dO', area(4, 0))} ${set('dQ', area(5, 0))}
    ${set('dK', area(6, 0))} ${set('dV', area(7, 0))} ${set('S', area(8, 0))} ${set('P', area(8, 1))} ${set('dS', area(8, 2))} ${set('X', area(8, 3))}
    ${set('sv', `(f32x4.splat ${get('scale')})`)}
    ${set('grp', get('p0'))}
    (block $groupsDone (loop $groups
      (br_if $groupsDone (i32.ge_u ${get('grp')} ${get('p1')}))
      ${set('b', `(i32.div_u ${get('grp')} ${get('kvHeads')})`)}
      ${set('g', `(i32.rem_u ${get('grp')} ${get('kvHeads')})`)}
      (call $att_pack ${headAt('k', 'ldk', 'g')} (i32.shl ${get('ldk')} (i32.const 2)) ${get('tokens')} ${get('headDim')} ${get('K')} ${get('rowB')} ${get('Tp')})
      (call $att_tr ${get('K')} ${get('KT')} ${get('Tp')} ${get('dhp')})
      ;; V packed into dQ's area for now (dQ is not used before the first head)
      (call $att_pack ${headAt('v', 'ldv', 'g')} (i32.shl ${get('ldv')} (i32.const 2)) ${get('tokens')} ${get('headDim')} ${get('dQ')} ${get('rowB')} ${get('Tp')})
      (call $att_tr ${get('dQ')} ${get('VT')} ${get('Tp')} ${get('dhp')})
      (call $att_zero ${get('dK')} ${get('matB')})
      (call $att_zero ${get('dV')} ${get('matB')})
      ${set('h', `(i32.mul ${get('g')} ${get('rep')})`)}
      ${set('h1', `(i32.add ${get('h')} ${get('rep')})`)}
      (block $headsDone (loop $heads
        (br_if $headsDone (i32.ge_u ${get('h')} ${get('h1')}))
        ${set('pair', `(i32.add (i32.mul ${get('b')} ${get('heads')}) ${get('h')})`)}
        (call $att_pack ${headAt('q', 'ldq', 'h')} (i32.shl ${get('ldq')} (i32.const 2)) ${get('tokens')} ${get('headDim')} ${get('Q')} ${get('rowB')} ${get('Tp')})
        (call $att_pack ${headAt('o', 'ldo', 'h')} (i32.shl ${get('ldo')} (i32.const 2)) ${get('tokens')} ${get('headDim')} ${get('dO')} ${get('rowB')} ${get('Tp')})
        (call $att_mm ${get('Q')} ${get('rowB')} ${get('KT')} ${get('padB')} ${get('S')} ${get('padB')} ${get('Tp')} ${get('Tp')} ${get('dhp')} ${causalMode(SKIP_UPPER)} ${get('scale')})
        (call $att_mm ${get('dO')} ${get('rowB')} ${get('VT')} ${get('padB')} ${get('dS')} ${get('padB')} ${get('Tp')} ${get('Tp')} ${get('dhp')} ${causalMode(SKIP_UPPER)} (f32.const 1))
        ${set('i', i32(0))}
        (block $rowsDone (loop $rows
          (br_if $rowsDone (i32.ge_u ${get('i')} ${get('tokens')}))
          ${visible}
          ${set('srow', row('S'))} ${set('prow', row('P'))} ${set('drow', row('dS'))}
          ${set('st', statsAt)}
          (drop (call $att_exp_row ${get('srow')} ${get('prow')} ${get('vis')} ${get('Tp')} (f32.load offset=0 ${get('st')})))
          (call $att_div_row ${get('prow')} ${get('vis')} (f32.load offset=4 ${get('st')}))
          ;; dot = Σ p·dp over the visible keys
          ${set('acc4', '(v128.const i32x4 0 0 0 0)')}
          ${set('j', i32(0))}
          (block $dDone (loop $dLoop
            (br_if $dDone (i32.ge_s ${get('j')} ${get('vis')}))
            ${set('mask', visibleLanes)}
            ${set('acc4', `(f32x4.add ${get('acc4')} (v128.and (f32x4.mul (v128.load ${at('prow')}) (v128.load ${at('drow')})) ${get('mask')}))`)}
            ${set('j', `(i32.add ${get('j')} (i32.const 4))`)}
            (br $dLoop)))
          ${set('dot', laneSum(get('acc4')))}
          ${set('acc4', `(f32x4.splat ${get('dot')})`)}
          ;; dS = scale·p·(dp − dot) there, 0 elsewhere
          ${set('j', i32(0))}
          (block $sDone (loop $sLoop
            (br_if $sDone (i32.ge_s ${get('j')} ${get('vis')}))
            ${set('mask', visibleLanes)}
            (v128.store ${at('drow')} (v128.and (f32x4.mul (f32x4.mul ${get('sv')} (v128.load ${at('prow')})) (f32x4.sub (v128.load ${at('drow')}) ${get('acc4')})) ${get('mask')}))
            ${set('j', `(i32.add ${get('j')} (i32.const 4))`)}
            (br $sLoop)))
          (call $att_zero ${at('drow')} (i32.shl (i32.sub ${get('Tp')} ${get('j')}) (i32.const 2)))
          ${set('i', `(i32.add ${get('i')} (i32.const 1))`)}
          (br $rows)))
        (call $att_zero (i32.add ${get('P')} (i32.mul ${get('tokens')} ${get('padB')})) (i32.mul (i32.sub ${get('Tp')} ${get('tokens')}) ${get('padB')}))
        (call $att_zero (i32.add ${get('dS')} (i32.mul ${get('tokens')} ${get('padB')})) (i32.mul (i32.sub ${get('Tp')} ${get('tokens')}) ${get('padB')}))
        ;; dV += Pᵀ·dO; dQ = dS·K; dK += dSᵀ·Q
        (call $att_tr ${get('P')} ${get('X')} ${get('Tp')} ${get('Tp')})
        (call $att_mm ${get('X')} ${get('padB')} ${get('dO')} ${get('rowB')} ${get('dV')} ${get('rowB')} ${get('Tp')} ${get('dhp')} ${get('Tp')} ${causalMode(ACCUMULATE | A_UPPER, ACCUMULATE)} (f32.const 1))
        (call $att_mm ${get('dS')} ${get('padB')} ${get('K')} ${get('rowB')} ${get('dQ')} ${get('rowB')} ${get('Tp')} ${get('dhp')} ${get('Tp')} ${causalMode(A_LOWER)} (f32.const 1))
        (call $att_unpack ${get('dQ')} ${get('rowB')} ${get('tokens')} ${get('headDim')} ${headAt('dq', 'lddq', 'h')} (i32.shl ${get('lddq')} (i32.const 2)))
        (call $att_tr ${get('dS')} ${get('X')} ${get('Tp')} ${get('Tp')})
        (call $att_mm ${get('X')} ${get('padB')} ${get('Q')} ${get('rowB')} ${get('dK')} ${get('rowB')} ${get('Tp')} ${get('dhp')} ${get('Tp')} ${causalMode(ACCUMULATE | A_UPPER, ACCUMULATE)} (f32.const 1))
        ${set('h', `(i32.add ${get('h')} (i32.const 1))`)}
        (br $heads)))
      (call $att_unpack ${get('dK')} ${get('rowB')} ${get('tokens')} ${get('headDim')} ${headAt('dk', 'lddk', 'g')} (i32.shl ${get('lddk')} (i32.const 2)))
      (call $att_unpack ${get('dV')} ${get('rowB')} ${get('tokens')} ${get('headDim')} ${headAt('dv', 'lddv', 'g')} (i32.shl ${get('lddv')} (i32.const 2)))
      ${set('grp', `(i32.add ${get('grp')} (i32.const 1))`)}
      (br $groups))))`;
}

/**
 * rotary over rows [r0, r1) of x (row stride ld floats; heads of headDim floats from x): the first 2·half entries of
 * each head vector rotated by the angles of its token (row mod tokens), in float64 like math/rotary.ts, so that the
 * float32 results are the same bits: x₁′ = x₁·cos − x₂·sin, x₂′ = x₂·cos + x₁·sin, cos and sin read from `table`
 * (float64, [tokens, half] cosines then [tokens, half] sines, the sines negated for the inverse rotation).
 */
function rotary(): string {
  return `
  ${kernelHeader('rotary')}
    ${locals('i32', ['r', 'hd', 'j', 'base', 'trig', 'sines', 'p1', 'p2'])} ${locals('f64', ['x1', 'x2', 'c', 's'])}
    ${set('sines', `(i32.add ${get('table')} (i32.shl (i32.mul ${get('tokens')} ${get('half')}) (i32.const 3)))`)}
    ${set('r', get('r0'))}
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u ${get('r')} ${get('r1')}))
      ${set('trig', `(i32.shl (i32.mul (i32.rem_u ${get('r')} ${get('tokens')}) ${get('half')}) (i32.const 3))`)}
      ${set('hd', i32(0))}
      (block $headsDone (loop $heads
        (br_if $headsDone (i32.ge_u ${get('hd')} ${get('heads')}))
        ${set('base', `(i32.add ${get('x')} (i32.shl (i32.add (i32.mul ${get('r')} ${get('ld')}) (i32.mul ${get('hd')} ${get('headDim')})) (i32.const 2)))`)}
        ${set('j', i32(0))}
        (block $pairsDone (loop $pairs
          (br_if $pairsDone (i32.ge_u ${get('j')} ${get('half')}))
          ${set('p1', `(i32.add ${get('base')} (i32.shl ${get('j')} (i32.const 2)))`)}
          ${set('p2', `(i32.add ${get('p1')} (i32.shl ${get('half')} (i32.const 2)))`)}
          ${set('x1', `(f64.promote_f32 (f32.load ${get('p1')}))`)}
          ${set('x2', `(f64.promote_f32 (f32.load ${get('p2')}))`)}
          ${set('c', `(f64.load (i32.add (i32.add ${get('table')} ${get('trig')}) (i32.shl ${get('j')} (i32.const 3))))`)}
          ${set('s', `(f64.load (i32.add (i32.add ${get('sines')} ${get('trig')}) (i32.shl ${get('j')} (i32.const 3))))`)}
          (f32.store ${get('p1')} (f32.demote_f64 (f64.sub (f64.mul ${get('x1')} ${get('c')}) (f64.mul ${get('x2')} ${get('s')}))))
          (f32.store ${get('p2')} (f32.demote_f64 (f64.add (f64.mul ${get('x2')} ${get('c')}) (f64.mul ${get('x1')} ${get('s')}))))
          ${set('j', `(i32.add ${get('j')} (i32.const 1))`)}
          (br $pairs)))
        ${set('hd', `(i32.add ${get('hd')} (i32.const 1))`)}
        (br $heads)))
      ${set('r', `(i32.add ${get('r')} (i32.const 1))`)}
      (br $rows))))`;
}

/** The WAT of the attention kernels and their internal routines, by kernel name. */
export function attentionKernels(): Record<Extract<KernelName, 'attention_forward' | 'attention_backward' | 'rotary'>, string> {
  return { attention_forward: attentionRoutines() + forward(), attention_backward: backward(), rotary: rotary() };
}
