import { productMoments } from '../../backend/productMoments';
import { streamedInputGradient, streamedProject, weightFloatsInFlight, type WeightSource } from '../../sampled/streamedWeight';
import { momentsStd } from '../../backend/tensorMoments';
import { assumedInit } from '../../format/layerFields';
import type { LayerSpec } from '../../format/networkSpec';
import { readBias, readInit } from '../../format/parseInit';
import type { InitSpec } from '../../init/initSpec';
import { LINEAR } from '../../math/activation';
import { expectedLogSumExp } from '../../math/logSumExp';
import { compoundBounds } from '../../meanField/approximation';
import { variance } from '../../meanField/signal';
import { streamKey } from '../../random/fill';
import { Stream } from '../../random/rng';
import { fillTokenIds } from '../../random/tokenIds';
import { sampleInit } from '../../init/sampleInit';
import type { LayerOp, SampledContext } from '../layerOp';
import { describeShape, rowsPerSample, single } from '../plan';
import { type EmbeddingNode, embeddingTable, streamedTable } from './embedding';
import { planWeightLayer, type WeightNode } from './weightLayer';

export interface LmHeadSpec extends LayerSpec {
  type: 'lm_head';
  vocab: number;
  tied: boolean;
  init: InitSpec;
  bias: InitSpec | null;
}

export interface LmHeadNode extends WeightNode {
  op: 'lm_head';
  /** The embedding whose table the head shares (tie_word_embeddings), or null for its own weight. */
  tiedTo: EmbeddingNode | null;
}

/**
 * `lm_head`: logits = x·Wᵀ (+ b) over the vocabulary, W [vocab, width]: its own weight, or the embedding's table
 * when tied (tie_word_embeddings: the same values). Records the mean cross-entropy against target tokens drawn
 * uniformly (`Stream.targets`), CE = logsumexp(z) − z_target. At init the logits are near Gaussian with std s, so the
 * expected loss is E[logsumexp] − μ (`expectedLogSumExp`; ln(vocab) + s²/2 while e^{s²} ≪ vocab): an init whose s
 * is not small starts training far above the uniform guess's ln(vocab). Backward as a dense layer.
 */
