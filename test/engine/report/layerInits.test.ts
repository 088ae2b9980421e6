import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../../src/engine';
import { nodeOps } from '../../../src/engine/graph/registry';
import { assertClose, ROOT } from '../../repo';

// Closed forms of the std of what an init draws. Φ(1) − Φ(−1) = erf(1/√2) and Φ(2) − Φ(−2) = erf(√2).
const MASS_1 = 0.6826894921370859;
const MASS_2 = 0.9544997361036416;
/** The engine's Φ comes from erfc with fractional error below 1.2e-7 (`math/gaussian.ts`); the closed forms are exact. */
const ERFC_RTOL = 5e-7;
const phi = (x: number): number => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
/** Std of N(0, 1) truncated to [−c, c], from the truncated-normal variance 1 − 2cφ(c)/Z. */
const symmetricTruncatedStd = (c: number, mass: number): number => Math.sqrt(1 - 2 * c * phi(c) / mass);

function dense(init: object, units = 256, inputs = 256): string {
  return JSON.stringify({ input: { shape: [inputs] }, batch_size: 4, layers: [{ type: 'dense', units, init, bias: false }] });
}

suite('report: layer types and init stds', () => {
  test('the init std is the std of the distribution drawn: truncation, uniform bounds and orthogonal rows in closed form', () => {
    const cases: [object, number][] = [
      [{ scheme: 'truncated_normal', std: 0.5, a: -1, b: 1 }, 0.5 * symmetricTruncatedStd(2, MASS_2)],
      [{ scheme: 'truncated_normal', std: 1, a: -1, b: 1 }, symmetricTruncatedStd(1, MASS_1)],
      // Half-normal: N(0, 4) on [0, ∞) in effect has std 2·√(1 − 2/π).
      [{ scheme: 'truncated_normal', std: 2, a: 0, b: 80 }, 2 * Math.sqrt(1 - 2 / Math.PI)],
      [{ scheme: 'uniform', low: -0.3, high: 0.3 }, 0.3 / Math.sqrt(3)],
      [{ scheme: 'orthogonal', gain: 2 }, 2 / Math.sqrt(256)],
    ];
    for (const [init, expected] of cases) {
      const layer = analyze(dense(init), { mode: 'sampled', seed: 1 }).layers[0];
      assertClose(layer.init!.std, expected, ERFC_RTOL, 0, `init.std of ${JSON.stringify(init)}`);
      // 65,536 draws: the sample std is within a few 1/√(2n) ≈ 0.3% of the distribution's.
      assertClose(layer.init!.sampledStd!, expected, 0.02, 0, `sampled std of ${JSON.stringify(init)}`);
    }
    // Keras' 0.8796… for ±2σ is the same formula.
    assertClose(symmetricTruncatedStd(2, MASS_2), 0.87962566103423978, 1e-12);
  });

  test('an orthogonal matrix wider than tall has orthonormal rows: its entries\' std is gain/√cols', () => {
    const layer = analyze(dense({ scheme: 'orthogonal', gain: 1.5 }, 32, 512), { mode: 'sampled' }).layers[0];
    assertClose(layer.init!.std, 1.5 / Math.sqrt(512), 1e-12);
    assertClose(layer.init!.sampledStd!, 1.5 / Math.sqrt(512), 1e-3);
  });

  test('attention and the gated MLP report each projection with its shape and the std drawn', () => {
    const report = analyze(JSON.stringify({ input: { tokens: 8, vocab: 50 }, batch_size: 1, layers: [
      { type: 'embedding', vocab: 50, units: 64, init: { scheme: 'truncated_normal', std: 0.04, a: -0.04, b: 0.04 } },
      { type: 'attention', heads: 4, kv_heads: 2, init: { scheme: 'normal', std: 0.02 }, q_init: { scheme: 'truncated_normal', std: 1, a: -1, b: 1, multiplier: 0.1 },
        out_init: { scheme: 'uniform', low: -0.06, high: 0.06 }, bias: false },
      { type: 'gated_mlp', hidden: 96, init: 'xavier_uniform', down_init: { scheme: 'orthogonal', gain: 3 } },
      { type: 'lm_head', vocab: 50, init: { scheme: 'uniform', low: -0.2, high: 0.2 } },
    ] }), { mode: 'analytic' });
    const [embedding, attention, mlp, head] = report.layers;
    assertClose(embedding.init!.std, 0.04 * symmetricTruncatedStd(1, MASS_1), ERFC_RTOL);
    assert.equal(embedding.projections, null);
    assert.deepEqual(attention.projections!.map((p) => [p.name, p.shape, p.scheme]), [
      ['q', [64, 64], 'truncated_normal'], ['k', [32, 64], 'normal'], ['v', [32, 64], 'normal'], ['o', [64, 64], 'uniform']]);
    const [q, k, v, o] = attention.projections!.map((p) => p.std);
    assertClose(q, 0.1 * symmetricTruncatedStd(1, MASS_1), ERFC_RTOL);
    assert.deepEqual([k, v], [0.02, 0.02]);
    assertClose(o, 0.06 / Math.sqrt(3), 1e-12);
    assert.deepEqual(mlp.projections!.map((p) => [p.name, p.shape]), [['gate', [96, 64]], ['up', [96, 64]], ['down', [64, 96]]]);
    // xavier_uniform: U(±√(6/(fanIn + fanOut))), std √(2/(fanIn + fanOut)); orthogonal [64, 96]: gain/√96.
    assertClose(mlp.projections![0].std, Math.sqrt(2 / (64 + 96)), 1e-12);
    assertClose(mlp.projections![2].std, 3 / Math.sqrt(96), 1e-12);
    assertClose(head.init!.std, 0.2 / Math.sqrt(3), 1e-12);
  });

  test('every layer row of every example and Hugging Face fixture is typed by its op (attention, embedding, rmsnorm, …)', () => {
    const ops = new Set(nodeOps().map((op) => op.op));
    const files = [
      ...fs.readdirSync(path.join(ROOT, 'examples')).map((f) => path.join(ROOT, 'examples', f)),
      ...fs.readdirSync(path.join(ROOT, 'test', 'fixtures', 'huggingFace')).map((f) => path.join(ROOT, 'test', 'fixtures', 'huggingFace', f)),
    ];
    const seen = new Set<string>();
    for (const file of files) {
      for (const layer of analyze(fs.readFileSync(file, 'utf8'), { mode: 'analytic' }).layers) {
        const op = layer.type.replace(/ \(projection\)$/, '');
        assert.ok(ops.has(op), `${path.basename(file)} layer ${layer.index} '${layer.name}' has type '${layer.type}'`);
        seen.add(op);
      }
    }
    for (const op of ['attention', 'embedding', 'position_embedding', 'rmsnorm', 'layernorm', 'gated_mlp', 'lm_head', 'cross_attention', 'residual', 'parallel_residual']) {
      assert.ok(seen.has(op), `no fixture has a '${op}' row`);
    }
  });
});
