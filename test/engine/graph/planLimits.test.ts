import * as assert from 'node:assert/strict';
import { analyze, parseNetwork } from '../../../src/engine';
import type { LayerSpec, NetworkSpec } from '../../../src/engine/format/networkSpec';
import { MAX_LAYER_NESTING } from '../../../src/engine/format/parseNetwork';
import { buildPlan } from '../../../src/engine/graph/buildPlan';
import { MAX_EXPANDED_LAYERS } from '../../../src/engine/graph/plan';

const DENSE = { type: 'dense', units: 4 };

function parsed(doc: unknown): NetworkSpec {
  const { network, problems } = parseNetwork(JSON.stringify(doc));
  assert.deepEqual(problems, []);
  return network!;
}

suite('limits of the planner: linear work, accurate refusals', () => {
  test('a repeat past the expanded-layer limit is refused at the layer that goes past, naming the repeats', () => {
    const network = parsed({ input: { shape: [4] }, layers: [DENSE, { type: 'repeat', times: 60_000, layers: [DENSE, DENSE] }] });
    const { plan, errors } = buildPlan(network);
    assert.equal(plan, null);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].path, '/layers/1/layers/1');
    assert.equal(errors[0].message,
      `the network has more than ${MAX_EXPANDED_LAYERS} layers, the most a network may have: its file lists 4 layers and its repeats copy them over; reduce "times" in its repeats`);
  });

  test('without repeats the refusal does not blame them: it counts the listed layers and the projection shortcuts', () => {
    // Each block plans three layers (dense, projection, residual) from two listed ones.
    const block = { type: 'residual', shortcut: 'projection', layers: [DENSE] };
    const text = JSON.stringify({ input: { shape: [4] }, layers: Array.from({ length: 40_000 }, () => block) });
    const { problems, layers } = analyze(text, { mode: 'analytic' });
    assert.equal(layers.length, 0);
    assert.equal(problems.length, 1);
    const [actual] = problems;
    assert.doesNotMatch(actual.message, /repeat/);
    assert.equal(actual.message,
      `the network has more than ${MAX_EXPANDED_LAYERS} layers, the most a network may have: its file lists 80000 layers and its projection shortcuts plan as one layer each; split the network`);
    // Node 100,000 (0-based) is the projection of block 33,333: dense, projection and residual take three indices each.
    assert.equal(actual.path, '/layers/33333');
    assert.equal(actual.offset, '{"input":{"shape":[4]},"layers":['.length + 33_333 * (JSON.stringify(block).length + 1));
  });

  test('a spec listing more layers than the limit (built without the parser) is refused as such', () => {
    const dense = parsed({ input: { shape: [4] }, layers: [DENSE] }).layers[0];
    const layers = Array.from({ length: MAX_EXPANDED_LAYERS + 1 }, (_, i) => ({ ...dense, path: `/layers/${i}` }));
    const network: NetworkSpec = { name: 'n', input: { shape: [4], distribution: 'normal', mean: 0, std: 1, vocab: null }, batchSize: 4, seed: 0, layers: layers as LayerSpec[] };
    const { errors } = buildPlan(network);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].path, `/layers/${MAX_EXPANDED_LAYERS}`);
    assert.match(errors[0].message, /its file lists 100001 layers; split the network$/);
  });

  test('a repeat of exactly the limit plans every layer (no argument-spread overflow)', () => {
    const network = parsed({ input: { shape: [4] }, layers: [{ type: 'repeat', times: 2, layers: [{ type: 'repeat', times: MAX_EXPANDED_LAYERS / 2, layers: [DENSE] }] }] });
    const { plan, errors } = buildPlan(network);
    assert.deepEqual(errors, []);
    assert.equal(plan!.nodes.length, MAX_EXPANDED_LAYERS);
    assert.equal(plan!.ordered.length, MAX_EXPANDED_LAYERS);
    assert.equal(plan!.ordered[MAX_EXPANDED_LAYERS - 1].index, MAX_EXPANDED_LAYERS - 1);
  });

  test('50,000 layers, listed or repeated, are analyzed in analytic mode with a finite prediction for each', () => {
    const listed = JSON.stringify({ input: { shape: [4] }, layers: Array.from({ length: 50_000 }, () => DENSE) });
    const repeated = JSON.stringify({ input: { shape: [4] }, layers: [{ type: 'repeat', times: 50_000, layers: [DENSE] }] });
    const residual = JSON.stringify({ input: { shape: [4] }, layers: [{ type: 'repeat', times: 25_000, layers: [{ type: 'residual', layers: [DENSE] }] }] });
    for (const text of [listed, repeated, residual]) {
      const report = analyze(text, { mode: 'analytic' });
      // Identity residual blocks grow the variance until it overflows, which is a warning, not an error.
      assert.deepEqual(report.problems.filter((p) => p.severity === 'error'), []);
      assert.equal(report.layers.length, 50_000);
      assert.ok(report.layers.every((l, i) => l.index === i && l.predicted !== null));
    }
  });

  test(`${MAX_LAYER_NESTING} nested residual blocks and repeats are planned, predicted and sampled without overflow`, () => {
    let layer: unknown = DENSE;
    for (let i = 0; i < MAX_LAYER_NESTING - 1; i++) layer = i % 2 === 0 ? { type: 'residual', layers: [layer] } : { type: 'repeat', times: 1, layers: [layer] };
    const report = analyze(JSON.stringify({ input: { shape: [4] }, batch_size: 4, layers: [layer] }), { mode: 'both' });
    assert.deepEqual(report.problems.filter((p) => p.severity === 'error'), []);
    assert.equal(report.sampledRefused, null);
    assert.equal(report.layers.length, 1 + MAX_LAYER_NESTING / 2);
    assert.ok(report.layers.every((l) => l.activation !== null && l.predicted !== null));
  });
});