export const lmHead: LayerOp<LmHeadSpec, LmHeadNode> = {
  type: 'lm_head',
  op: 'lm_head',
  keys: ['vocab', 'tied', 'init', 'bias'],
  schema: {
    description: 'The output head over the vocabulary: logits = x·Wᵀ, W its own [vocab, width] weight or, tied, the embedding\'s table.',
    properties: {
      vocab: { type: 'integer', description: 'Vocabulary size (the number of logits).', minimum: 1 },
      tied: { type: 'boolean', description: 'Share the preceding embedding\'s table (tie_word_embeddings). Default false.' },
      init: { $ref: '#/definitions/init', description: 'Init of an untied head (default PyTorch\'s nn.Linear init).' },
      bias: { $ref: '#/definitions/bias', description: 'Bias of the logits (default false, as Hugging Face\'s heads).' },
    },
    required: ['vocab'],
  },

  parse(ctx) {
    const { r, obj } = ctx;
    const vocab = ctx.positive('vocab', 'the vocabulary size');
    const tied = r.boolean(r.prop(obj, 'tied'), ctx.at('tied'), 'tied') ?? false;
    const initNode = r.prop(obj, 'init');
    if (tied && initNode) r.report(initNode, ctx.at('init'), `a tied head uses the embedding's table; its init is the embedding's: remove "init" here or set "tied": false`);
    const init = initNode ? readInit(r, initNode, ctx.at('init'), 'layer', 'weight') : ctx.defaults.init ?? assumedInit(ctx.path);
    const biasNode = r.prop(obj, 'bias');
    const bias = biasNode ? readBias(r, biasNode, ctx.at('bias'), 'layer') : null;
    if (vocab === undefined || !init || bias === undefined || (tied && initNode)) return undefined;
    return { type: 'lm_head', path: ctx.path, name: ctx.name, vocab, tied, init, bias };
  },

  plan(spec, inShape, ctx) {
    if (inShape.length > 2) return ctx.fail(`an output head reads [features] or [tokens, features], got shape ${describeShape(inShape)} at ${spec.path}`);
    const width = inShape[inShape.length - 1];
    const outShape = inShape.length === 2 ? [inShape[0], spec.vocab] : [spec.vocab];
    if (!spec.tied) {
      const node = planWeightLayer('lm_head', { ...spec, activation: { ...LINEAR, path: spec.path } }, ctx, { inShape, outShape, weightShape: [spec.vocab, width] });
      return single(Object.assign(node, { tiedTo: null }) as LmHeadNode);
    }
    const found = ctx.preceding('embedding') as EmbeddingNode | null;
    // A tied embedding (a decoder's) reads its owner's table: the head shares that one.
    const tiedTo = found?.tiedTo ?? found;
    if (!tiedTo) return ctx.fail(`the tied head at ${spec.path} has no embedding before it to share; add one or set "tied": false`);
    if (tiedTo.weightShape[0] !== spec.vocab || tiedTo.weightShape[1] !== width) {
      return ctx.fail(`the tied head at ${spec.path} needs a [${spec.vocab}, ${width}] table; the embedding at ${tiedTo.path} is ${describeShape(tiedTo.weightShape)}`);
    }
    const node = planWeightLayer('lm_head', { ...spec, init: tiedTo.initSpec, activation: { ...LINEAR, path: spec.path } }, ctx, { inShape, outShape, weightShape: [spec.vocab, width] });
    // The table's values, mean and std are the embedding's (resolved as an embedding's init).
    return single(Object.assign(node, { tiedTo, init: tiedTo.init }) as LmHeadNode);
  },

  predict(node, s, ctx) {
    const fanIn = node.fanIn;
    const wVar = node.init.std ** 2;
    const preMean = fanIn * node.init.mean * s.mean + (node.bias?.mean ?? 0);
    const preVariance = fanIn * (wVar * s.second + node.init.mean ** 2 * variance(s)) + (node.bias ? node.bias.std ** 2 : 0);
    const std = Math.sqrt(preVariance);
    // A tied head reads the table the stream started from: each token's own row is still in the stream, and its logit
    // sees it (|e|² beside e·h), which the recursion treats as independent. Up to 15% on the small golden stacks.
    const tied = node.tiedTo !== null;
    ctx.record(node, { preActivationStd: std, activationMean: preMean, activationStd: std, chi: fanIn * wVar, saturatedFraction: 0, deadFraction: 0,
      approximate: node.init.mean !== 0 || tied, ...(tied ? { approximateBy: compoundBounds(s.approximateBy ?? 0, TIED_HEAD_BOUND), gradientApproximateBy: TIED_HEAD_BOUND } : {}), loss: expectedLogSumExp(node.weightShape[0], preMean, std) - preMean }, node.weightShape[0] * (wVar + node.init.mean ** 2));
    return { mean: preMean, second: preVariance + preMean ** 2, gaussian: true, sharedVariance: 0 };
  },

  forward(node, x, run) {
    const rows = run.batch * rowsPerSample(node.inShape);
    const [vocab, width] = node.weightShape;
    const logits = run.tensor(rows * vocab);
    const streamed = headSource(node, run);
    let weightStd: number;
    let b: Float32Array | null;
    if (streamed) {
      weightStd = momentsStd(streamedProject(run.backend, run.seed, streamed, x, rows, logits));
      b = headBias(node, run);
    } else {
      const weights = headWeights(node, run);
      b = weights.b;
      run.backend.gemm(false, true, rows, vocab, width, x, weights.w, logits, false);
      weightStd = momentsStd(run.backend.moments(weights.w));
      dropHeadWeights(node, run, weights.w, 'forward');
    }
    if (b) for (let r = 0; r < rows; r++) for (let v = 0; v < vocab; v++) logits[r * vocab + v] += b[v];
    run.record(node, { x, pre: logits, out: logits }, LINEAR, { weightStd, loss: meanCrossEntropy(run, logits, rows, vocab) });
    return logits;
  },

  backward(node, dy, tape, run, needInput) {
    const rows = run.batch * rowsPerSample(node.inShape);
    const [vocab, width] = node.weightShape;
    run.result(node).weightGradientStd = momentsStd(productMoments(run.backend, vocab, width, rows, dy, tape.x));
    if (!needInput) return new Float32Array(0);
    const dx = new Float32Array(rows * width);
    const streamed = headSource(node, run);
    if (streamed) {
      streamedInputGradient(run.backend, run.seed, streamed, dy, rows, dx, false);
      return dx;
    }
    const { w } = headWeights(node, run);
    run.backend.gemm(false, false, rows, width, vocab, dy, w, dx, false);
    dropHeadWeights(node, run, w, 'backward');
    return dx;
  },

  cost: (node, tally, batch) => {
    const weights = node.weightShape[0] * node.weightShape[1];
    if (!node.tiedTo) tally.weightCount += weights;
    tally.largestWeight = Math.max(tally.largestWeight, weightFloatsInFlight(node.init, node.weightShape[0], node.weightShape[1], batch * rowsPerSample(node.inShape)));
    tally.gemmFlops += 2 * batch * rowsPerSample(node.inShape) * weights;
  },
  /** dyᵀ (rows × vocab), the target ids, dx, and the table in flight (a block when streamed) with its staged copy. */
  transientFloats(node, batch) {
    const rows = batch * rowsPerSample(node.inShape);
    const [vocab, width] = node.weightShape;
    return rows * vocab + rows + rows * width + 2 * weightFloatsInFlight((node.tiedTo ?? node).init, vocab, width, rows);
  },
  // A tied head's weight is the embedding's, counted there; its bias is its own.
  parameters: (node) => (node.tiedTo ? 0 : node.weightShape[0] * node.weightShape[1]) + (node.bias ? node.weightShape[0] : 0),
  outputActivation: () => null,
  findings: { chain: 'cut' },
};

