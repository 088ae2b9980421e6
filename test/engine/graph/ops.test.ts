import { isStreamable } from '../../../src/engine/sampled/streamedWeight';
import * as assert from 'node:assert/strict';
import { analyze } from '../../../src/engine';
import { referenceBackend } from '../../../src/engine/backend/reference/referenceBackend';
import { parseNetwork } from '../../../src/engine/format/parseNetwork';
import type { SampledContext, SampledLayer, TapeEntry } from '../../../src/engine/graph/layerOp';
import type { WeightNode } from '../../../src/engine/graph/ops/weightLayer';
import { buildPlan } from '../../../src/engine/graph/buildPlan';
import { type Plan, type PlanNode, sizeOf } from '../../../src/engine/graph/plan';
import { LAYER_TYPE_ALIASES, LAYER_TYPES, nodeOp, specOp } from '../../../src/engine/graph/registry';
import { sampleInit } from '../../../src/engine/init/sampleInit';
import { streamKey } from '../../../src/engine/random/fill';
import { Stream } from '../../../src/engine/random/rng';

/**
 * A sampled context that keeps everything (weights, tapes) and hands out plain arrays: enough to run one network's
 * nodes forward and backward through their ops, as the sampled run does, and to compare the backward pass with
 * finite differences of the forward pass.
 */
function harness(plan: Plan): SampledContext {
  const tapes = new Map<number, TapeEntry>();
  const weights = new Map<number, { w: Float32Array; b: Float32Array | null }>();
  const results = new Map<number, SampledLayer>();
  const ctx: SampledContext = {
    batch: plan.batchSize,
    seed: plan.seed,
    backend: referenceBackend,
    tensor: (length) => new Float32Array(length),
    forwardDone: () => undefined,
    gradient: (length) => new Float32Array(length),
    dropGradient: () => undefined,
    // Every weight that can be streamed is, in blocks of two rows: the central differences check the streamed
    // products (the whole-matrix ones run in every golden and oracle test, whose small networks cache their weights).
    // Not an embedding's table, which the table-gradient test perturbs in the cache (the streamed lookup is checked
    // against the whole table in test/engine/sampled/streamedWeight.test.ts).
    streamed: (node, init, rows, cols, part, zeroRow = null) => (node.op !== 'embedding' && isStreamable(init, rows, cols, 2 * cols)
      ? { stream: part === undefined ? Stream.weight(node.index) : Stream.partWeight(node.index, part), init, rows, cols, zeroRow, blockFloats: 2 * cols } : null),
    record(node, entry) {
      tapes.set(node.index, entry);
      results.set(node.index, { gradientStd: NaN, weightStd: null, weightGradientStd: null } as unknown as SampledLayer);
    },
    weights(node: WeightNode) {
      let held = weights.get(node.index);
      if (!held) {
        const rows = node.weightShape[0];
        const w = new Float32Array(sizeOf(node.weightShape));
        sampleInit(node.init, plan.seed, Stream.weight(node.index), referenceBackend, w, rows, node.fanIn);
        let b: Float32Array | null = null;
        if (node.bias) {
          b = new Float32Array(rows);
          sampleInit(node.bias, plan.seed, Stream.bias(node.index), referenceBackend, b, 1, rows);
        }
        held = { w, b };
        weights.set(node.index, held);
      }
      return held;
    },
    partWeight(node, part, init, rows, cols) {
      const w = new Float32Array(rows * cols);
      sampleInit(init, plan.seed, Stream.partWeight(node.index, part), referenceBackend, w, rows, cols);
      return w;
    },
    partBias(node, part, init, rows) {
      const b = new Float32Array(rows);
      sampleInit(init, plan.seed, Stream.partBias(node.index, part), referenceBackend, b, 1, rows);
      return b;
    },
    holdsWeights: () => true,
    dropWeights: () => undefined,
    result: (node) => results.get(node.index)!,
    forwardNodes(nodes, x) {
      let h = x;
      for (const node of nodes) h = ctx.forwardNode(node, h);
      return h;
    },
    forwardNode: (node, x) => nodeOp(node.op).forward(node, x, ctx),
    backwardNodes(nodes, dy, needInput) {
      let g = dy;
      for (let i = nodes.length - 1; i >= 0; i--) g = ctx.backwardNode(nodes[i], g, needInput || i > 0);
      return g;
    },
    backwardNode: (node: PlanNode, dy, needInput) => nodeOp(node.op).backward(node, dy, tapes.get(node.index)!, ctx, needInput),
  };
  return ctx;
}

