import { drawWeightRows, streamedWeightMoments, weightFloatsInFlight, type WeightSource } from '../../sampled/streamedWeight';
import { FILL_CHUNK } from '../../random/fill';
import type { TensorMoments } from '../../backend/tensorMoments';
import { momentsStd } from '../../backend/tensorMoments';
import { assumedInit } from '../../format/layerFields';
import type { LayerSpec } from '../../format/networkSpec';
import { readInit } from '../../format/parseInit';
import { computeFans } from '../../init/fan';
import type { InitSpec } from '../../init/initSpec';
import { resolveInit } from '../../init/resolveInit';
import { LINEAR } from '../../math/activation';
import type { LayerOp, LayerParseContext, SampledContext } from '../layerOp';
import { describeShape, single } from '../plan';
import type { WeightNode } from './weightLayer';

/** A lookup table, as torch.nn.Embedding: token id i ↦ row i of W [vocab, units]. */
export interface EmbeddingSpec extends LayerSpec {
  type: 'embedding';
  vocab: number;
  units: number;
  init: InitSpec;
  /** The row set to zero after init (torch's `padding_idx`), or null. */
  paddingIdx: number | null;
  /** Reads the preceding embedding's table instead of its own (T5's decoder shares the encoder's `shared` table). */
  tied: boolean;
}

/** A planned table: its weight is [rows, width]; the report and the what-if see it as a weight layer. */
export interface EmbeddingNode extends WeightNode {
  op: 'embedding';
  paddingIdx: number | null;
  /** The embedding whose table this one reads (never itself tied), or null for its own table. */
  tiedTo: EmbeddingNode | null;
}

/**
 * `embedding`: y[t] = W[id_t] for a sequence of token ids, W [vocab, units] (torch.nn.Embedding; fans of the table
 * by PyTorch's rule: fan_in = units, fan_out = vocab). The default init is nn.Embedding's N(0, 1); `padding_idx`'s
 * row is zeroed after init, as `reset_parameters` does, and gets no gradient. Backward: no input gradient (ids are
 * not differentiable); the table's gradient dW[i] = Σ over tokens with id i of dy, zero elsewhere, reduced to its moments over all
 * vocab·units entries. Mean field: the output's moments are the init's, E[y] = μ_W, Var y = σ_W² (the padding row,
 * one of `vocab`, is neglected). With `"tied": true` it reads the preceding embedding's table (the same values, counted
 * once): an encoder–decoder's decoder embedding, as T5's `shared`.
 */
