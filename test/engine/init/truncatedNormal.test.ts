import * as assert from 'node:assert/strict';
import type { InitSpec } from '../../../src/engine/init/initSpec';
import { resolveInit, truncatedFrame, truncatedNormalMoments } from '../../../src/engine/init/resolveInit';
import { sampleInit } from '../../../src/engine/init/sampleInit';
import { normalTailMoments } from '../../../src/engine/math/gaussian';
import { referenceBackend } from '../../../src/engine/backend/reference/referenceBackend';
import { assertClose } from '../../repo';

function spec(options: InitSpec['options'], multiplier = 1): InitSpec {
  return { scheme: 'truncated_normal', options, multiplier, path: '', source: 'layer' };
}

/**
 * Oracle: mass, mean and std of y = x − l for x ~ N(0, 1) on [l, l + w], by composite Simpson's rule on 200,000
 * intervals of the density e^{−l·y − y²/2}, over [0, min(w, Y)] with l·Y + Y²/2 = 60 (the rest holds e^−60 of the
 * mass). Independent of the engine's Gauss–Legendre pieces; accurate to ~1e-12 relative on these smooth integrands.
 */
function simpsonTail(l: number, w: number): { mass: number; mean: number; std: number } {
  const end = Math.min(w, -l + Math.sqrt(l * l + 120));
  const n = 200000;
  const h = end / n;
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i <= n; i++) {
    const y = i * h;
    const c = (i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2) * Math.exp(-(l * y + 0.5 * y * y));
    m0 += c;
    m1 += c * y;
    m2 += c * y * y;
  }
  const mean = m1 / m0;
  return { mass: (m0 * h) / 3, mean, std: Math.sqrt(Math.max(0, m2 / m0 - mean * mean)) };
}

/** Sample mean and std of n draws (float64 sums of the float32 values). */
function sampled(w: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of w) s += v;
  const mean = s / w.length;
  let s2 = 0;
  for (const v of w) s2 += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(s2 / w.length) };
}

