import * as assert from 'node:assert/strict';
import { analyze } from '../../../../src/engine';
import { parseNetwork } from '../../../../src/engine/format/parseNetwork';
import { buildPlan } from '../../../../src/engine/graph/buildPlan';
import { poolBackward, poolForward, type PoolNode } from '../../../../src/engine/graph/ops/pooling';
import { momentsBound } from '../../../../src/engine/meanField/approximation';
import { assertClose } from '../../../repo';

/** A network's layers, predicted and sampled, with the sampled values the median over `seeds` seeds. */
function run(net: object, seeds = 3): { predicted: { mean: number; std: number; grad: number }[]; sampled: { mean: number; std: number; grad: number }[] } {
  const text = JSON.stringify(net);
  const reports = Array.from({ length: seeds }, (_, seed) => analyze(text, { mode: 'both', seed }));
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return {
    predicted: reports[0].layers.map((l) => ({ mean: l.predicted!.activationMean, std: l.predicted!.activationStd, grad: l.predicted!.gradientStd })),
    sampled: reports[0].layers.map((_, i) => ({
      mean: median(reports.map((r) => r.layers[i].activation!.mean)),
      std: median(reports.map((r) => r.layers[i].activation!.std)),
      grad: median(reports.map((r) => r.layers[i].gradient!.std)),
    })),
  };
}

suite('pooling: max of a window, averages of signals with per-channel means, overlapping windows', () => {
  test('max pooling 2×2 of batchnormed values: the max of 4 normals, mean 1.0294 and std 0.7012 (Harter, 1961)', () => {
    const { predicted, sampled } = run({ input: { shape: [3, 32, 32] }, batch_size: 8, layers: [
      { type: 'conv2d', filters: 32, kernel_size: 3, padding: 'same', init: 'kaiming_normal' }, { type: 'batchnorm' }, { type: 'maxpool2d', size: 2 }] });
    assertClose(predicted[2].mean, 1.0293754, 1e-5);
    // Var(max of 4) = 0.4917, plus the per-filter offset of its neighbour correlations (3 input channels: 0.2%).
    assertClose(predicted[2].std, Math.sqrt(0.4917152), 0.003);
    assertClose(sampled[2].mean, predicted[2].mean, 0.03);
    assertClose(sampled[2].std, predicted[2].std, 0.03);
  });

  test('max pooling after a relu: the gradient reaches the relu only at window maxima, where it is active 15 times in 16', () => {
    const { predicted, sampled } = run({ input: { shape: [3, 32, 32] }, batch_size: 8, layers: [
      { type: 'conv2d', filters: 32, kernel_size: 3, padding: 'same', init: 'kaiming_normal' }, { type: 'batchnorm' },
      { type: 'activation', activation: 'relu' }, { type: 'maxpool2d', size: 2 }, { type: 'flatten' }, { type: 'dense', units: 64, init: 'xavier_normal' }] });
    // Through the relu: E[relu′²] at the max of 4 standard normals is 1 − 2⁻⁴, where everywhere it is ½.
    assertClose(predicted[1].grad / predicted[2].grad, Math.sqrt(15 / 16), 1e-4);
    assertClose(sampled[1].grad / sampled[2].grad, predicted[1].grad / predicted[2].grad, 0.03);
  });

  test('global average pooling keeps each channel\'s mean: Var = σ²_shared + (Var − σ²_shared)/(H·W), after a relu too', () => {
    // 256 channels of relu(conv + bias ~ N(0, 1)): most of the pooled variance is the channels' offsets.
    const { predicted, sampled } = run({ input: { shape: [3, 16, 16] }, batch_size: 4, layers: [
      { type: 'conv2d', filters: 256, kernel_size: 3, padding: 'same', activation: 'relu', init: 'kaiming_normal', bias: { scheme: 'normal', std: 1 } },
      { type: 'global_avg_pool' }] });
    // Without the offsets the pooled std would be the relu's over √256 = 16; with them it is most of it.
    assertClose(sampled[1].std, predicted[1].std, 0.08);
    assertClose(sampled[1].mean, predicted[1].mean, 0.08);
  });

  test('overlapping max pooling (3×3, stride 1) then a global average: correlated neighbours, coherent gradients on shared maxima', () => {
    const { predicted, sampled } = run({ input: { shape: [3, 12, 12] }, batch_size: 8, layers: [
      { type: 'conv2d', filters: 64, kernel_size: 3, padding: 'same', init: 'kaiming_normal' }, { type: 'batchnorm' },
      { type: 'maxpool2d', size: 3, stride: 1 }, { type: 'global_avg_pool' }, { type: 'dense', units: 32, init: 'xavier_normal' }] });
    // The 12×12 image's zero-padded border (a third of the positions see fewer taps) moves it by a few percent more.
    assertClose(sampled[3].std, predicted[3].std, 0.15);
    // The gradient at the max pooling's input (the batchnorm's output): each 3×3 window's share lands on its max,
    // and neighbouring windows often share it.
    assertClose(sampled[1].grad, predicted[1].grad, 0.06);
  });
});