export const embedding: LayerOp<EmbeddingSpec, EmbeddingNode> = {
  type: 'embedding',
  op: 'embedding',
  readsTokenIds: true,
  keys: ['vocab', 'units', 'init', 'padding_idx', 'tied'],
  schema: {
    description: 'A token embedding (torch.nn.Embedding): token id i ↦ row i of a [vocab, units] table. Reads the input\'s token ids.',
    properties: {
      vocab: { type: 'integer', description: 'Number of rows (num_embeddings); at least the input\'s vocabulary.', minimum: 1 },
      units: { type: 'integer', description: 'Width of each row (embedding_dim).', minimum: 1 },
      init: { $ref: '#/definitions/init', description: 'Init of the table (default nn.Embedding\'s N(0, 1); Hugging Face uses { "scheme": "normal", "std": 0.02 }).' },
      padding_idx: { type: 'integer', description: 'A row set to zero after init (torch\'s padding_idx).', minimum: 0 },
      tied: { type: 'boolean', description: 'Read the preceding embedding\'s table instead of an own one (T5\'s decoder shares its encoder\'s). Default false.' },
    },
    required: ['vocab', 'units'],
  },

  parse(ctx) {
    const vocab = ctx.positive('vocab', 'the number of rows of the table (the vocabulary size)');
    const units = ctx.positive('units', 'the width of each row');
    const init = readTableInit(ctx);
    const paddingNode = ctx.r.prop(ctx.obj, 'padding_idx');
    let paddingIdx: number | null = null;
    if (paddingNode) {
      const value = ctx.r.number(paddingNode, ctx.at('padding_idx'), 'padding_idx', { integer: true, min: 0 });
      if (value === undefined) return undefined;
      if (vocab !== undefined && value >= vocab) {
        ctx.r.report(paddingNode, ctx.at('padding_idx'), `padding_idx ${value} at ${ctx.at('padding_idx')} must be below the vocabulary size ${vocab}`);
        return undefined;
      }
      paddingIdx = value;
    }
    const tied = ctx.r.boolean(ctx.r.prop(ctx.obj, 'tied'), ctx.at('tied'), 'tied') ?? false;
    const initNode = ctx.r.prop(ctx.obj, 'init');
    if (tied && initNode) {
      ctx.r.report(initNode, ctx.at('init'), 'a tied embedding reads the preceding embedding\'s table; its init is that one\'s: remove "init" here or set "tied": false');
      return undefined;
    }
    if (vocab === undefined || units === undefined || !init) return undefined;
    return { type: 'embedding', path: ctx.path, name: ctx.name, vocab, units, init, paddingIdx, tied };
  },

  plan(spec, inShape, ctx) {
    if (ctx.inVocab === null || inShape.length !== 1) {
      return ctx.fail(`an embedding reads token ids (input { "tokens": …, "vocab": … }), got features of shape ${describeShape(inShape)} at ${spec.path}`);
    }
    if (ctx.inVocab > spec.vocab) {
      return ctx.fail(`the embedding at ${spec.path} has ${spec.vocab} rows but the token ids go up to ${ctx.inVocab - 1}; set "vocab" to at least ${ctx.inVocab}`);
    }
    let tiedTo: EmbeddingNode | null = null;
    if (spec.tied) {
      const found = ctx.preceding('embedding') as EmbeddingNode | null;
      tiedTo = found?.tiedTo ?? found;
      if (!tiedTo) return ctx.fail(`the tied embedding at ${spec.path} has no embedding before it to share; add one or set "tied": false`);
      if (tiedTo.weightShape[0] !== spec.vocab || tiedTo.weightShape[1] !== spec.units) {
        return ctx.fail(`the tied embedding at ${spec.path} needs a [${spec.vocab}, ${spec.units}] table; the embedding at ${tiedTo.path} is ${describeShape(tiedTo.weightShape)}`);
      }
    }
    const node = tableNode('embedding', tiedTo ? { ...spec, init: tiedTo.initSpec } : spec, ctx.take(), ctx.label, inShape, [inShape[0], spec.units], [spec.vocab, spec.units], { paddingIdx: spec.paddingIdx, tiedTo });
    return single(ctx.push(tiedTo ? Object.assign(node, { init: tiedTo.init, paddingIdx: tiedTo.paddingIdx }) : node));
  },

  predict(node, _s, ctx) {
    const std = node.init.std;
    ctx.record(node, { preActivationStd: std, activationMean: node.init.mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0, approximate: false }, 0);
    return { mean: node.init.mean, second: std * std + node.init.mean ** 2, gaussian: node.init.distribution.kind === 'normal', sharedVariance: 0 };
  },

  forward(node, ids, run) {
    const width = node.weightShape[1];
    const out = run.tensor(ids.length * width);
    const streamed = streamedTable(node, run);
    let weightStd: number;
    if (streamed) {
      // Only the rows the tokens read are drawn for the lookup; the table's std from its blocks, none held whole.
      for (let r = 0; r < ids.length; r++) drawWeightRows(run.backend, run.seed, streamed, ids[r], out.subarray(r * width, (r + 1) * width));
      weightStd = momentsStd(streamedWeightMoments(run.backend, run.seed, streamed));
    } else {
      const w = embeddingTable(node, run);
      for (let r = 0; r < ids.length; r++) out.set(w.subarray(ids[r] * width, ids[r] * width + width), r * width);
      weightStd = momentsStd(run.backend.moments(w));
      run.dropWeights(node.tiedTo ?? node, { w, b: null }, 'forward');
    }
    run.record(node, { x: ids, pre: out, out }, LINEAR, { weightStd });
    return out;
  },

  backward(node, dy, tape, run) {
    run.result(node).weightGradientStd = momentsStd(scatterRowMoments(tape.x, dy, node.weightShape[0], node.weightShape[1], node.paddingIdx));
    return new Float32Array(0);
  },

  cost: (node, tally) => {
    const weights = node.weightShape[0] * node.weightShape[1];
    if (!node.tiedTo) tally.weightCount += weights;
    tally.largestWeight = Math.max(tally.largestWeight, weightFloatsInFlight(node.init, node.weightShape[0], node.weightShape[1], 0));
  },
  /**
   * The table (the weight in flight; a block when streamed, and a row's staged chunks for the lookup) and the row
   * sums of its gradient (float64, at most one row per token).
   */
  transientFloats(node, batch) {
    return weightFloatsInFlight(node.init, node.weightShape[0], node.weightShape[1], 0) + 2 * FILL_CHUNK + node.weightShape[1] + 2 * batch * node.inShape[0] * node.weightShape[1];
  },
  // A tied table is counted once, by its owner.
  parameters: (node) => (node.tiedTo ? 0 : node.weightShape[0] * node.weightShape[1]),
  outputActivation: () => null,
  findings: { chain: 'cut' },
};

