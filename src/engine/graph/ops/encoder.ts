import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import { passThrough, type Signal } from '../../meanField/signal';
import { momentsStd } from '../../backend/tensorMoments';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode } from '../plan';

export interface EncoderSpec extends LayerSpec {
  type: 'encoder';
  layers: LayerSpec[];
}

/**
 * The encoder's output as the layers after it read it (the memory of every `cross_attention`), per walk: the sampled
 * run's tensor and the gradient the cross-attention layers accumulate into it, the mean field's moments and the
 * gradient variance. Set by the encoder's forward pass (prediction) and used up by its backward pass.
 */
export interface EncoderMemory {
  tensor: Float32Array | null;
  gradient: Float32Array | null;
  signal: Signal | null;
  gradientVariance: number;
}

/** The planned encoder: its layers, and its output (`outShape`, [tokens, width]) kept as the memory. */
export interface EncoderNode extends PlanNode {
  op: 'encoder';
  body: PlanNode[];
  memory: EncoderMemory;
}

/**
 * `encoder`: the encoder of an encoder–decoder (Vaswani et al., 2017; T5): runs its `layers` on the block's input and
 * keeps their output [T, width] as the memory that the `cross_attention` layers after it read, then passes its own
 * input on unchanged to the layers after it (the decoder; T5's decoder reads the same token ids here). The report
 * shows the memory's statistics and its gradient (the sum of what every cross-attention sends back). Backward: the
 * memory's gradient goes back through the encoder's layers and adds to the gradient of the input passed on.
 * Mean field: the layers' prediction, kept for the cross-attention layers; their gradient variances add up.
 */
export const encoder: LayerOp<EncoderSpec, EncoderNode> = {
  type: 'encoder',
  op: 'encoder',
  // Its layers may start with an embedding of the input's token ids, and it passes them on to the decoder's.
  readsTokenIds: true,
  keys: ['layers'],
  schema: {
    description: 'The encoder of an encoder–decoder: runs its layers, keeps their output [tokens, width] for the cross_attention layers after it, and passes its own input on to them (the decoder).',
    properties: { layers: { type: 'array', description: 'The encoder\'s layers, ending on a sequence [tokens, width].', items: { $ref: '#/definitions/layer' }, minItems: 1 } },
    required: ['layers'],
  },

  parse(ctx) {
    const layers = ctx.readLayers(ctx.required('layers', 'the encoder\'s layers'), ctx.at('layers'));
    if (layers && layers.length === 0) ctx.r.report(ctx.r.prop(ctx.obj, 'layers'), ctx.at('layers'), `the encoder at ${ctx.path} has no layers`);
    return layers && layers.length > 0 ? { type: 'encoder', path: ctx.path, name: ctx.name, layers } : undefined;
  },

  plan(spec, inShape, ctx) {
    const body = ctx.planLayers(spec.layers, inShape, ctx.inVocab);
    if (!body) return null;
    if (body.outShape.length !== 2) return ctx.fail(`the encoder at ${spec.path} must end on a sequence [tokens, width] for cross-attention to read, got ${describeShape(body.outShape)}`);
    const node: EncoderNode = { op: 'encoder', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: body.outShape, body: body.nodes,
      memory: { tensor: null, gradient: null, signal: null, gradientVariance: 0 } };
    return { nodes: [ctx.push(node)], outShape: inShape, outVocab: ctx.inVocab };
  },

  predict(node, s, ctx) {
    const memory = ctx.predictNodes(node.body, s);
    node.memory.signal = memory;
    node.memory.gradientVariance = 0;
    ctx.record(node, { ...passThrough(memory, (memory.approximateBy ?? 0) !== 0), approximateBy: memory.approximateBy ?? 0, gradientApproximateBy: 0 }, 1);
    return s;
  },

  predictBackward(node, g, ctx) {
    // The cross-attention layers (after the encoder, so walked back first) summed their gradient into the memory.
    const memoryGradient = node.memory.gradientVariance;
    ctx.setGradientVariance(node, memoryGradient);
    return g + ctx.backwardNodes(node.body, memoryGradient);
  },

  forward(node, x, run) {
    const memory = run.forwardNodes(node.body, x);
    node.memory.tensor = memory;
    node.memory.gradient = null;
    run.record(node, { x, pre: memory, out: memory }, LINEAR);
    return x;
  },

  backward(node, dy, _tape, run, needInput) {
    const memory = node.memory;
    const gradient = memory.gradient ?? new Float32Array(memory.tensor?.length ?? 0);
    memory.gradient = null;
    memory.tensor = null;
    // The layer's gradient is the memory's (what it reports as its output), not that of the input it passes on.
    run.result(node).gradientStd = momentsStd(run.backend.moments(gradient));
    const dx = run.backwardNodes(node.body, gradient, needInput);
    if (!needInput || dy.length === 0) return dx;
    const sum = new Float32Array(dy.length);
    for (let i = 0; i < dy.length; i++) sum[i] = dy[i] + (dx[i] ?? 0);
    return sum;
  },

  parameters: () => 0,
  outputActivation: () => null,
  subgraphs: (node) => [node.body],
  findings: { chain: 'cut' },
};

/** The memory a cross-attention layer reads: the latest encoder planned before it, or null. */
export function encoderOf(preceding: PlanNode | null): EncoderNode | null {
  return preceding && preceding.op === 'encoder' ? (preceding as EncoderNode) : null;
}
