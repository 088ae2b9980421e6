import * as assert from 'node:assert/strict';
import { applyWhatIf, parseNetwork, whatIfFixes } from '../../../src/engine';
import type { LayerSpec } from '../../../src/engine/format/networkSpec';
import type { DenseSpec } from '../../../src/engine/graph/ops/dense';

const net = parseNetwork(JSON.stringify({ input: { shape: [8] }, layers: [
  { type: 'dense', units: 8, activation: 'relu', init: { scheme: 'kaiming_normal', nonlinearity: 'tanh', mode: 'fan_out' } },
  { type: 'repeat', times: 2, layers: [{ type: 'dense', units: 8, activation: 'leaky_relu', negative_slope: 0.2, init: 'xavier_normal' }] },
] })).network!;
const dense = (layers: LayerSpec[], i: number): DenseSpec => layers[i] as DenseSpec;

suite('what-if', () => {
  test('"keep" keeps the layer\'s scheme and options and multiplies its multiplier', () => {
    const applied = applyWhatIf(net, { target: 'all', scheme: 'keep', multiplier: 0.5 });
    assert.deepEqual(dense(applied.layers, 0).init.options, { nonlinearity: 'tanh', mode: 'fan_out' });
    assert.equal(dense(applied.layers, 0).init.multiplier, 0.5);
  });

  test('a new Kaiming scheme takes the layer\'s ReLU-family activation, and targets one layer (all its copies)', () => {
    const applied = applyWhatIf(net, { target: '/layers/1/layers/0', scheme: 'he_normal', multiplier: 1 });
    assert.equal(dense(applied.layers, 0).init.scheme, 'kaiming_normal');
    assert.deepEqual(dense(applied.layers, 0).init.options, { nonlinearity: 'tanh', mode: 'fan_out' }, 'the other layer is untouched');
    const repeated = (applied.layers[1] as { layers: LayerSpec[] }).layers;
    assert.deepEqual(dense(repeated, 0).init.options, { nonlinearity: 'leaky_relu', a: 0.2 });
    assert.deepEqual(whatIfFixes(net, { target: '/layers/1/layers/0', scheme: 'he_normal', multiplier: 2 }).map((f) => [f.path, f.value]),
      [['/layers/1/layers/0/init', { scheme: 'kaiming_normal', nonlinearity: 'leaky_relu', a: 0.2, multiplier: 2 }]]);
  });
});
