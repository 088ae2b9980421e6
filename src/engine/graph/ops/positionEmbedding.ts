import { momentsStd } from '../../backend/tensorMoments';
import type { LayerSpec } from '../../format/networkSpec';
import type { InitSpec } from '../../init/initSpec';
import { LINEAR } from '../../math/activation';
import { crossMoment, variance } from '../../meanField/signal';
import type { LayerOp } from '../layerOp';
import { describeShape, single } from '../plan';
import type { WeightNode } from './weightLayer';
import { readTableInit, scatterRowMoments, tableNode } from './embedding';

/** Which row each token adds: its own position's, or row 0 for every token (BERT's token type 0). */
export type PositionIndex = 'position' | 'zero';

export interface PositionEmbeddingSpec extends LayerSpec {
  type: 'position_embedding';
  positions: number;
  init: InitSpec;
  index: PositionIndex;
}

export interface PositionEmbeddingNode extends WeightNode {
  op: 'position_embedding';
  rowIndex: PositionIndex;
}

/**
 * `position_embedding`: a learned table E [positions, width] added to a sequence, y[t] = x[t] + E[t] (GPT-2's wpe,
 * BERT's position embeddings; nn.Embedding, default init N(0, 1)), or y[t] = x[t] + E[0] with `"index": "zero"`
 * (BERT's token-type embedding of segment 0, the same row for every token). Backward dx = dy; dE[t] = Σ_b dy[b, t]
 * (row 0 takes every token's for "zero"), reported over all positions·width entries. Mean field: E[y] = E[x] + μ_E,
 * Var y = Var x + σ_E² (the table is independent of the input); two tokens' cross-moment gains μ_E², plus σ_E² for
 * "zero", whose row every token shares.
 */
export const positionEmbedding: LayerOp<PositionEmbeddingSpec, PositionEmbeddingNode> = {
  type: 'position_embedding',
  op: 'position_embedding',
  keys: ['positions', 'init', 'index'],
  schema: {
    description: 'A learned position (or token-type) embedding added to a [tokens, features] sequence: y[t] = x[t] + E[t].',
    properties: {
      positions: { type: 'integer', description: 'Rows of the table (max_position_embeddings, or type_vocab_size); at least the sequence length for "position".', minimum: 1 },
      init: { $ref: '#/definitions/init', description: 'Init of the table (default nn.Embedding\'s N(0, 1)).' },
      index: { enum: ['position', 'zero'], description: '"position" (default): token t adds row t; "zero": every token adds row 0 (BERT\'s token type 0).' },
    },
    required: ['positions'],
  },

  parse(ctx) {
    const positions = ctx.positive('positions', 'the number of rows of the table');
    const init = readTableInit(ctx);
    const index = ctx.r.oneOf(ctx.r.prop(ctx.obj, 'index'), ctx.at('index'), 'index', ['position', 'zero'] as const) ?? 'position';
    if (positions === undefined || !init) return undefined;
    return { type: 'position_embedding', path: ctx.path, name: ctx.name, positions, init, index };
  },

  plan(spec, inShape, ctx) {
    if (inShape.length !== 2) return ctx.fail(`a position embedding adds to a sequence [tokens, features], got shape ${describeShape(inShape)} at ${spec.path}`);
    if (spec.index === 'position' && spec.positions < inShape[0]) {
      return ctx.fail(`the position embedding at ${spec.path} has ${spec.positions} rows for a sequence of ${inShape[0]} tokens; set "positions" to at least ${inShape[0]}`);
    }
    return single(ctx.push(tableNode('position_embedding', spec, ctx.take(), ctx.label, inShape, inShape, [spec.positions, inShape[1]], { rowIndex: spec.index })));
  },

  predict(node, s, ctx) {
    const mean = s.mean + node.init.mean;
    const v = variance(s) + node.init.std ** 2;
    const std = Math.sqrt(v);
    ctx.record(node, { preActivationStd: std, activationMean: mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0, approximate: false }, 1);
    // Two tokens add different rows (independent), or with "zero" the same row (its variance is shared by the tokens).
    const rowSecond = node.init.mean ** 2 + (node.rowIndex === 'zero' ? node.init.std ** 2 : 0);
    const cross = crossMoment(s) + 2 * s.mean * node.init.mean + rowSecond;
    return { mean, second: v + mean * mean, gaussian: s.gaussian && node.init.distribution.kind === 'normal', sharedVariance: s.sharedVariance + node.init.std ** 2, cross };
  },

  forward(node, x, run) {
    const { w } = run.weights(node);
    const [tokens, width] = node.inShape;
    const out = run.tensor(x.length);
    for (let r = 0; r < x.length / width; r++) {
      const row = node.rowIndex === 'zero' ? 0 : r % tokens;
      for (let c = 0; c < width; c++) out[r * width + c] = x[r * width + c] + w[row * width + c];
    }
    const weightStd = momentsStd(run.backend.moments(w));
    run.dropWeights(node, { w, b: null }, 'forward');
    run.record(node, { x, pre: out, out }, LINEAR, { weightStd });
    return out;
  },

  backward(node, dy, _tape, run) {
    const [tokens, width] = node.inShape;
    const rows = new Float32Array(dy.length / width);
    for (let r = 0; r < rows.length; r++) rows[r] = node.rowIndex === 'zero' ? 0 : r % tokens;
    run.result(node).weightGradientStd = momentsStd(scatterRowMoments(rows, dy, node.weightShape[0], width));
    return Float32Array.from(dy);
  },

  cost: (node, tally) => {
    const weights = node.weightShape[0] * node.weightShape[1];
    tally.weightCount += weights;
    tally.largestWeight = Math.max(tally.largestWeight, weights);
  },
  outputActivation: () => null,
  findings: { chain: 'transparent' },
};