/** Reads a table's `init` (default: the assumed PyTorch default, nn.Embedding's N(0, 1)). */
export function readTableInit(ctx: LayerParseContext): InitSpec | undefined {
  const initNode = ctx.r.prop(ctx.obj, 'init');
  return initNode ? readInit(ctx.r, initNode, ctx.at('init'), 'layer', 'weight') : ctx.defaults.init ?? assumedInit(ctx.path);
}

/** A planned table [rows, width] with its init resolved as an embedding's (`resolveInit` role "embedding"). */
export function tableNode<O extends string, E extends object>(op: O, spec: LayerSpec & { init: InitSpec }, index: number, name: string, inShape: number[], outShape: number[],
  weightShape: number[], extra: E): WeightNode & { op: O } & E {
  const { fanIn, fanOut } = computeFans(weightShape);
  return {
    op, index, path: spec.path, name, inShape, outShape, weightShape, fanIn, fanOut, initSpec: spec.init,
    init: resolveInit(spec.init, weightShape, 'embedding'), bias: null, activation: LINEAR, activationPath: spec.path, isShortcut: false, ...extra,
  };
}

/**
 * The embedding's table (its owner's when tied, the padding row drawn as zeros) as a source to draw by rows, when the
 * run streams it (`SampledContext.streamed`), else null.
 */
export function streamedTable(node: EmbeddingNode, run: SampledContext): WeightSource | null {
  const owner = node.tiedTo ?? node;
  return run.streamed(owner, owner.init, owner.weightShape[0], owner.weightShape[1], undefined, owner.paddingIdx);
}

/** The embedding's table as the run draws it (its owner's when tied), with the padding row zeroed (what a tied output head reads too). */
export function embeddingTable(node: EmbeddingNode, run: SampledContext): Float32Array {
  const owner = node.tiedTo ?? node;
  const { w } = run.weights(owner);
  if (owner.paddingIdx !== null) w.fill(0, owner.paddingIdx * owner.weightShape[1], (owner.paddingIdx + 1) * owner.weightShape[1]);
  return w;
}

/**
 * Moments of the gradient of a [rows, width] table read at rows `index` (one per row of `dy`): dW[i] = Σ_{r: index_r
 * = i} dy[r], zero for rows never read and for row `skip` (torch's padding_idx gets no gradient); accumulated in
 * float64, over all rows·width entries.
 */
export function scatterRowMoments(index: Float32Array, dy: Float32Array, rows: number, width: number, skip: number | null = null): TensorMoments {
  const sums = new Map<number, Float64Array>();
  for (let r = 0; r < index.length; r++) {
    if (index[r] === skip) continue;
    let row = sums.get(index[r]);
    if (!row) sums.set(index[r], row = new Float64Array(width));
    for (let c = 0; c < width; c++) row[c] += dy[r * width + c];
  }
  const count = rows * width;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const row of sums.values()) for (const v of row) { sum += v; if (v < min) min = v; if (v > max) max = v; }
  const mean = sum / count;
  let m2 = 0;
  for (const row of sums.values()) for (const v of row) m2 += (v - mean) ** 2;
  const untouched = count - sums.size * width;
  m2 += untouched * mean * mean;
  if (untouched > 0) { min = Math.min(min, 0); max = Math.max(max, 0); }
  return { count, mean, m2, min, max };
}
