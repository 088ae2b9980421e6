// The compute-core benchmark workloads, as network descriptions for the engine (bench/workloads_numpy.py has the
// NumPy side of each):
//   w1     lecture: batch 16, six 4096×4096 tanh layers, 0.01·randn; init + forward + backward + statistics
//   w1fwd  the same, init + forward + statistics
//   w2     batch 1000 through ten 500-wide tanh layers (LeCun normal); forward + backward + statistics
//   w3     batch 8, 64 channels at 56×56, 8 residual blocks of two 3×3 convs (Kaiming, ReLU); forward + statistics
'use strict';

const mlp = (batch, width, depth, init) => JSON.stringify({ input: { shape: [width] }, batch_size: batch,
  layers: [{ type: 'repeat', times: depth, layers: [{ type: 'dense', units: width, activation: 'tanh', init }] }] });
const conv = { type: 'conv2d', filters: 64, kernel_size: 3, padding: 'same', init: { scheme: 'kaiming_normal', nonlinearity: 'relu' } };
const resnet = JSON.stringify({ input: { shape: [64, 56, 56] }, batch_size: 8, layers: [{ type: 'repeat', times: 8, layers: [
  { type: 'residual', activation: 'relu', layers: [{ ...conv, activation: 'relu' }, conv] }] }] });

/** Forward only: the progress callback stops the sampled run once the forward half is done. */
const forwardOnly = (fraction) => fraction > 0.5;

const WORKLOADS = [
  { id: 'w1', label: 'W1 lecture, init + fwd + bwd + stats', text: mlp(16, 4096, 6, { scheme: 'normal', std: 0.01 }), target: 0.4 },
  { id: 'w1fwd', label: 'W1 lecture, init + fwd + stats', text: mlp(16, 4096, 6, { scheme: 'normal', std: 0.01 }), onProgress: forwardOnly, target: 0.5 },
  { id: 'w2', label: 'W2 batch 1000, 10 × 500 tanh, fwd + bwd + stats', text: mlp(1000, 500, 10, 'lecun_normal'), target: 1.3 },
  { id: 'w3', label: 'W3 ResNet-style conv, fwd + stats', text: resnet, onProgress: forwardOnly, target: 0.8 },
];

/** Big enough for every workload (W3's forward pass is about 30 GFLOP). */
const BUDGET = { flops: 1e12, bytes: 8 * 1024 ** 3 };

module.exports = { WORKLOADS, BUDGET };
