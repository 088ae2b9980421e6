import * as assert from 'node:assert/strict';
import { analyze } from '../../../src/engine';
import { activationMoments } from '../../../src/engine/math/activationMoments';
import { gaussHermite, gaussianExpectation } from '../../../src/engine/math/gaussHermite';
import { assertClose, readRepoFile } from '../../repo';

suite('mean-field prediction', () => {
  test('Gauss–Hermite integrates polynomials exactly: E[z²] = σ², E[z⁴] = 3σ⁴, weights sum to √π', () => {
    const { weights } = gaussHermite(64);
    assertClose(weights.reduce((a, b) => a + b, 0), Math.sqrt(Math.PI), 1e-13);
    assertClose(gaussianExpectation((z) => z * z, 0.3, 2), 4 + 0.09, 1e-12);
    assertClose(gaussianExpectation((z) => z ** 4, 0, 1.5), 3 * 1.5 ** 4, 1e-12);
  });

  test('ReLU closed forms: E[relu z] = σ/√(2π), E[relu² z] = σ²/2, E[relu′²] = ½', () => {
    const m = activationMoments({ name: 'relu', negativeSlope: 0 }, 0, 2);
    assertClose(m.mean, 2 / Math.sqrt(2 * Math.PI), 1e-7);
    assertClose(m.secondMoment, 2, 1e-7);
    assertClose(m.derivativeSecondMoment, 0.5, 1e-7);
  });

  test('the six-layer 4096-wide tanh net with 0.01·randn predicts 0.492, 0.289, 0.179, 0.113, 0.0721, 0.0460', () => {
    const report = analyze(readRepoFile('examples', 'tanh-0.01-randn.net.json'), { mode: 'analytic' });
    const expected = [0.492, 0.289, 0.179, 0.113, 0.0721, 0.046];
    report.layers.forEach((l, i) => assertClose(l.predicted!.activationStd, expected[i], 0.01, 0, `layer ${i}`));
  });

  test('Kaiming + ReLU keeps every layer at √(1 − 1/π) ≈ 0.826, and χ₁ = 1', () => {
    const report = analyze(readRepoFile('examples', 'kaiming-relu.net.json'), { mode: 'analytic' });
    for (const l of report.layers) {
      assertClose(l.predicted!.activationStd, Math.sqrt(1 - 1 / Math.PI), 1e-6);
      // Φ comes from an erfc accurate to 1.2e-7, so exact identities hold to about 1e-7.
      assertClose(l.predicted!.chi!, 1, 1e-6);
      assertClose(l.predicted!.gradientStd, 1, 1e-6);
    }
  });

  test('a residual block with identity shortcut adds variances: Kaiming in both branch layers triples it', () => {
    const report = analyze(readRepoFile('examples', 'residual-kaiming.net.json'), { mode: 'analytic' });
    const blocks = report.layers.filter((l) => l.type === 'residual');
    blocks.forEach((b, i) => assertClose(b.predicted!.activationStd, Math.sqrt(3) ** (i + 1), 1e-6, 0, `block ${i}`));
  });

  test('batchnorm resets the signal to unit variance whatever came before', () => {
    const net = { input: { shape: [64] }, batch_size: 32, layers: [
      { type: 'dense', units: 64, init: { scheme: 'normal', std: 3 } }, { type: 'batchnorm' }, { type: 'activation', activation: 'tanh' }] };
    const report = analyze(JSON.stringify(net), { mode: 'both' });
    assertClose(report.layers[1].predicted!.activationStd, 1, 1e-4);
    assertClose(report.layers[1].activation!.std, 1, 1e-4);
  });

  test('a 1,000-layer network is predicted (analytic mode) and every layer is finite', () => {
    const net = { input: { shape: [512] }, layers: [{ type: 'repeat', times: 1000, layers: [{ type: 'dense', units: 512, activation: 'tanh', init: 'xavier_normal' }] }] };
    const report = analyze(JSON.stringify(net), { mode: 'analytic' });
    assert.equal(report.layers.length, 1000);
    assert.ok(report.layers.every((l) => Number.isFinite(l.predicted!.activationStd) && l.predicted!.activationStd > 0));
    // Xavier + tanh (σ_w² = 1) decays only like q_l ≈ 1/(2l) (tanh² z ≈ z² − 2z⁴/3... gives q' ≈ q − 2q²).
    assertClose(report.layers[999].predicted!.activationStd, 1 / Math.sqrt(2 * 1000), 0.1);
  });

  // The sampled engine against the prediction on the lecture's 4096-wide networks (within 3%, one seed) runs with the
  // WebAssembly backend in test/dist/meanFieldVsSampled.test.ts (about 35 s on the reference backend, 2 s there).
});