/** How far a tied head's logit std may be off (see `predict`). */
export const TIED_HEAD_BOUND = 0.25;

/** The head's weight: the tied embedding's table (padding row zeroed), or its own. */
function headWeights(node: LmHeadNode, run: SampledContext): { w: Float32Array; b: Float32Array | null } {
  if (!node.tiedTo) return run.weights(node);
  return { w: embeddingTable(node.tiedTo, run), b: headBias(node, run) };
}

/** The head's weight as a source to draw by rows when the run streams it (the tied table's, padding row zeros), else null. */
function headSource(node: LmHeadNode, run: SampledContext): WeightSource | null {
  if (node.tiedTo) return streamedTable(node.tiedTo, run);
  return run.streamed(node, node.init, node.weightShape[0], node.weightShape[1]);
}

/** The head's own bias (Stream.bias of the head), or null without one. */
function headBias(node: LmHeadNode, run: SampledContext): Float32Array | null {
  if (!node.bias) return null;
  const b = new Float32Array(node.weightShape[0]);
  sampleInit(node.bias, run.seed, Stream.bias(node.index), run.backend, b, 1, b.length);
  return b;
}

function dropHeadWeights(node: LmHeadNode, run: SampledContext, w: Float32Array, phase: 'forward' | 'backward'): void {
  run.dropWeights(node.tiedTo ?? node, { w, b: null }, phase);
}

/** Mean over rows of logsumexp(z) − z[target], targets uniform over the vocabulary (`Stream.targets`), in float64. */
function meanCrossEntropy(run: SampledContext, logits: Float32Array, rows: number, vocab: number): number {
  const targets = new Float32Array(rows);
  fillTokenIds(run.backend, streamKey(run.seed, Stream.targets), targets, vocab);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * vocab;
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) max = Math.max(max, logits[base + v]);
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[base + v] - max);
    total += max + Math.log(sum) - logits[base + targets[r]];
  }
  return total / rows;
}