suite('truncated normals with extreme parameters (issue 14)', () => {
  test('normalTailMoments matches a Simpson oracle from the bulk to the far tail, wide and narrow', () => {
    for (const [l, w] of [[0, 1], [0, 30], [1, 0.5], [3, 1], [10, 1], [40, 1e6], [1e5, 1], [0, 1e-9], [5, 1e-6], [2, 3]]) {
      const expected = simpsonTail(l, w);
      const actual = normalTailMoments(l, w);
      assertClose(actual.mass, expected.mass, 1e-9, 0, `mass l=${l} w=${w}`);
      assertClose(actual.mean, expected.mean, 1e-9, 0, `mean l=${l} w=${w}`);
      assertClose(actual.std, expected.std, 1e-7, 0, `std l=${l} w=${w}`);
    }
  });

  test('moments in the tail and on narrow intervals are exact where Φ(β) − Φ(α) underflows or cancels', () => {
    // Before the fix: Z = Φ(11) − Φ(10) rounded to 0 and the moments were NaN; a narrow interval lost every digit.
    const cases: [number, number, number, number][] = [[0, 1, 10, 11], [0, 1, -1e5 - 1, -1e5], [0, 1, 5, 5 + 1e-6], [3, 2, 3 - 1e-9, 3 + 1e-9], [0, 1, 40, 1e30]];
    for (const [mean, std, a, b] of cases) {
      const actual = truncatedNormalMoments(mean, std, a, b);
      const frame = truncatedFrame(mean, std, a, b);
      let expected: { mean: number; std: number };
      if (frame.side === 'around') {
        const right = simpsonTail(0, frame.right);
        const left = simpsonTail(0, frame.left);
        const mass = right.mass + left.mass;
        const shift = (right.mass * right.mean - left.mass * left.mean) / mass;
        const second = (right.mass * (right.std ** 2 + right.mean ** 2) + left.mass * (left.std ** 2 + left.mean ** 2)) / mass;
        expected = { mean: mean + std * shift, std: std * Math.sqrt(second - shift * shift) };
      } else {
        const t = simpsonTail(frame.l, frame.w);
        expected = { mean: frame.side === 'above' ? a + std * t.mean : b - std * t.mean, std: std * t.std };
      }
      assert.ok(Number.isFinite(actual.mean) && Number.isFinite(actual.std), `finite moments for [${a}, ${b}]`);
      assertClose(actual.mean, expected.mean, 1e-12, 0, `mean on [${a}, ${b}]`);
      assertClose(actual.std, expected.std, 1e-6, 0, `std on [${a}, ${b}]`);
      assert.ok(actual.mean >= a && actual.mean <= b);
    }
    // Far tail closed forms: mean ≈ a + 1/a, std ≈ 1/a for x ~ N(0, 1) on [a, ∞), a large (Mills ratio).
    const far = truncatedNormalMoments(0, 1, 1e4, 2e4);
    assertClose(far.mean - 1e4, 1e-4, 1e-7);
    assertClose(far.std, 1e-4, 1e-7);
  });

  test('a vanishing interval far from the mean is the point mass at the nearer bound; std 0 or a ≥ b the clamped mean', () => {
    // (a − μ)/σ and (b − μ)/σ both round to −1e30: the limit puts all mass at b.
    const r = resolveInit(spec({ mean: 1e30, std: 1, a: 1, b: 2 }), [10, 10]);
    assert.equal(r.mean, 2);
    assert.ok(r.std < 1e-29);
    assert.deepEqual(truncatedNormalMoments(5, 0, -1, 1), { mean: 1, std: 0 });
    assert.deepEqual(truncatedNormalMoments(0, 1, 1, 1), { mean: 1, std: 0 });
    const w = new Float32Array(1000);
    sampleInit(r, 0, 1, referenceBackend, w, 10, 100);
    assert.ok(w.every((v) => v === 2));
  });

  test('sampling in the tail and on narrow intervals is bounded in time, stays in [a, b] and has the exact moments', () => {
    const n = 100000;
    for (const [mean, std, a, b] of [[0, 1, 10, 11], [0, 1, -12, -11.5], [0, 1, 2, 3], [0, 1, 0.5, 0.7], [0, 1, 40, 1e30], [1, 2, 1 - 1e-3, 1 + 2e-3], [0, 1, 3, 100]]) {
      const r = resolveInit(spec({ mean, std, a, b }), [100, 1000]);
      const w = new Float32Array(n);
      const started = Date.now();
      sampleInit(r, 7, 3, referenceBackend, w, 100, 1000);
      assert.ok(Date.now() - started < 2000, `[${a}, ${b}] took ${Date.now() - started} ms`);
      assert.ok(w.every((v) => v >= Math.fround(a) && v <= Math.fround(b)), `[${a}, ${b}] stays inside`);
      const actual = sampled(w);
      // Standard errors of n draws: std/√n for the mean, std/√(2n) (relative) for the std; 5 of them, plus float32.
      assertClose(actual.mean, r.mean, 0, (5 * r.std) / Math.sqrt(n) + 4e-7 * Math.abs(r.mean), `[${a}, ${b}] mean`);
      assertClose(actual.std, r.std, 5 / Math.sqrt(2 * n), 0, `[${a}, ${b}] std`);
    }
  });

  test('rejection ends when float32 cannot resolve the interval (it hung before), with values at the float32 nearest', () => {
    // 1e8 + 0.01 … 1e8 + 3 holds 49% of N(1e8, 1) but no float32 value: every draw rounds to 1e8 or 1e8 + 8.
    const r = resolveInit(spec({ mean: 1e8, std: 1, a: 1e8 + 0.01, b: 1e8 + 3 }), [10, 100]);
    const w = new Float32Array(1000);
    const started = Date.now();
    sampleInit(r, 1, 2, referenceBackend, w, 10, 100);
    assert.ok(Date.now() - started < 2000);
    assert.ok(w.every((v) => v === 1e8));
  });

  test('ordinary truncated normals (the golden one, std 0.3 on [−0.4, 0.5]) keep the closed form of the moments', () => {
    // The golden network's truncated normal (std 0.3 on [−0.4, 0.5]) by the closed form of the moments.
    const alpha = -0.4 / 0.3;
    const beta = 0.5 / 0.3;
    const actual = truncatedNormalMoments(0, 0.3, -0.4, 0.5);
    const cdf = (x: number): number => simpsonTail(0, Math.abs(x)).mass / Math.sqrt(2 * Math.PI);
    const z = cdf(beta) + cdf(alpha);
    const pdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    assertClose(actual.mean, (0.3 * (pdf(alpha) - pdf(beta))) / z, 1e-6);
  });
});
