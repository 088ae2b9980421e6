import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import { crossMoment, passThrough, type Signal, variance } from '../../meanField/signal';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single } from '../plan';
import { transposeSamples } from './shapeView';

export interface ToFeatureMapSpec extends LayerSpec { type: 'to_feature_map' }
export interface ToFeatureMapNode extends PlanNode { op: 'to_feature_map' }

/**
 * `to_feature_map`: a sequence [T, F] → a one-row feature map [F, 1, T], each feature a channel and each token a
 * position (`x.transpose(1, 2).unsqueeze(2)`: how a Keras Conv1D or 1-D pooling, channels_last, reads the output of an
 * Embedding or a Dense; the inverse of `to_sequence` with height 1). The values pass through; the gradient is
 * transposed back. Mean field: the moments pass through; where two tokens of one unit are correlated (E[x_t·x_t′],
 * `Signal.cross`, above the unit's shared variance, e.g. an embedding whose tokens repeat ids), a global average over
 * the T positions has within-unit variance (Var − σ²_shared)/T + (T − 1)/T·(Cov(x_t, x_t′) − σ²_shared), which the
 * output carries as `channelAverageVariance`.
 */
export const toFeatureMap: LayerOp<ToFeatureMapSpec, ToFeatureMapNode> = {
  type: 'to_feature_map',
  op: 'to_feature_map',
  keys: [],
  schema: { description: 'Turns a sequence [tokens, features] into a one-row feature map [features, 1, tokens] (x.transpose(1, 2).unsqueeze(2)): a 1-D convolution or pooling over the tokens can follow.', properties: {} },
  parse: (ctx) => ({ type: 'to_feature_map', path: ctx.path, name: ctx.name }),

  plan(spec, inShape, ctx) {
    if (inShape.length !== 2) return ctx.fail(`to_feature_map needs a sequence [tokens, features], got shape ${describeShape(inShape)} at ${spec.path}`);
    const [tokens, features] = inShape;
    return single(ctx.push({ op: 'to_feature_map', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [features, 1, tokens] } satisfies ToFeatureMapNode));
  },

  predict(node, s, ctx) {
    ctx.record(node, passThrough(s, false), 1);
    // The map's positions are the tokens: their cross-moment stays (a conv or a global average reads it).
    const out: Signal = { ...s };
    const tokens = node.inShape[0];
    const shared = Math.min(variance(s), s.sharedVariance);
    const covariance = crossMoment(s) - s.mean * s.mean;
    if (s.cross !== undefined && covariance > shared && tokens > 1) {
      out.channelAverageVariance = (variance(s) - shared) / tokens + ((tokens - 1) / tokens) * (covariance - shared);
    }
    return out;
  },

  forward(node, x, run) {
    const [tokens, features] = node.inShape;
    const out = run.tensor(x.length);
    transposeSamples(x, out, run.batch, tokens, features);
    run.record(node, { x, pre: out, out }, LINEAR);
    return out;
  },

  backward(node, dy, _tape, run) {
    const [tokens, features] = node.inShape;
    const dx = new Float32Array(dy.length);
    transposeSamples(dy, dx, run.batch, features, tokens);
    return dx;
  },

  parameters: () => 0,
  findings: { chain: 'transparent' },
};