function planOf(doc: object): Plan {
  const parsed = parseNetwork(JSON.stringify({ batch_size: 3, seed: 7, ...doc }));
  assert.deepEqual(parsed.problems, []);
  const { plan, errors } = buildPlan(parsed.network!);
  assert.deepEqual(errors, []);
  return plan!;
}

/** L = Σ r·f(x) through an existing context (its held weights, which a test may perturb). */
function lossWith(ctx: SampledContext, plan: Plan, x: Float32Array, r: Float32Array): number {
  const out = ctx.forwardNodes(plan.nodes, x);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += r[i] * out[i];
  return sum;
}

/** L(x) = Σ r·f(x) in float64, f the network's forward pass. */
function loss(plan: Plan, x: Float32Array, r: Float32Array): number {
  const out = harness(plan).forwardNodes(plan.nodes, x);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += r[i] * out[i];
  return sum;
}

// One small network per op (smooth activations, so that central differences apply); each op's backward pass must be
// the derivative of its forward pass.
const NETWORKS: Record<string, object> = {
  dense: { input: { shape: [5] }, layers: [{ type: 'dense', units: 4, activation: 'tanh', init: 'xavier_normal', bias: { scheme: 'normal', std: 0.5 } }] },
  conv2d: { input: { shape: [2, 5, 5] }, layers: [{ type: 'conv2d', filters: 3, kernel_size: 3, stride: 2, padding: 1, activation: 'tanh', init: 'he_normal' }] },
  'conv2d with groups': { input: { shape: [4, 5, 5] }, layers: [{ type: 'conv2d', filters: 6, groups: 2, kernel_size: 3, padding: 1, activation: 'tanh', init: 'he_normal', bias: { scheme: 'normal', std: 0.3 } }] },
  concatenate: { input: { shape: [2, 4, 4] }, layers: [{ type: 'concatenate', branches: [[], [{ type: 'conv2d', filters: 3, kernel_size: 3, padding: 1, activation: 'tanh' }], [{ type: 'conv2d', filters: 1, kernel_size: 1, activation: 'tanh' }, { type: 'activation', activation: 'sigmoid' }]] }] },
  'concatenate on a sequence': { input: { shape: [3, 4] }, layers: [{ type: 'concatenate', branches: [[{ type: 'dense', units: 2, activation: 'tanh' }], [], [{ type: 'dense', units: 5, activation: 'tanh' }]] }] },
  reshape: { input: { shape: [6] }, layers: [{ type: 'reshape', shape: [6, 1, 1] }, { type: 'conv2d', filters: 3, kernel_size: 1, activation: 'tanh' }, { type: 'reshape', shape: [3] }] },
  'depthwise conv2d': { input: { shape: [3, 6, 6] }, layers: [{ type: 'conv2d', depth_multiplier: 2, kernel_size: 3, stride: 2, padding: 'same', activation: 'tanh', init: 'he_normal' }] },
  activation: { input: { shape: [6] }, layers: [{ type: 'activation', activation: 'gelu' }, { type: 'activation', activation: 'silu' }, { type: 'activation', activation: 'sigmoid' }] },
  batchnorm: { input: { shape: [2, 3, 3] }, layers: [{ type: 'batchnorm' }, { type: 'flatten' }, { type: 'dense', units: 3, activation: 'tanh' }, { type: 'batchnorm' }] },
  layernorm: { input: { shape: [6] }, layers: [{ type: 'layernorm' }, { type: 'dense', units: 4, activation: 'tanh' }] },
  'layernorm over a whole [C, H, W] sample': { input: { shape: [2, 2, 3] }, layers: [{ type: 'layernorm' }, { type: 'flatten' }, { type: 'dense', units: 3, activation: 'tanh' }] },
  rmsnorm: { input: { shape: [6], mean: 0.5 }, layers: [{ type: 'rmsnorm', eps: 1e-3, weight: { scheme: 'normal', mean: 1, std: 0.5 } }, { type: 'dense', units: 4, activation: 'tanh' }] },
  'rmsnorm with its default gain (ones)': { input: { shape: [5] }, layers: [{ type: 'rmsnorm' }, { type: 'dense', units: 3, activation: 'tanh' }] },
  flatten: { input: { shape: [2, 2, 2] }, layers: [{ type: 'flatten' }, { type: 'dense', units: 3, activation: 'tanh' }] },
  maxpool2d: { input: { shape: [1, 4, 4] }, layers: [{ type: 'maxpool2d', size: 2 }] },
  avgpool2d: { input: { shape: [2, 5, 5] }, layers: [{ type: 'avgpool2d', size: 2, stride: 1 }] },
  'maxpool2d with padding "same" that pads (windows clipped at the edges, 2-D and [C, 1, T])': { input: { shape: [2, 5, 5] }, layers: [
    { type: 'maxpool2d', size: 3, stride: 2, padding: 'same' }, { type: 'maxpool2d', size: 2, padding: 'same' }, { type: 'reshape', shape: [2, 1, 4] },
    { type: 'maxpool2d', size: [1, 3], stride: [1, 2], padding: 'same' }] },
  'avgpool2d with padding "same" that pads (windows clipped at the edges, 2-D and [C, 1, T])': { input: { shape: [2, 5, 5] }, layers: [
    { type: 'avgpool2d', size: 3, stride: 1, padding: 'same' }, { type: 'avgpool2d', size: [2, 3], stride: 2, padding: 'same' }, { type: 'reshape', shape: [2, 1, 9] },
    { type: 'avgpool2d', size: [1, 2], padding: 'same' }] },
  global_avg_pool: { input: { shape: [3, 2, 2] }, layers: [{ type: 'global_avg_pool' }] },
  global_max_pool: { input: { shape: [3, 3, 2] }, layers: [{ type: 'conv2d', filters: 2, kernel_size: 1, activation: 'tanh' }, { type: 'global_max_pool' }, { type: 'dense', units: 2, activation: 'tanh' }] },
  dropout: { input: { shape: [8] }, layers: [{ type: 'dropout', rate: 0.3 }, { type: 'activation', activation: 'tanh' }] },
  residual: { input: { shape: [4] }, layers: [{ type: 'residual', activation: 'tanh', layers: [{ type: 'dense', units: 4, activation: 'tanh' }, { type: 'dense', units: 4 }] }] },
  repeat: { input: { shape: [3] }, layers: [{ type: 'repeat', times: 2, layers: [{ type: 'dense', units: 3, activation: 'tanh' }] }] },
  embedding: { input: { tokens: 5, vocab: 6 }, layers: [{ type: 'embedding', vocab: 7, units: 4, padding_idx: 2 }, { type: 'attention', heads: 2, causal: true }] },
  position_embedding: { input: { shape: [4, 3] }, layers: [{ type: 'position_embedding', positions: 6 }, { type: 'position_embedding', positions: 2, index: 'zero' }, { type: 'activation', activation: 'tanh' }] },
  attention: { input: { shape: [5, 6] }, layers: [{ type: 'attention', heads: 3, init: { scheme: 'normal', std: 0.5 }, bias: { scheme: 'normal', std: 0.3 } }] },
  'attention (causal, grouped-query, rotary, no scale)': { input: { shape: [6, 8] }, layers: [{ type: 'attention', heads: 4, kv_heads: 2, head_dim: 4, causal: true, scale: 'none', rotary: { fraction: 0.5, base: 100 }, init: { scheme: 'normal', std: 0.3 }, out_init: 'xavier_normal', bias: false }] },
  'attention (fused qkv, multi-query)': { input: { shape: [4, 6] }, layers: [{ type: 'attention', heads: 2, kv_heads: 1, fused_qkv: true, causal: true, init: { scheme: 'normal', std: 0.4 }, bias: { scheme: 'normal', std: 0.2 }, out_bias: false }] },
  gated_mlp: { input: { shape: [3, 5] }, layers: [{ type: 'gated_mlp', hidden: 7, init: 'xavier_normal' }, { type: 'gated_mlp', hidden: 4, activation: 'gelu_new', bias: { scheme: 'normal', std: 0.2 }, down_init: { scheme: 'normal', std: 0.3 } }] },
  parallel_residual: { input: { shape: [3, 4] }, layers: [{ type: 'parallel_residual', branches: [[{ type: 'dense', units: 4, activation: 'tanh' }], [{ type: 'dense', units: 6, activation: 'gelu_new' }, { type: 'dense', units: 4 }]] }] },
  lm_head: { input: { shape: [3, 4] }, layers: [{ type: 'dense', units: 4, activation: 'tanh' }, { type: 'lm_head', vocab: 9, init: { scheme: 'normal', std: 0.5 }, bias: { scheme: 'normal', std: 0.1 } }] },
  'dense and dropout on a sequence': { input: { shape: [3, 4] }, layers: [{ type: 'dense', units: 5, activation: 'silu', bias: { scheme: 'normal', std: 0.3 } }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 2, activation: 'gelu_new' }] },
  scale: { input: { shape: [4] }, layers: [{ type: 'dense', units: 4, activation: 'tanh' }, { type: 'scale', factor: -0.7 }, { type: 'activation', activation: 'tanh' }] },
  to_sequence: { input: { shape: [2, 4, 4] }, layers: [{ type: 'conv2d', filters: 4, kernel_size: 2, stride: 2, activation: 'tanh' }, { type: 'to_sequence' },
    { type: 'attention', heads: 2, init: { scheme: 'normal', std: 0.5 } }] },
  multiply: { input: { shape: [3, 2, 2] }, layers: [{ type: 'conv2d', filters: 3, kernel_size: 1, activation: 'tanh' },
    { type: 'multiply', branches: [[], [{ type: 'global_avg_pool' }, { type: 'dense', units: 2, activation: 'relu' }, { type: 'dense', units: 3, activation: 'sigmoid' }]] }] },
  'multiply (a sequence by a per-feature gate, and two full branches)': { input: { shape: [4, 3] }, layers: [
    { type: 'multiply', branches: [[{ type: 'dense', units: 3, activation: 'tanh' }], [{ type: 'first_token' }, { type: 'dense', units: 3, activation: 'sigmoid' }]] },
    { type: 'multiply', branches: [[], [{ type: 'dense', units: 3, activation: 'tanh' }], [{ type: 'reshape', shape: [12] }, { type: 'dense', units: 3 }, { type: 'reshape', shape: [1, 3] }]] }] },
  'reshape (channels_last: a map\'s positions as tokens, and back to a map)': { input: { shape: [3, 2, 2] }, layers: [{ type: 'conv2d', filters: 3, kernel_size: 1, activation: 'tanh' },
    { type: 'reshape', shape: [4, 3], order: 'channels_last' }, { type: 'dense', units: 3, activation: 'tanh' }, { type: 'reshape', shape: [2, 2, 3], order: 'channels_last' }, { type: 'conv2d', filters: 2, kernel_size: 2 }] },
  to_feature_map: { input: { shape: [5, 3] }, layers: [{ type: 'dense', units: 4, activation: 'tanh' }, { type: 'to_feature_map' },
    { type: 'conv2d', filters: 2, kernel_size: [1, 3], padding: 'same', activation: 'tanh' }, { type: 'to_sequence' }, { type: 'dense', units: 3, activation: 'tanh' }] },
  class_token: { input: { shape: [3, 4] }, layers: [{ type: 'class_token', init: { scheme: 'normal', std: 0.5 } }, { type: 'attention', heads: 2, init: { scheme: 'normal', std: 0.5 } }] },
  first_token: { input: { shape: [3, 4] }, layers: [{ type: 'attention', heads: 2, init: { scheme: 'normal', std: 0.5 } }, { type: 'first_token' }, { type: 'dense', units: 3, activation: 'tanh' }] },
  'attention (own and shared relative position bias)': { input: { shape: [5, 6] }, layers: [
    { type: 'attention', heads: 2, scale: 'none', init: { scheme: 'normal', std: 0.3 }, position_bias: { buckets: 6, max_distance: 8, init: { scheme: 'normal', std: 0.7 } } },
    { type: 'attention', heads: 2, causal: true, init: { scheme: 'normal', std: 0.3 }, position_bias: 'shared' }] },
  encoder: { input: { shape: [4, 6] }, layers: [
    { type: 'encoder', layers: [{ type: 'dense', units: 6, activation: 'tanh' }, { type: 'attention', heads: 2, init: { scheme: 'normal', std: 0.5 } }] },
    { type: 'dense', units: 6, activation: 'tanh' }, { type: 'cross_attention', heads: 2, init: { scheme: 'normal', std: 0.5 } }] },
  cross_attention: { input: { shape: [4, 6] }, layers: [
    { type: 'encoder', layers: [{ type: 'dense', units: 4, activation: 'tanh' }] },
    { type: 'attention', heads: 2, causal: true, init: { scheme: 'normal', std: 0.5 }, position_bias: { buckets: 4, max_distance: 3, bidirectional: false, init: { scheme: 'normal', std: 0.5 } } },
    { type: 'cross_attention', heads: 3, kv_heads: 1, init: { scheme: 'normal', std: 0.5 }, bias: { scheme: 'normal', std: 0.2 } },
    { type: 'cross_attention', heads: 2, scale: 'none', init: { scheme: 'normal', std: 0.3 }, out_bias: false }] },
  'residual with a projection': { input: { shape: [2, 4, 4] }, layers: [{ type: 'residual', shortcut: { type: 'projection', init: 'he_normal', bias: { scheme: 'normal', std: 0.1 } }, layers: [{ type: 'conv2d', filters: 3, kernel_size: 3, stride: 2, padding: 1, activation: 'tanh' }] }] },
};

