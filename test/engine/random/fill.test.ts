import * as assert from 'node:assert/strict';
import { FILL_CHUNK, fillNormalChunks, fillUniformChunks, logf, sincos2pi, sincosResult, streamKey } from '../../../src/engine/random/fill';
import { normalCdf } from '../../../src/engine/math/gaussian';

/** Pearson's χ² of counts against equal expected counts. */
function chiSquare(counts: number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

suite('the bulk fills (fill.ts): float32 pieces and the distribution they give', () => {
  test('logf is within 2 float32 ulps of ln on (0, 1], including every power of two', () => {
    let worst = 0;
    for (let k = 1; k <= 1 << 24; k += 997) {
      const u = k * 2 ** -24;
      const exact = Math.log(u);
      if (exact === 0) continue;
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(exact))) - 23);
      worst = Math.max(worst, Math.abs(logf(u) - exact) / ulp);
    }
    for (let e = 0; e <= 24; e++) assert.ok(Math.abs(logf(2 ** -e) + e * Math.LN2) <= 1e-6 * Math.max(1, e), `ln 2^-${e}`);
    assert.equal(logf(1), 0);
    assert.ok(worst <= 2, `worst error ${worst} ulps`);
  });

  test('sin and cos of 2πu are within 3e-7 of Math.sin and Math.cos over [0, 1)', () => {
    let worst = 0;
    for (let k = 0; k < 1 << 24; k += 1021) {
      const u = k * 2 ** -24;
      sincos2pi(u);
      worst = Math.max(worst, Math.abs(sincosResult.cos - Math.cos(2 * Math.PI * u)), Math.abs(sincosResult.sin - Math.sin(2 * Math.PI * u)));
    }
    // Where fl(4u + ½) ties and rounds up to 4 (u = 0.875 − 2⁻²⁴), the neighbouring quadrant gives the same angle.
    for (const k of [(1 << 24) - (1 << 21) - 1, (1 << 24) - 1, 1 << 23, (1 << 22) - 1]) {
      const u = k * 2 ** -24;
      sincos2pi(u);
      worst = Math.max(worst, Math.abs(sincosResult.cos - Math.cos(2 * Math.PI * u)), Math.abs(sincosResult.sin - Math.sin(2 * Math.PI * u)));
    }
    assert.ok(worst < 3e-7, `worst error ${worst}`);
  });

  test('2²¹ normals have the moments, tails and bin counts of N(0, 1)', () => {
    const n = 1 << 21;
    const z = new Float32Array(n);
    fillNormalChunks(streamKey(0, 1), z, 0, 1);
    let s1 = 0, s2 = 0, s3 = 0, s4 = 0, beyond3 = 0, maxAbs = 0;
    for (const v of z) {
      s1 += v; s2 += v * v; s3 += v ** 3; s4 += v ** 4;
      if (Math.abs(v) > 3) beyond3++;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    // Five standard errors for each estimator of N(0, 1).
    assert.ok(Math.abs(s1 / n) < 5 / Math.sqrt(n), `mean ${s1 / n}`);
    assert.ok(Math.abs(s2 / n - 1) < 5 * Math.sqrt(2 / n), `variance ${s2 / n}`);
    assert.ok(Math.abs(s3 / n) < 5 * Math.sqrt(15 / n), `third moment ${s3 / n}`);
    assert.ok(Math.abs(s4 / n - 3) < 5 * Math.sqrt(96 / n), `fourth moment ${s4 / n}`);
    const p3 = 2 * (1 - normalCdf(3));
    assert.ok(Math.abs(beyond3 / n - p3) < 5 * Math.sqrt(p3 / n), `P(|z| > 3) = ${beyond3 / n}, expected ${p3}`);
    assert.ok(maxAbs <= Math.sqrt(48 * Math.LN2) + 1e-5 && maxAbs > 4.5, `max |z| = ${maxAbs}`);
    // 64 bins equiprobable under N(0, 1): χ² with 63 degrees of freedom; 110 is beyond its 99.97th percentile.
    const counts = new Array<number>(64).fill(0);
    for (const v of z) counts[Math.min(63, Math.floor(normalCdf(v) * 64))]++;
    assert.ok(chiSquare(counts, n) < 110, `χ² = ${chiSquare(counts, n)}`);
  });

  test('uniforms are equidistributed, lanes and chunks are not correlated, and streams differ', () => {
    const n = 1 << 20;
    const u = new Float32Array(n);
    fillUniformChunks(streamKey(0, 2), u, 0, 1);
    const counts = new Array<number>(64).fill(0);
    for (const v of u) counts[Math.floor(v * 64)]++;
    assert.ok(chiSquare(counts, n) < 110, `χ² = ${chiSquare(counts, n)}`);
    // Neighbours (other lanes of a step) and the same position in the next chunk: correlation within 5/√n of 0.
    for (const lag of [1, 4, FILL_CHUNK]) {
      let s = 0;
      for (let i = 0; i + lag < n; i++) s += (u[i] - 0.5) * (u[i + lag] - 0.5);
      const r = s / (n - lag) / (1 / 12);
      assert.ok(Math.abs(r) < 5 / Math.sqrt(n), `lag ${lag} correlation ${r}`);
    }
    const a = new Float32Array(64), b = new Float32Array(64);
    fillNormalChunks(streamKey(0, 3), a, 0, 1);
    fillNormalChunks(streamKey(1, 3), b, 0, 1);
    assert.notDeepEqual(a, b);
  });
});
