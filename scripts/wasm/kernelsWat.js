// Generates the WebAssembly text (WAT) of the engine's kernels and assembles it with the `wabt` npm package at build
// time (no binary is committed): the seeded generator's fills (below) and two SIMD128 float32 GEMM micro-kernels,
// both keeping their block of C in registers:
//   gemm_nn: C[M×N] += A[M×K]·B[K×N], 4 rows × 8 columns per block: B rows by vector loads, A by splat loads;
//            column panels outer, so one 8-column panel of B serves every row block from cache.
//   gemm_nt: C[M×N] += A[M×K]·B[N×K]ᵀ, 4 rows × 2 columns per block as SIMD dot products over K.
// Shapes must be padded by the caller: gemm_nn needs M % 4 = 0 and N % 8 = 0; gemm_nt needs M % 4 = 0, N % 2 = 0
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

function gemmNN() {
  const R = 4, V = 2; // 4 rows × 2 vectors of 4 floats
  const locals = ['i', 'j', 'pb', 'pc', 'pend', 'lda', 'ldb', ...Array.from({ length: R }, (_, r) => `pa${r}`)].map((n) => `(local $${n} i32)`);
  const vecs = ['av', ...Array.from({ length: V }, (_, v) => `bv${v}`)];
  for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) vecs.push(`c${r}${v}`);
  const rowC = (r) => add(get('pc'), mul(i32(r), get('ldb')));
  let load = '', store = '', kbody = '';
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < V; v++) {
      load += set(`c${r}${v}`, `(v128.load offset=${16 * v} ${rowC(r)})`) + '\n';
      store += `(v128.store offset=${16 * v} ${rowC(r)} ${get(`c${r}${v}`)})\n`;
    }
  }
  for (let v = 0; v < V; v++) kbody += set(`bv${v}`, `(v128.load offset=${16 * v} ${get('pb')})`) + '\n';
  for (let r = 0; r < R; r++) {
    kbody += set('av', `(v128.load32_splat ${get(`pa${r}`)})`) + '\n';
    for (let v = 0; v < V; v++) kbody += set(`c${r}${v}`, fma(get(`c${r}${v}`), get('av'), get(`bv${v}`))) + '\n';
    kbody += set(`pa${r}`, add(get(`pa${r}`), i32(4))) + '\n';
  }
  kbody += set('pb', add(get('pb'), get('ldb'))) + '\n';
  const pa = Array.from({ length: R }, (_, r) => set(`pa${r}`, add(get('a'), mul(add(get('i'), i32(r)), get('lda'))))).join('\n');
  return `
  (func (export "gemm_nn") (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $N i32) (param $K i32) (param $ld i32)
    ${locals.join(' ')} ${vecs.map((n) => `(local $${n} v128)`).join(' ')}
    (if (i32.or (i32.eqz ${get('M')}) (i32.or (i32.eqz ${get('N')}) (i32.eqz ${get('K')}))) (then (return)))
    ${set('lda', mul(get('K'), i32(4)))}
    ${set('ldb', mul(get('ld'), i32(4)))}
    ${set('j', i32(0))}
    (loop $cols
      ${set('i', i32(0))}
      (loop $rows
        ${set('pc', add(get('c'), mul(add(mul(get('i'), get('ld')), get('j')), i32(4))))}
        ${load}
        ${pa}
        ${set('pb', add(get('b'), mul(get('j'), i32(4))))}
        ${set('pend', add(get('pa0'), get('lda')))}
        (loop $k
          ${kbody}
          (br_if $k (i32.ne ${get('pa0')} ${get('pend')})))
        ${store}
        ${set('i', add(get('i'), i32(R)))}
        (br_if $rows (i32.lt_u ${get('i')} ${get('M')})))
      ${set('j', add(get('j'), i32(8)))}
      (br_if $cols (i32.lt_u ${get('j')} ${get('N')}))))`;
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
    ${set('i', i32(0))}
    (loop $rows
      ${set('j', i32(0))}
      (loop $cols
        ${zero}
        ${pa}
        ${pb}
        ${set('pend', add(get('pa0'), get('lda')))}
        (loop $k
          ${kbody}
          (br_if $k (i32.ne ${get('pa0')} ${get('pend')})))
        ${set('pc', add(get('c'), mul(add(mul(get('i'), get('ld')), get('j')), i32(4))))}
        ${out}
        ${set('j', add(get('j'), i32(S)))}
        (br_if $cols (i32.lt_u ${get('j')} ${get('N')})))
      ${set('i', add(get('i'), i32(R)))}
      (br_if $rows (i32.lt_u ${get('i')} ${get('M')}))))`;
}

// ---------- the seeded generator (src/engine/rng.ts), the same sequence in WebAssembly ----------
// State at statePtr: s0..s3 (i32), then the spare normal (f64) at +16 and its flag (i32) at +24.
// xoshiro128**: result = rotl(s1·5, 7)·9, then the usual xor-shift update. Normals by Marsaglia's polar method in f64,
// with ln computed as e·ln2 + 2·atanh((m − 1)/(m + 1)), m ∈ [√½, √2), by its series to 12 terms (error below 1e-19),
// so values agree with Math.log's to the last bit or so, and to float32 after rounding.
function rng() {
  // xoshiro128** on locals $s0..$s3; leaves the output in $r. Inlined at each use (no memory traffic per draw).
  const next = `
      (local.set $r (i32.mul (i32.rotl (i32.mul (local.get $s1) (i32.const 5)) (i32.const 7)) (i32.const 9)))
      (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
      (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
      (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
      (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
      (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
      (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
      (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))`;
  const stateLocals = '(local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $t i32) (local $r i32)';
  const loadState = `(local.set $s0 (i32.load (local.get $st))) (local.set $s1 (i32.load offset=4 (local.get $st)))
    (local.set $s2 (i32.load offset=8 (local.get $st))) (local.set $s3 (i32.load offset=12 (local.get $st)))`;
  const saveState = `(i32.store (local.get $st) (local.get $s0)) (i32.store offset=4 (local.get $st) (local.get $s1))
    (i32.store offset=8 (local.get $st) (local.get $s2)) (i32.store offset=12 (local.get $st) (local.get $s3))`;
  let series = '(f64.const 0.043478260869565216)'; // 1/23
  for (let k = 21; k >= 1; k -= 2) series = `(f64.add (f64.const ${1 / k}) (f64.mul (local.get $t2) ${series}))`;
  const log = `
  (func $log (param $x f64) (result f64)
    (local $bits i64) (local $e f64) (local $m f64) (local $t f64) (local $t2 f64)
    (local.set $bits (i64.reinterpret_f64 (local.get $x)))
    (local.set $e (f64.convert_i64_s (i64.sub (i64.and (i64.shr_u (local.get $bits) (i64.const 52)) (i64.const 0x7ff)) (i64.const 1023))))
    (local.set $m (f64.reinterpret_i64 (i64.or (i64.and (local.get $bits) (i64.const 0x000fffffffffffff)) (i64.const 0x3ff0000000000000))))
    (if (f64.gt (local.get $m) (f64.const 1.4142135623730951))
      (then (local.set $m (f64.mul (local.get $m) (f64.const 0.5))) (local.set $e (f64.add (local.get $e) (f64.const 1)))))
    (local.set $t (f64.div (f64.sub (local.get $m) (f64.const 1)) (f64.add (local.get $m) (f64.const 1))))
    (local.set $t2 (f64.mul (local.get $t) (local.get $t)))
    (f64.add (f64.mul (local.get $e) (f64.const 0.6931471805599453)) (f64.mul (f64.mul (f64.const 2) (local.get $t)) ${series})))`;
  const draw = (into) => `${next}
        (local.set $${into} (f64.sub (f64.mul (f64.convert_i32_u (local.get $r)) (f64.const 4.656612873077393e-10)) (f64.const 1)))`;
  const fillNormal = `
  (func (export "fill_normal") (param $out i32) (param $count i32) (param $st i32) (param $mean f64) (param $std f64)
    (local $end i32) (local $u f64) (local $v f64) (local $s f64) (local $f f64) ${stateLocals}
    ${loadState}
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $pairs
      (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
      (loop $draw
        ${draw('u')}
        ${draw('v')}
        (local.set $s (f64.add (f64.mul (local.get $u) (local.get $u)) (f64.mul (local.get $v) (local.get $v))))
        (br_if $draw (i32.or (f64.ge (local.get $s) (f64.const 1)) (f64.eq (local.get $s) (f64.const 0)))))
      (local.set $f (f64.sqrt (f64.div (f64.mul (f64.const -2) (call $log (local.get $s))) (local.get $s))))
      (f32.store (local.get $out) (f32.demote_f64 (f64.add (local.get $mean) (f64.mul (local.get $std) (f64.mul (local.get $u) (local.get $f))))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (if (i32.lt_u (local.get $out) (local.get $end))
        (then
          (f32.store (local.get $out) (f32.demote_f64 (f64.add (local.get $mean) (f64.mul (local.get $std) (f64.mul (local.get $v) (local.get $f))))))
          (local.set $out (i32.add (local.get $out) (i32.const 4))))
        (else
          (f64.store offset=16 (local.get $st) (f64.mul (local.get $v) (local.get $f)))
          (i32.store offset=24 (local.get $st) (i32.const 1))))
      (br $pairs)))
    ${saveState})`;
  const fillUniform = `
  (func (export "fill_uniform") (param $out i32) (param $count i32) (param $st i32) (param $low f64) (param $width f64)
    (local $end i32) ${stateLocals}
    ${loadState}
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
      ${next}
      (f32.store (local.get $out) (f32.demote_f64 (f64.add (local.get $low) (f64.mul (local.get $width)
        (f64.mul (f64.convert_i32_u (i32.shr_u (local.get $r) (i32.const 8))) (f64.const 5.9604644775390625e-8))))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $each)))
    ${saveState})`;
  return log + fillNormal + fillUniform;
}

/** The whole module as WAT text. */
function kernelsWat() {
  // The memory is imported and shared, so that worker threads can run the same kernels on the same operands.
  return `(module\n  (import "env" "memory" (memory 1 65536 shared))${gemmNN()}${gemmNT()}${rng()}\n)\n`;
}

/** Assembles the kernels into WebAssembly bytes with wabt (SIMD enabled). */
async function buildKernels() {
  const wabt = await require('wabt')();
  const mod = wabt.parseWat('kernels.wat', kernelsWat(), { simd: true, threads: true, bulk_memory: true });
  // wabt.js's own validate() ignores the feature set, so V8 validates the result instead.
  const { buffer } = mod.toBinary({});
  mod.destroy();
  if (!WebAssembly.validate(buffer)) throw new Error('the generated WebAssembly does not validate');
  return Buffer.from(buffer);
}

module.exports = { kernelsWat, buildKernels };