/** The planned nodes of a network (batch 1, seed 0). */
function nodesOf(net: object): PoolNode[] {
  const parsed = parseNetwork(JSON.stringify({ batch_size: 1, ...net }));
  assert.deepEqual(parsed.problems, []);
  const { plan, errors } = buildPlan(parsed.network!);
  assert.deepEqual(errors, []);
  return plan!.nodes as PoolNode[];
}

suite('pooling with padding "same" that pads: TensorFlow\'s windows, clipped to the input', () => {
  // x = 5r + c on a 5×5 map, 3×3 windows by 2: ⌈5/2⌉ = 3 outputs, (3 − 1)·2 + 3 − 5 = 2 padded, one before and one
  // after, so the windows hold rows (and columns) {0, 1}, {1, 2, 3}, {3, 4}: max = 5·max(rows) + max(cols),
  // average = 5·mean(rows) + mean(cols) with the means 0.5, 2, 3.5 (the padding ignored, as tf.nn.avg_pool2d).
  const map = { input: { shape: [1, 5, 5] }, layers: [{ type: 'maxpool2d', size: 3, stride: 2, padding: 'same' }] };
  const x = Float32Array.from({ length: 25 }, (_, i) => i);

  test('a 5×5 map pooled 3×3 by 2: 3×3 outputs, padding [1, 1] before, each window\'s max and average over its inputs inside', () => {
    const [max] = nodesOf(map);
    const [avg] = nodesOf({ ...map, layers: [{ ...map.layers[0], type: 'avgpool2d' }] });
    assert.deepEqual([max.outShape, max.padding], [[1, 3, 3], [1, 1]]);
    assert.deepEqual([...poolForward(max, x, 1).out], [6, 8, 9, 16, 18, 19, 21, 23, 24]);
    assert.deepEqual([...poolForward(max, x, 1).argmax!], [6, 8, 9, 16, 18, 19, 21, 23, 24]);
    assert.deepEqual([...poolForward(avg, x, 1).out], [3, 4.5, 6, 10.5, 12, 13.5, 18, 19.5, 21]);
  });

  test('backward: a max\'s gradient lands on its window\'s argmax, an average\'s is dy/n_valid on each of its n_valid inputs', () => {
    const [max] = nodesOf(map);
    const [avg] = nodesOf({ ...map, layers: [{ ...map.layers[0], type: 'avgpool2d' }] });
    const dy = new Float32Array(9).fill(1);
    const { argmax } = poolForward(max, x, 1);
    const expectedMax = new Float32Array(25);
    for (const r of [1, 3, 4]) for (const c of [1, 3, 4]) expectedMax[5 * r + c] = 1;
    assert.deepEqual([...poolBackward(max, dy, argmax, 1)], [...expectedMax]);
    // With dy = 1 an input at row r, column c gets g(r)·g(c), g = Σ over the windows holding it of 1/their length:
    // 1/2, 1/2 + 1/3, 1/3, 1/3 + 1/2, 1/2.
    const g = [1 / 2, 5 / 6, 1 / 3, 5 / 6, 1 / 2];
    const actual = poolBackward(avg, dy, undefined, 1);
    for (let r = 0; r < 5; r++) for (let c = 0; c < 5; c++) assertClose(actual[5 * r + c], g[r] * g[c], 1e-6, 0, `dx[${r}][${c}]`);
  });

  test('output shapes as Keras computes them, ⌈in/stride⌉ (2×2 by 2 on 7×7: 4×4, padded after only); "same" that pads nothing plans the "valid" node', () => {
    const [odd] = nodesOf({ input: { shape: [2, 7, 7] }, layers: [{ type: 'maxpool2d', size: 2, padding: 'same' }] });
    assert.deepEqual([odd.outShape, odd.padding], [[2, 4, 4], [0, 0]]);
    // ResNet-50's stem pooling in its "same" form: 3×3 by 2 on 112×112 → 56×56, padding 0 before and 1 after.
    const [stem] = nodesOf({ input: { shape: [64, 112, 112] }, layers: [{ type: 'maxpool2d', size: 3, stride: 2, padding: 'same' }] });
    assert.deepEqual([stem.outShape, stem.padding], [[64, 56, 56], [0, 0]]);
    const [line] = nodesOf({ input: { shape: [8, 1, 101] }, layers: [{ type: 'avgpool2d', size: [1, 4], stride: [1, 3], padding: 'same' }] });
    assert.deepEqual([line.outShape, line.padding], [[8, 1, 34], [0, 1]]);
    const even = { input: { shape: [2, 8, 8] }, layers: [{ type: 'maxpool2d', size: 2 }] };
    assert.deepEqual(nodesOf({ ...even, layers: [{ ...even.layers[0], padding: 'same' }] }), nodesOf(even));
  });

  test('max pooling 3×3 by 2 of a 7×7 normal map: the mixture of the max of 4, 6 and 9 normals, sampled and predicted; a global average after it', () => {
    const { predicted, sampled } = run({ input: { shape: [16, 7, 7] }, batch_size: 256, layers: [
      { type: 'maxpool2d', size: 3, stride: 2, padding: 'same' }, { type: 'global_avg_pool' }] });
    // Window lengths 2, 3, 3, 2 per axis: 4 windows of 4, 8 of 6 and 4 of 9 (E[max] 1.0294, 1.2672, 1.4850; Harter, 1961).
    assertClose(predicted[0].mean, (4 * 1.0293754 + 8 * 1.2672064 + 4 * 1.4850132) / 16, 1e-5);
    assertClose(sampled[0].mean, predicted[0].mean, 0.01);
    assertClose(sampled[0].std, predicted[0].std, 0.01);
    // The channel average: covariances of the overlapping windows (they share a row or a column), the edge's lower
    // maxima not counted as spread; a full 3×3 window everywhere would predict a mean of 1.4850.
    assertClose(sampled[1].std, predicted[1].std, 0.02);
    assertClose(sampled[0].grad / sampled[1].grad, predicted[0].grad / predicted[1].grad, 0.01);
  });

  test('max pooling after a relu: the gradient reaches it at window maxima, Σ_n f_n·(1 − 2⁻ⁿ) of its factor for the edge\'s smaller windows', () => {
    const { predicted, sampled } = run({ input: { shape: [64, 7, 7] }, batch_size: 32, layers: [
      { type: 'batchnorm' }, { type: 'activation', activation: 'relu' }, { type: 'maxpool2d', size: 3, stride: 2, padding: 'same' },
      { type: 'flatten' }, { type: 'dense', units: 64, init: 'xavier_normal' }] });
    // Through the relu: E[relu′²] at the max of n standard normals is 1 − 2⁻ⁿ, for 4 windows of 4, 8 of 6, 4 of 9.
    const expected = (4 * (1 - 2 ** -4) + 8 * (1 - 2 ** -6) + 4 * (1 - 2 ** -9)) / 16;
    assertClose(predicted[0].grad / predicted[1].grad, Math.sqrt(expected), 1e-4);
    assertClose(sampled[0].grad / sampled[1].grad, predicted[0].grad / predicted[1].grad, 0.02);
    assertClose(sampled[2].mean, predicted[2].mean, 0.01);
    assertClose(sampled[2].std, predicted[2].std, 0.01);
  });

  // A 7×7 map averaged 3×3 by 1: per axis 2 windows of length 2 and 5 of length 3, so 4 windows of 4 inputs, 20 of
  // 6 and 25 of 9; an input at row r gets g(r)·g(c) of a gradient that is 1 everywhere, g = 1/2 + 1/3, 1/2 + 2/3, 1,
  // 1, 1, 2/3 + 1/2, 1/3 + 1/2.
  const inverse = 4 / 4 + 20 / 6 + 25 / 9;
  const g = [5 / 6, 7 / 6, 1, 1, 1, 7 / 6, 5 / 6];

  test('average pooling 3×3 by 1 of a 7×7 map: Var = σ²·Σ_n f_n/n, backward Var(dx) = Var(dy)·Σ_p (1/n_p)/(H·W)', () => {
    const { predicted, sampled } = run({ input: { shape: [16, 7, 7] }, batch_size: 256, layers: [
      { type: 'batchnorm' }, { type: 'avgpool2d', size: 3, stride: 1, padding: 'same' }, { type: 'flatten' }, { type: 'dense', units: 64, init: 'xavier_normal' }] });
    assertClose(predicted[1].std, Math.sqrt(inverse / 49), 1e-4);
    assertClose(predicted[0].grad / predicted[1].grad, Math.sqrt(inverse / 49), 1e-9);
    assertClose(sampled[1].std, predicted[1].std, 0.01);
    assertClose(sampled[0].grad / sampled[1].grad, predicted[0].grad / predicted[1].grad, 0.01);
  });

  test('average pooling 3×3 by 1 of a 7×7 map, then a global average: Var = σ²·Σ_i (Σ_{p∋i} 1/n_p)²/(H·W)², the gradients adding on shared inputs', () => {
    const { predicted, sampled } = run({ input: { shape: [16, 7, 7] }, batch_size: 256, layers: [
      { type: 'batchnorm' }, { type: 'avgpool2d', size: 3, stride: 1, padding: 'same' }, { type: 'global_avg_pool' }, { type: 'dense', units: 64, init: 'xavier_normal' }] });
    const squares = g.reduce((a, b) => a + b * b, 0) ** 2;
    assertClose(predicted[2].std, Math.sqrt(squares) / 49, 1e-4);
    // Uniform dy/49 at the pooled map: dx_i = g(r)·g(c)·dy/49, so Var(dx) = Var(dy)·Σ g²/49³ over Var at the pooled map's 1/49².
    assertClose(predicted[0].grad / predicted[1].grad, Math.sqrt(squares / 49), 1e-9);
    assertClose(sampled[2].std, predicted[2].std, 0.02);
    assertClose(sampled[0].grad / sampled[1].grad, predicted[0].grad / predicted[1].grad, 0.01);
  });

  test('a pooling of what a clipped pooling left (through a relu) is bounded by fully correlated windows, and the sampled run lies within', () => {
    const net = (padding: string): object => ({ input: { shape: [16, 9, 9] }, batch_size: 8, layers: [
      { type: 'maxpool2d', size: 2, padding }, { type: 'activation', activation: 'relu' }, { type: 'maxpool2d', size: 2, padding }] });
    const clipped = analyze(JSON.stringify(net('same')), { mode: 'analytic' }).layers.map((l) => l.predicted!);
    // The first pooling's output is exact; the second groups neighbours from alike edge windows, where it takes
    // independent ones: between its own prediction and windows of equal elements, whose max is the relu's output.
    assert.ok(clipped[0].approximateBy! < 0.1, String(clipped[0].approximateBy));
    const between = momentsBound({ mean: clipped[2].activationMean, std: clipped[2].activationStd }, { mean: clipped[1].activationMean, std: clipped[1].activationStd });
    assert.ok(clipped[2].approximate && clipped[2].approximateBy! >= between && Number.isFinite(clipped[2].approximateBy), String(clipped[2].approximateBy));
    const { predicted, sampled } = run(net('same'));
    assert.ok(Math.abs(predicted[2].std - sampled[2].std) <= clipped[2].approximateBy! * sampled[2].std);
    assert.ok(Math.abs(predicted[2].mean - sampled[2].mean) <= clipped[2].approximateBy! * sampled[2].std);
    assert.equal(analyze(JSON.stringify(net('valid')), { mode: 'analytic' }).layers[2].predicted!.approximate, false);
  });
});
