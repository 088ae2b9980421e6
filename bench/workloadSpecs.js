// The benchmark workloads, as network descriptions for the engine (bench/workloads_numpy.py has the NumPy side of
// w1 to w3, bench/workloads_torch.py the PyTorch side of w1 and w4). `target` bounds engine ÷ NumPy, `torchTarget`
// engine ÷ PyTorch (whole processes; issue 6 for w1fwd to w3, issue 12 for w1 and w4):
//   w1     lecture: batch 16, six 4096×4096 tanh layers, 0.01·randn; init + forward + backward + statistics
//   w1fwd  the same, init + forward + statistics
//   w2     batch 1000 through ten 500-wide tanh layers (LeCun normal); forward + backward + statistics
//   w3     batch 8, 64 channels at 56×56, 8 residual blocks of two 3×3 convs (Kaiming, ReLU); forward + statistics
//   w4     twelve GPT-2-small blocks (pre-LN, width 768, 12 heads, causal, fused qkv, MLP 3072 gelu_new; N(0, 0.02²),
//          c_proj N(0, (0.02/√24)²)), batch 4 of [128, 768] unit-normal features; init + forward + backward + statistics
'use strict';

const mlp = (batch, width, depth, init) => JSON.stringify({ input: { shape: [width] }, batch_size: batch,
  layers: [{ type: 'repeat', times: depth, layers: [{ type: 'dense', units: width, activation: 'tanh', init }] }] });
const conv = { type: 'conv2d', filters: 64, kernel_size: 3, padding: 'same', init: { scheme: 'kaiming_normal', nonlinearity: 'relu' } };
const resnet = JSON.stringify({ input: { shape: [64, 56, 56] }, batch_size: 8, layers: [{ type: 'repeat', times: 8, layers: [
  { type: 'residual', activation: 'relu', layers: [{ ...conv, activation: 'relu' }, conv] }] }] });

/** GPT-2 small's blocks (HF GPT2Block with GPT-2's init: N(0, 0.02²), the two c_proj scaled by 1/√(2·blocks)). */
function gpt2(blocks, batch, tokens, width, heads, hidden) {
  const init = { scheme: 'normal', std: 0.02 };
  const projInit = { scheme: 'normal', std: 0.02 / Math.sqrt(2 * blocks) };
  const block = [
    { type: 'residual', layers: [{ type: 'layernorm' }, { type: 'attention', heads, causal: true, fused_qkv: true, init, out_init: projInit }] },
    { type: 'residual', layers: [{ type: 'layernorm' }, { type: 'dense', units: hidden, activation: 'gelu_new', init }, { type: 'dense', units: width, init: projInit }] },
  ];
  return JSON.stringify({ input: { shape: [tokens, width] }, batch_size: batch, layers: [{ type: 'repeat', times: blocks, layers: block }] });
}

/** Forward only: the progress callback stops the sampled run once the forward half is done. */
const forwardOnly = (fraction) => fraction > 0.5;

const WORKLOADS = [
  { id: 'w1', label: 'W1 lecture, init + fwd + bwd + stats', text: mlp(16, 4096, 6, { scheme: 'normal', std: 0.01 }), target: 0.15, torchTarget: 0.2 },
  { id: 'w1fwd', label: 'W1 lecture, init + fwd + stats', text: mlp(16, 4096, 6, { scheme: 'normal', std: 0.01 }), onProgress: forwardOnly, target: 0.5 },
  { id: 'w2', label: 'W2 batch 1000, 10 × 500 tanh, fwd + bwd + stats', text: mlp(1000, 500, 10, 'lecun_normal'), target: 1.3 },
  { id: 'w3', label: 'W3 ResNet-style conv, fwd + stats', text: resnet, onProgress: forwardOnly, target: 0.8 },
  { id: 'w4', label: 'W4 12 GPT-2-small blocks, batch 4 × 128 tokens, init + fwd + bwd + stats', text: gpt2(12, 4, 128, 768, 12, 3072), torchTarget: 0.5 },
];

/** Big enough for every workload (W3's forward pass is about 30 GFLOP). */
const BUDGET = { flops: 1e12, bytes: 8 * 1024 ** 3 };

module.exports = { WORKLOADS, BUDGET };
