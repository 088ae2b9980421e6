import { productMoments } from '../../backend/productMoments';
import { streamedInputGradient, streamedProject } from '../../sampled/streamedWeight';
import { describeShape, rowsPerSample, single } from '../plan';
import type { LayerOp } from '../layerOp';
import { backwardWeightLayer, costWeightLayer, forwardWeightLayer, parseWeightFields, planWeightLayer, predictWeightLayer,
  rematerializeWeightLayer, WEIGHT_SCHEMA_PROPERTIES, weightLayerBackwardReads, type WeightLayerSpec, type WeightNode } from './weightLayer';

/** A fully connected layer, as torch.nn.Linear: y = φ(x·Wᵀ + b), W of shape [units, in_features]. */
export interface DenseSpec extends WeightLayerSpec {
  type: 'dense';
  units: number;
}

/**
 * `dense`: y = φ(x·Wᵀ + b) on the last axis of a flat input [features] or a sequence [tokens, features], W [units,
 * in] (torch.nn.Linear, keras Dense). Forward one GEMM (rows×in by in×units, rows = B, or B·T for a sequence);
 * backward dx = dpre·W and dW = dpreᵀ·x, the latter reduced to its moments without being held, since it can be the
 * largest tensor of the run (`productMoments`: from the rows' Gram matrices for a small batch, else `gemmMoments`). Mean field: `predictWeightLayer` with every tap inside.
 */
export const dense: LayerOp<DenseSpec, WeightNode> = {
  type: 'dense',
  op: 'dense',
  aliases: { linear: 'dense', fc: 'dense' },
  keys: ['units', 'activation', 'negative_slope', 'init', 'bias'],
  schema: {
    description: 'A fully connected layer: y = φ(x·Wᵀ + b), W of shape [units, in_features].',
    properties: { units: { type: 'integer', description: 'Number of output features.', minimum: 1 }, ...WEIGHT_SCHEMA_PROPERTIES },
    required: ['units'],
  },

  parse(ctx) {
    const fields = parseWeightFields(ctx);
    if (!fields) return undefined;
    const units = ctx.positive('units', 'the number of output features');
    return units === undefined ? undefined : { type: 'dense', path: ctx.path, name: ctx.name, units, ...fields };
  },

  plan(spec, inShape, ctx) {
    if (inShape.length > 2) return ctx.fail(`a dense layer needs a flat input [features] or a sequence [tokens, features], got shape ${describeShape(inShape)} at ${spec.path}; add { "type": "flatten" } (or global_avg_pool) before it`);
    const features = inShape[inShape.length - 1];
    const outShape = inShape.length === 2 ? [inShape[0], spec.units] : [spec.units];
    return single(planWeightLayer('dense', spec, ctx, { inShape, outShape, weightShape: [spec.units, features] }));
  },

  predict: (node, s, ctx) => predictWeightLayer(node, s, ctx, 1, 1),

  forward(node, x, run) {
    const rows = run.batch * rowsPerSample(node.inShape);
    return forwardWeightLayer(node, x, run, (w, pre) => run.backend.gemm(false, true, rows, node.weightShape[0], node.fanIn, x, w, pre, false),
      (src, pre) => streamedProject(run.backend, run.seed, src, x, rows, pre));
  },

  backward(node, dy, tape, run, needInput) {
    const B = run.batch * rowsPerSample(node.inShape);
    const units = node.weightShape[0];
    const streamed = run.streamed(node, node.init, units, node.fanIn);
    return backwardWeightLayer(node, dy, tape, run, needInput, (w, x, dpre, dx) => {
      if (w) run.backend.gemm(false, false, B, node.fanIn, units, dpre, w, dx, false);
      else if (streamed && needInput) streamedInputGradient(run.backend, run.seed, streamed, dpre, B, dx, false);
      return productMoments(run.backend, units, node.fanIn, B, dpre, x);
    }, streamed);
  },

  backwardReads: weightLayerBackwardReads,
  rematerialize: rematerializeWeightLayer,
  cost: (node, tally, batch) => costWeightLayer(node, tally, batch, rowsPerSample(node.inShape), 0, true),
  outputActivation: (node) => node.activation,
  findings: { chain: 'link' },
};