suite('the op registry and each op\'s forward and backward passes', () => {
  test('every layer type has one op, its schema names the properties it reads, and every alias names a type', () => {
    assert.equal(new Set(LAYER_TYPES).size, LAYER_TYPES.length);
    for (const type of LAYER_TYPES) assert.deepEqual(Object.keys(specOp(type).schema.properties).sort(), [...specOp(type).keys].sort(), type);
    for (const [alias, type] of Object.entries(LAYER_TYPE_ALIASES)) assert.ok(LAYER_TYPES.includes(type), `${alias} → ${type}`);
    assert.deepEqual(Object.keys(NETWORKS).filter((k) => LAYER_TYPES.includes(k)).sort(), [...LAYER_TYPES].sort());
  });

  test('reshape with order channels_last is Keras\' Reshape: a [C, H, W] map read as (H, W, C), so Reshape((H·W, C)) makes each position a token (to_sequence\'s values), and an (h, w, c) target is written back channels-first', () => {
    const plan = planOf({ input: { shape: [2, 2, 3] }, batch_size: 1, layers: [{ type: 'reshape', shape: [6, 2], order: 'channels_last' }, { type: 'reshape', shape: [2, 2, 3], order: 'channels_last' }] });
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    const ctx = harness(plan);
    const tokens = ctx.forwardNode(plan.nodes[0], x);
    const viaToSequence = harness(planOf({ input: { shape: [2, 2, 3] }, batch_size: 1, layers: [{ type: 'to_sequence' }] }));
    assert.deepEqual([...tokens], [...viaToSequence.forwardNodes(planOf({ input: { shape: [2, 2, 3] }, batch_size: 1, layers: [{ type: 'to_sequence' }] }).nodes, x)]);
    // Channel 0 is 0…5 and channel 1 is 6…11 over the 2×3 positions: position 0 is the token [0, 6].
    assert.deepEqual([...tokens.subarray(0, 4)], [0, 6, 1, 7]);
    // The tokens read as (h, w, c) = (2, 3, 2) and written channels-first: the map again.
    assert.deepEqual([...ctx.forwardNode(plan.nodes[1], tokens)], [...x]);
  });

  test('to_feature_map is x.transpose(1, 2) of each sample, [T, F] → [F, 1, T], and to_sequence on a one-row map undoes it', () => {
    const plan = planOf({ input: { shape: [3, 2] }, batch_size: 2, layers: [{ type: 'to_feature_map' }, { type: 'to_sequence' }] });
    assert.deepEqual(plan.nodes.map((n) => n.outShape), [[2, 1, 3], [3, 2]]);
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    const ctx = harness(plan);
    const map = ctx.forwardNode(plan.nodes[0], x);
    // Sample 0 is [[0, 1], [2, 3], [4, 5]] (token, feature): feature 0 reads 0, 2, 4 along the steps.
    assert.deepEqual([...map], [0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11]);
    assert.deepEqual([...ctx.forwardNodes(plan.nodes, x)], [...x]);
  });

  test('embedding: the table gradient\'s std is that of the loss\'s central differences in every table entry', () => {
    const plan = planOf(NETWORKS.embedding);
    const ids = new Float32Array(plan.batchSize * sizeOf(plan.inputShape));
    ids.forEach((_, i) => { ids[i] = (i * 5 + 1) % 6; });
    const ctx = harness(plan);
    const out = ctx.forwardNodes(plan.nodes, ids);
    const r = new Float32Array(out.length);
    referenceBackend.fillNormal(streamKey(11, 2), r, 0, 1);
    assert.equal(ctx.backwardNodes(plan.nodes, r, false).length, 0);
    const reported = ctx.result(plan.nodes[0]).weightGradientStd!;
    const table = ctx.weights(plan.nodes[0] as WeightNode).w;
    const eps = 1e-2;
    const fd: number[] = [];
    for (let i = 0; i < table.length; i++) {
      const keep = table[i];
      table[i] = keep + eps;
      const plus = lossWith(ctx, plan, ids, r);
      table[i] = keep - eps;
      const minus = lossWith(ctx, plan, ids, r);
      table[i] = keep;
      // The padding row (2) is zeroed on every read: its entries have no gradient.
      fd.push(Math.floor(i / 4) === 2 ? 0 : (plus - minus) / (2 * eps));
    }
    const mean = fd.reduce((a, b) => a + b, 0) / fd.length;
    const std = Math.sqrt(fd.reduce((a, b) => a + (b - mean) ** 2, 0) / fd.length);
    assert.ok(Math.abs(reported - std) / std < 5e-3, `reported ${reported}, central differences ${std}`);
  });

  test('global_max_pool: each channel\'s maximum over its map (a direct loop), planned as a whole-map maxpool2d and a flatten', () => {
    const plan = planOf({ input: { shape: [3, 4, 5] }, batch_size: 2, layers: [{ type: 'global_max_pool' }] });
    assert.deepEqual(plan.nodes.map((n) => [n.op, n.outShape]), [['maxpool2d', [3, 1, 1]], ['flatten', [3]]]);
    const x = new Float32Array(2 * 3 * 20);
    referenceBackend.fillNormal(streamKey(12, 4), x, 0, 1);
    const out = harness(plan).forwardNodes(plan.nodes, x);
    assert.equal(out.length, 6);
    for (let m = 0; m < 6; m++) assert.equal(out[m], Math.max(...x.subarray(m * 20, (m + 1) * 20)), `sample ${Math.floor(m / 3)} channel ${m % 3}`);
  });

  test('depthwise conv2d: each output channel c·m + j is input channel c convolved with its own kernel (a direct loop), and the fans are PyTorch\'s for [C·m, 1, kh, kw]', () => {
    const plan = planOf({ input: { shape: [3, 5, 5] }, layers: [{ type: 'conv2d', depth_multiplier: 2, kernel_size: 3, stride: 1, padding: 1, activation: 'linear', init: 'he_normal', bias: false }] });
    const node = plan.nodes[0] as WeightNode;
    assert.deepEqual(node.weightShape, [6, 1, 3, 3]);
    assert.deepEqual(node.outShape, [6, 5, 5]);
    assert.deepEqual([node.fanIn, node.fanOut], [9, 54]);
    const x = new Float32Array(plan.batchSize * 75);
    referenceBackend.fillNormal(streamKey(11, 3), x, 0, 1);
    const ctx = harness(plan);
    const out = ctx.forwardNodes(plan.nodes, x);
    const w = ctx.weights(node).w;
    let worst = 0;
    for (let s = 0; s < plan.batchSize; s++) {
      for (let o = 0; o < 6; o++) {
        const c = Math.floor(o / 2);
        for (let i = 0; i < 5; i++) {
          for (let j = 0; j < 5; j++) {
            let sum = 0;
            for (let a = 0; a < 3; a++) {
              for (let b = 0; b < 3; b++) {
                const y = i + a - 1;
                const z = j + b - 1;
                if (y >= 0 && y < 5 && z >= 0 && z < 5) sum += w[o * 9 + a * 3 + b] * x[s * 75 + c * 25 + y * 5 + z];
              }
            }
            worst = Math.max(worst, Math.abs(out[s * 150 + o * 25 + i * 5 + j] - sum));
          }
        }
      }
    }
    assert.ok(worst < 1e-5, `worst difference ${worst}`);
  });

  test('concatenate: the joined tensor holds each branch\'s output in its own channels (or features, per token), and the mean field predicts the sampled stds', () => {
    for (const [shape, width] of [[[2, 3, 3], 2], [[3, 4], 4]] as const) {
      const plan = planOf({ input: { shape }, layers: [{ type: 'concatenate', branches: [[], [{ type: 'activation', activation: 'tanh' }]] }] });
      assert.deepEqual(plan.nodes[0].outShape, shape.length === 3 ? [4, 3, 3] : [3, 8]);
      const x = new Float32Array(plan.batchSize * sizeOf(shape));
      referenceBackend.fillNormal(streamKey(11, 4), x, 0, 1);
      const out = harness(plan).forwardNodes(plan.nodes, x);
      const inner = shape.length === 3 ? 9 : 1;
      const rows = x.length / (width * inner);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < width * inner; i++) {
          assert.equal(out[r * 2 * width * inner + i], x[r * width * inner + i]);
          assert.equal(out[r * 2 * width * inner + width * inner + i], Math.fround(Math.tanh(x[r * width * inner + i])));
        }
      }
    }
    const net = { input: { shape: [16, 8, 8] }, batch_size: 8, layers: [
      { type: 'concatenate', branches: [[], [{ type: 'conv2d', filters: 48, kernel_size: 3, padding: 1, activation: 'relu', init: { scheme: 'kaiming_normal', nonlinearity: 'relu' } }]] },
      { type: 'conv2d', filters: 32, kernel_size: 1, activation: 'tanh', init: 'xavier_normal' }] };
    const report = analyze(JSON.stringify(net), { mode: 'both' });
    for (const l of report.layers) {
      assert.ok(Math.abs(l.activation!.std / l.predicted!.activationStd - 1) < 0.05, `${l.name}: ${l.activation!.std} vs ${l.predicted!.activationStd}`);
      assert.ok(Math.abs(l.gradient!.std / l.predicted!.gradientStd - 1) < 0.1, `${l.name} gradient: ${l.gradient!.std} vs ${l.predicted!.gradientStd}`);
    }
  });

  test('depthwise conv2d in the mean field: an input channel feeds depth_multiplier outputs per tap, so the predicted gradient through it is the sampled one (256 channels, 3 seeds, within 5%)', () => {
    const net = { input: { shape: [64, 8, 8] }, batch_size: 4, layers: [
      { type: 'conv2d', filters: 256, kernel_size: 1, activation: 'tanh', init: 'xavier_normal' },
      { type: 'conv2d', depth_multiplier: 2, kernel_size: 3, padding: 'same', activation: 'tanh', init: { scheme: 'normal', std: 0.5 } },
      { type: 'conv2d', filters: 64, kernel_size: 1, activation: 'tanh', init: 'xavier_normal' }] };
    for (const seed of [0, 1, 2]) {
      const report = analyze(JSON.stringify(net), { mode: 'both', seed });
      for (const l of report.layers) {
        const ratio = l.gradient!.std / l.predicted!.gradientStd;
        assert.ok(Math.abs(ratio - 1) < 0.05, `seed ${seed}, ${l.name}: sampled/predicted gradient std ${ratio}`);
      }
    }
  });

  for (const [name, doc] of Object.entries(NETWORKS)) {
    if (name === 'embedding') continue;
    test(`${name}: the backward pass is the gradient of the forward pass (central differences)`, () => {
      const plan = planOf(doc);
      const x = new Float32Array(plan.batchSize * sizeOf(plan.inputShape));
      referenceBackend.fillNormal(streamKey(11, 1), x, 0, 1);
      const ctx = harness(plan);
      const out = ctx.forwardNodes(plan.nodes, x);
      const r = new Float32Array(out.length);
      referenceBackend.fillNormal(streamKey(11, 2), r, 0, 1);
      const dx = ctx.backwardNodes(plan.nodes, r, true);
      assert.equal(dx.length, x.length);
      const eps = 1e-2;
      let worst = 0;
      for (let i = 0; i < x.length; i++) {
        const plus = Float32Array.from(x);
        const minus = Float32Array.from(x);
        plus[i] += eps;
        minus[i] -= eps;
        const actual = dx[i];
        const expected = (loss(plan, plus, r) - loss(plan, minus, r)) / (plus[i] - minus[i]);
        worst = Math.max(worst, Math.abs(actual - expected) / Math.max(1, Math.abs(expected)));
      }
      // float32 forward passes: rounding of L (|L| ≈ 10, ulp ≈ 1e-6) over 2·eps, plus the O(eps²) truncation error.
      assert.ok(worst < 5e-3, `worst relative error ${worst}`);
    });
  }
});
