import { analyze } from '../../../../src/engine';
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
