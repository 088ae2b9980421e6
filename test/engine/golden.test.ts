import * as assert from 'node:assert/strict';
import { analyze } from '../../src/engine';
import type { LayerReport } from '../../src/engine/report/report';
import { streamKey } from '../../src/engine/random/fill';
import { referenceBackend } from '../../src/engine/backend/reference/referenceBackend';
import { assertClose, readRepoFile } from '../repo';

interface GoldenLayer {
  preMean: number; preStd: number; mean: number; std: number; min: number; max: number; saturated: number; dead: number;
  distinct?: number; weightStd?: number; gradStd: number; weightGradStd?: number;
  /** attention: std of the scaled logits over the unmasked entries, and the mean normalized entropy (issue 12) */
  logitStd?: number; entropy?: number;
  /** lm_head: mean cross-entropy against the sampled targets */
  loss?: number;
}

/** The transformer statistics of issue 12, read structurally (the names the engine's report gives them). */
type TransformerStats = { attention?: { logitStd: number; entropy: number } | null; loss?: { sampled: number } | null };

const golden = JSON.parse(readRepoFile('test', 'golden', 'golden.json')) as {
  networks: Record<string, { layers: GoldenLayer[] }>;
  meanField: Record<string, number[]>;
  fills: Record<'normal' | 'uniform', { seed: number; stream: number; n: number; at: number[]; values: number[]; sampleMean: number; sampleStd: number; mean?: number; std?: number; low?: number; high?: number }>;
};
const networks = JSON.parse(readRepoFile('test', 'golden', 'networks.json')) as Record<string, unknown>;

// Both sides run float32 forward passes with different summation orders; statistics agree to about 1e-5.
const RTOL = 2e-4;
const ATOL = 1e-6;

suite('golden per-layer statistics from an independent NumPy implementation (test/golden/make_golden.py)', () => {
  for (const [name, expected] of Object.entries(golden.networks)) {
    test(`${name}: every layer's forward and backward statistics match NumPy`, () => {
      const report = analyze(JSON.stringify(networks[name]), { mode: 'sampled' });
      if (report.problems.length > 0) throw new Error(JSON.stringify(report.problems));
      if (report.layers.length !== expected.layers.length) throw new Error(`layer count ${report.layers.length} ≠ ${expected.layers.length}`);
      report.layers.forEach((actual, i) => {
        const e = expected.layers[i];
        const at = (what: string): string => `${name} layer ${i} (${actual.type}) ${what}`;
        assertClose(actual.preActivation!.mean, e.preMean, RTOL, ATOL, at('pre-activation mean'));
        assertClose(actual.preActivation!.std, e.preStd, RTOL, ATOL, at('pre-activation std'));
        assertClose(actual.activation!.mean, e.mean, RTOL, ATOL, at('mean'));
        assertClose(actual.activation!.std, e.std, RTOL, ATOL, at('std'));
        assertClose(actual.activation!.min, e.min, RTOL, ATOL, at('min'));
        assertClose(actual.activation!.max, e.max, RTOL, ATOL, at('max'));
        assertClose(actual.activation!.saturatedFraction, e.saturated, 0, 1e-12, at('saturated fraction'));
        assertClose(actual.activation!.deadFraction, e.dead, 0, 1e-12, at('dead fraction'));
        assertClose(actual.gradient!.std, e.gradStd, RTOL, ATOL, at('gradient std'));
        if (e.distinct !== undefined) assertClose(actual.activation!.distinctUnits!, e.distinct, 0, 0, at('distinct units'));
        if (e.weightStd !== undefined) assertClose(actual.init!.sampledStd!, e.weightStd, RTOL, ATOL, at('weight std'));
        if (e.weightGradStd !== undefined) assertClose(actual.weightGradient!.std, e.weightGradStd, RTOL, ATOL, at('weight gradient std'));
        const extra = actual as LayerReport & TransformerStats;
        if (e.logitStd !== undefined) assertClose(extra.attention?.logitStd ?? NaN, e.logitStd, RTOL, ATOL, at('attention logit std'));
        if (e.entropy !== undefined) assertClose(extra.attention?.entropy ?? NaN, e.entropy, RTOL, ATOL, at('attention entropy'));
        if (e.loss !== undefined) assertClose(extra.loss?.sampled ?? NaN, e.loss, RTOL, ATOL, at('sampled loss'));
      });
    });
  }

  test('mean-field predictions match NumPy\'s Gauss–Hermite recursion for the lecture networks', () => {
    for (const [file, expected] of Object.entries(golden.meanField)) {
      const report = analyze(readRepoFile('examples', `${file}.net.json`), { mode: 'analytic' });
      report.layers.forEach((l, i) => assertClose(l.predicted!.activationStd, expected[i], 1e-5, 0, `${file} layer ${i}`));
    }
  });

  test('the bulk normal and uniform fills give NumPy\'s float32 values bit for bit', () => {
    const { normal, uniform } = golden.fills;
    const z = new Float32Array(normal.n);
    referenceBackend.fillNormal(streamKey(normal.seed, normal.stream), z, normal.mean!, normal.std!);
    const u = new Float32Array(uniform.n);
    referenceBackend.fillUniform(streamKey(uniform.seed, uniform.stream), u, uniform.low!, uniform.high!);
    assert.deepEqual(normal.at.map((i) => z[i]), normal.values);
    assert.deepEqual(uniform.at.map((i) => u[i]), uniform.values);
    const zm = referenceBackend.moments(z), um = referenceBackend.moments(u);
    assertClose(zm.mean, normal.sampleMean, 1e-12, 1e-12, 'normal sample mean');
    assertClose(Math.sqrt(zm.m2 / zm.count), normal.sampleStd, 1e-12, 0, 'normal sample std');
    assertClose(um.mean, uniform.sampleMean, 1e-12, 1e-12, 'uniform sample mean');
    assertClose(Math.sqrt(um.m2 / um.count), uniform.sampleStd, 1e-12, 0, 'uniform sample std');
  });
});
