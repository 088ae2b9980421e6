import * as assert from 'node:assert/strict';
import type { ComputeBackend } from '../../../src/engine/backend/computeBackend';
import { referenceBackend } from '../../../src/engine/backend/reference/referenceBackend';
import { analyze } from '../../../src/engine';

/**
 * The reference backend with its tensors counted: `allocate` hands out fresh arrays and records them, `release`
 * poisons a tensor with NaN (a backward pass that read a tensor after the run let go of it would carry the NaN into
 * its statistics) and counts what is held; `keep` turns release off, for the run that holds everything.
 */
function countingBackend(keep: boolean): ComputeBackend & { held(): number; peak(): number } {
  const live = new Set<Float32Array>();
  let held = 0, peak = 0;
  return {
    ...referenceBackend,
    allocate(length) {
      const t = new Float32Array(length);
      live.add(t);
      held += length;
      peak = Math.max(peak, held);
      return t;
    },
    release(t) {
      if (keep || !live.delete(t)) return;
      held -= t.length;
      t.fill(NaN);
    },
    held: () => held,
    peak: () => peak,
  };
}

/** GPT-2-shaped blocks on [tokens, width] features: residual layernorm + attention, residual layernorm + gelu MLP; then a tanh stack. */
const NETWORK = JSON.stringify({
  input: { shape: [12, 16] }, batch_size: 3, seed: 4,
  layers: [
    { type: 'repeat', times: 2, layers: [
      { type: 'residual', layers: [{ type: 'layernorm' }, { type: 'attention', heads: 4, kv_heads: 2, causal: true, fused_qkv: true, rotary: {} }] },
      { type: 'residual', layers: [{ type: 'layernorm' }, { type: 'dense', units: 40, activation: 'gelu_new' }, { type: 'dense', units: 16 }] },
      { type: 'parallel_residual', branches: [[{ type: 'dense', units: 16, activation: 'silu' }], [{ type: 'gated_mlp', hidden: 24 }]] },
    ] },
    { type: 'residual', activation: 'tanh', layers: [{ type: 'dense', units: 8, activation: 'tanh' }, { type: 'dense', units: 16, activation: 'relu' }] },
    { type: 'dense', units: 8, activation: 'tanh' },
    { type: 'dense', units: 5, activation: 'sigmoid' },
  ],
});

suite('the sampled run\'s memory', () => {
  test('it lets go of forward tensors no backward pass reads and remakes nonlinear outputs: same statistics, less held, nothing left', () => {
    const keeping = countingBackend(true);
    const releasing = countingBackend(false);
    const expected = analyze(NETWORK, { mode: 'sampled', backend: keeping });
    const actual = analyze(NETWORK, { mode: 'sampled', backend: releasing });
    assert.equal(actual.problems.length, 0, JSON.stringify(actual.problems));
    assert.ok(actual.layers.length > 20);
    actual.layers.forEach((l, i) => {
      const e = expected.layers[i];
      const what = `layer ${i} (${l.name})`;
      assert.ok(Number.isFinite(l.gradient!.std), `${what}: a finite gradient std (nothing read after release)`);
      assert.equal(l.activation!.std, e.activation!.std, `${what} std`);
      assert.equal(l.gradient!.std, e.gradient!.std, `${what} gradient std`);
      assert.equal(l.weightGradient?.std, e.weightGradient?.std, `${what} weight gradient std`);
      assert.deepEqual(l.attention, e.attention, `${what} attention`);
    });
    assert.equal(releasing.held(), 0, 'every tensor handed back at the end');
    assert.ok(releasing.peak() < 0.8 * keeping.peak(), `peak ${releasing.peak()} floats against ${keeping.peak()} when everything is held`);
  });
});
