import { productMoments } from '../../backend/productMoments';
import { weightFloatsInFlight } from '../../sampled/streamedWeight';
import type { Node } from 'jsonc-parser';
import { momentsStd } from '../../backend/tensorMoments';
import { assumedInit } from '../../format/layerFields';
import type { LayerSpec } from '../../format/networkSpec';
import { readBias, readInit } from '../../format/parseInit';
import type { InitSpec } from '../../init/initSpec';
import { LINEAR } from '../../math/activation';
import type { Rotary } from '../../math/rotary';
import { ATTENTION_ROW_STATS, attentionStatistics } from '../../math/softmax';
import type { AttentionShape, HeadsView } from '../../backend/computeBackend';
import { crossMoment } from '../../meanField/signal';
import { compoundBounds } from '../../meanField/approximation';
import type { LayerOp, LayerParseContext, PlanContext, SampledContext } from '../layerOp';
import { describeShape, type PlanNode, single } from '../plan';
import { addPositionBias, type PositionBias, type PositionBiasSpec, POSITION_BIAS_SCHEMA, planPositionBias, positionBiasTable, readPositionBias } from './positionBias';
import { type LinearPart, linearPart, partInputGradient, projectedMoments, projectPart } from './projection';

/** How the scores q·k are scaled: 1/√head_dim (default), not at all (T5), or by a given number. */
export type AttentionScale = 'inverse_sqrt' | 'none' | number;

/** What self- and cross-attention read alike: heads, key/value heads, head size, the score scale, inits and biases. */
export interface AttentionFields {
  heads: number;
  kvHeads: number | null;
  headDim: number | null;
  scale: AttentionScale;
  init: InitSpec;
  q: InitSpec | null;
  k: InitSpec | null;
  v: InitSpec | null;
  out: InitSpec | null;
  bias: InitSpec | null;
  outBias: InitSpec | null;
}

export interface AttentionSpec extends LayerSpec, AttentionFields {
  type: 'attention';
  causal: boolean;
  fusedQkv: boolean;
  rotary: { fraction: number; base: number } | null;
  positionBias: PositionBiasSpec | null;
}

/** One projection of an attention layer; its part (random streams) is q, k, v, o = 0, 1, 2, 3, a fused qkv 0. */
export interface Projection extends LinearPart {
  name: 'q' | 'k' | 'v' | 'qkv' | 'o';
}

export interface AttentionNode extends PlanNode {
  op: 'attention';
  width: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  causal: boolean;
  /** The number the scores q·k are multiplied by. */
  scale: number;
  rotary: Rotary | null;
  /** A relative position bias added to the scores (T5), own or shared, else null. */
  positionBias: PositionBias | null;
  /** q, k, v (or one fused qkv), then the output projection o. */
  projections: Projection[];
}

/**
 * `attention`: multi-head self-attention on a sequence [tokens, width] (Vaswani et al., 2017), as PyTorch modelling
 * code writes it: q = x·Wqᵀ + bq, k, v likewise (k and v with `kv_heads` heads: multi-query and grouped-query
 * attention, head h reading kv head ⌊h/(heads/kv_heads)⌋ as HF's repeat_kv), rotary embeddings on q and k,
 * scores S = scale·q_h·k_gᵀ with the causal mask, P = softmax(S), head outputs P·v_g concatenated, y = o·Woᵀ + bo.
 * A fused qkv (GPT-2's c_attn) is one weight [(heads + 2·kv_heads)·head_dim, width]. A relative position bias
 * (`position_bias`, T5) adds table[bucket(j − i), h] to the scores (`positionBias.ts`). Backward through every step
 * (softmax: ds = p ⊙ (dp − Σ p·dp)). Records the logits' std and the mean attention entropy over ln(visible keys).
 * Mean field (approximate): q, k, v moments by `projectedMoments`, carrying two tokens' cross-moment X (tokens align
 * with depth; Noci et al., 2022); the logits' std √(scale²·head_dim·E[q²]·E[k²]) (≈ width·σ² for normalized inputs);
 * the softmax's overlaps by `attentionWeights` from the spread a query sees across its keys; the heads average the
 * values, E[o²] = X_v + (E[v²] − X_v)·Σp², and the output projection maps those moments.
 */
export const attention: LayerOp<AttentionSpec, AttentionNode> = {
  type: 'attention',
  op: 'attention',
  aliases: { multi_head_attention: 'attention', self_attention: 'attention', multiheadattention: 'attention' },
  keys: ['heads', 'kv_heads', 'head_dim', 'causal', 'scale', 'init', 'q_init', 'k_init', 'v_init', 'out_init', 'bias', 'out_bias', 'fused_qkv', 'rotary', 'position_bias'],
  schema: {
    description: 'Multi-head self-attention on a [tokens, width] sequence: q, k, v projections, softmax(scale·q·kᵀ)·v per head, output projection.',
    properties: {
      heads: { type: 'integer', description: 'Number of query heads (num_attention_heads).', minimum: 1 },
      kv_heads: { type: 'integer', description: 'Number of key/value heads (num_key_value_heads): 1 is multi-query, fewer than heads is grouped-query. Default: heads.', minimum: 1 },
      head_dim: { type: 'integer', description: 'Size of each head (default width / heads).', minimum: 1 },
      causal: { type: 'boolean', description: 'Each token attends only to itself and earlier tokens (decoders). Default false.' },
      scale: { description: 'Scale of the scores q·k: "inverse_sqrt" (1/√head_dim, default), "none" (T5) or a number.', oneOf: [{ enum: ['inverse_sqrt', 'none'] }, { type: 'number', exclusiveMinimum: 0 }] },
      init: { $ref: '#/definitions/init', description: 'Init of every projection (default PyTorch\'s nn.Linear init).' },
      q_init: { $ref: '#/definitions/init', description: 'Init of the query projection (default "init").' },
      k_init: { $ref: '#/definitions/init', description: 'Init of the key projection (default "init").' },
      v_init: { $ref: '#/definitions/init', description: 'Init of the value projection (default "init").' },
      out_init: { $ref: '#/definitions/init', description: 'Init of the output projection (default "init"); GPT-2 scales it by 1/√(2·blocks).' },
      bias: { $ref: '#/definitions/bias', description: 'Bias of the q, k, v projections (and of the output one unless out_bias); false for none.' },
      out_bias: { $ref: '#/definitions/bias', description: 'Bias of the output projection (default "bias").' },
      fused_qkv: { type: 'boolean', description: 'q, k and v as one [(heads + 2·kv_heads)·head_dim, width] weight, as GPT-2\'s c_attn (its fans differ). Default false.' },
      rotary: {
        type: 'object', description: 'Rotary position embedding on q and k (HF rotate_half layout).', additionalProperties: false,
        properties: {
          fraction: { type: 'number', description: 'Fraction of each head rotated (GPT-NeoX rotary_pct), default 1.', exclusiveMinimum: 0, maximum: 1 },
          base: { type: 'number', description: 'Frequency base (rope_theta), default 10000.', exclusiveMinimum: 0 },
        },
      },
      position_bias: POSITION_BIAS_SCHEMA,
    },
    required: ['heads'],
  },

  parse(ctx) {
    const { r, obj } = ctx;
    const fields = readAttentionFields(ctx);
    const causal = r.boolean(r.prop(obj, 'causal'), ctx.at('causal'), 'causal') ?? false;
    const fusedQkv = r.boolean(r.prop(obj, 'fused_qkv'), ctx.at('fused_qkv'), 'fused_qkv') ?? false;
    if (fusedQkv) {
      for (const key of ['q_init', 'k_init', 'v_init']) {
        const node = r.prop(obj, key);
        if (node) r.report(node, ctx.at(key), `${key} does not apply to a fused qkv projection (one weight, drawn from "init"); remove it or set "fused_qkv": false`);
      }
    }
    const rotary = readRotary(ctx, r.prop(obj, 'rotary'));
    const positionBias = readPositionBias(ctx, r.prop(obj, 'position_bias'));
    if (!fields || rotary === undefined || positionBias === undefined) return undefined;
    return { type: 'attention', path: ctx.path, name: ctx.name, ...fields, causal, fusedQkv, rotary, positionBias };
  },

  plan(spec, inShape, ctx) {
    if (inShape.length !== 2) return ctx.fail(`attention needs a sequence [tokens, width], got shape ${describeShape(inShape)} at ${spec.path}`);
    const width = inShape[1];
    const geometry = planHeads(spec, width, ctx);
    if (!geometry) return null;
    const { heads, kvHeads, headDim, scale } = geometry;
    let rotary: Rotary | null = null;
    if (spec.rotary) {
      const dims = 2 * Math.floor((headDim * spec.rotary.fraction) / 2);
      if (dims < 2) return ctx.fail(`rotary.fraction ${spec.rotary.fraction} of a head of ${headDim} rotates no pair of dimensions at ${spec.path}`);
      rotary = { dims, base: spec.rotary.base };
    }
    const projection = (name: Projection['name'], part: number, rows: number, cols: number, init: InitSpec, bias: InitSpec | null): Projection => ({
      name, ...linearPart(part, rows, cols, init, bias),
    });
    const projections = spec.fusedQkv
      ? [projection('qkv', 0, (heads + 2 * kvHeads) * headDim, width, spec.init, spec.bias)]
      : [projection('q', 0, heads * headDim, width, spec.q ?? spec.init, spec.bias), projection('k', 1, kvHeads * headDim, width, spec.k ?? spec.init, spec.bias),
        projection('v', 2, kvHeads * headDim, width, spec.v ?? spec.init, spec.bias)];
    projections.push(projection('o', 3, width, heads * headDim, spec.out ?? spec.init, spec.outBias));
    const node: AttentionNode = { op: 'attention', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: inShape, width, heads, kvHeads, headDim,
      causal: spec.causal, scale, rotary, projections, positionBias: null };
    const positionBias = planPositionBias(spec.positionBias, node, heads, ctx, spec.path);
    if (positionBias === undefined) return null;
    node.positionBias = positionBias;
    return single(ctx.push(node));
  },

  predict(node, s, ctx) {
    const tokens = node.inShape[0];
    const cross = crossMoment(s);
    const [qp, kp, vp] = node.projections.length === 4 ? node.projections : [node.projections[0], node.projections[0], node.projections[0]];
    const o = node.projections[node.projections.length - 1];
    const q = projectedMoments(qp, s.mean, s.second, cross);
    const k = projectedMoments(kp, s.mean, s.second, cross);
    const v = projectedMoments(vp, s.mean, s.second, cross);
    // Scores over every (query, key) pair, and as one query sees them across its keys: a component the keys share
    // (their cross-moment) shifts all of a query's logits alike, which the softmax ignores.
    // A position bias adds its table's variance to every logit (and to the spread a query sees across its keys).
    const biasVariance = node.positionBias ? node.positionBias.init.std ** 2 : 0;
    const logitVariance = Math.max(0, node.scale ** 2 * node.headDim * q.second * k.second - (node.scale * node.headDim * q.mean * k.mean) ** 2) + biasVariance;
    const spread = node.scale ** 2 * node.headDim * q.second * Math.max(0, k.second - k.cross) + biasVariance;
    const { own, pairs } = attentionWeights(tokens, node.causal, spread);
    // Head outputs Σ_j p_tj·v_j: E[o_t²] = X + (S − X)·Σ_j p_tj², E[o_t·o_t′] = X + (S − X)·Σ_j p_tj·p_t′j.
    const headSecond = v.cross + (v.second - v.cross) * own;
    const headCross = v.cross + (v.second - v.cross) * pairs;
    const y = projectedMoments(o, v.mean, headSecond, headCross);
    const outVariance = Math.max(0, y.second - y.mean ** 2);
    const std = Math.sqrt(outVariance);
    // Backward through the value path (the score path carries little gradient while the logits are small):
    // Var(d concat) = width·E[Wo²]·Var(dy); each kv head gathers Pᵀ·d head from heads/kv_heads heads, Σ_t p_tj² =
    // the mean concentration; Var(dx) = kv_heads·head_dim·E[Wv²]·Var(dv).
    const wo2 = o.init.std ** 2 + o.init.mean ** 2;
    const wv2 = vp.init.std ** 2 + vp.init.mean ** 2;
    const backwardFactor = o.rows * wo2 * own * node.heads * node.headDim * wv2;
    const inBound = s.approximateBy ?? 0;
    ctx.record(node, { preActivationStd: std, activationMean: y.mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0, approximate: true,
      approximateBy: compoundBounds(inBound, ATTENTION_BOUND), gradientApproximateBy: ATTENTION_BOUND, logitStd: Math.sqrt(logitVariance) }, backwardFactor);
    return { mean: y.mean, second: y.second, gaussian: true, sharedVariance: 0, cross: y.cross };
  },

  forward(node, x, run) {
    const rows = run.batch * node.inShape[0];
    const { heads: H, kvHeads: G, headDim: dh } = node;
    // q, k and v stay where their projections wrote them (one fused tensor, or three): the kernels read heads in place.
    let views: [HeadsView, HeadsView, HeadsView];
    if (node.projections.length === 2) {
      const fused = projectPart(run, node, node.projections[0], x, rows, run.tensor(rows * node.projections[0].rows));
      const stride = (H + 2 * G) * dh;
      views = [{ data: fused, stride, offset: 0 }, { data: fused, stride, offset: H * dh }, { data: fused, stride, offset: (H + G) * dh }];
    } else {
      const [q, k, v] = node.projections.slice(0, 3).map((p) => ({ data: projectPart(run, node, p, x, rows, run.tensor(rows * p.rows)), stride: p.rows, offset: 0 }));
      views = [q, k, v];
    }
    const shape = attentionShape(node, run.batch, scoreBias(node, run));
    if (node.rotary) {
      run.backend.rotary(views[0], H, dh, rows, shape.tokens, node.rotary, 1);
      run.backend.rotary(views[1], G, dh, rows, shape.tokens, node.rotary, 1);
    }
    const concat = run.tensor(rows * H * dh);
    const rowStats = run.tensor(run.batch * H * shape.tokens * ATTENTION_ROW_STATS);
    run.backend.attentionForward(shape, ...views, { data: concat, stride: H * dh, offset: 0 }, rowStats);
    const y = projectPart(run, node, node.projections[node.projections.length - 1], concat, rows, run.tensor(rows * node.width));
    const attention = attentionStatistics(rowStats, run.batch * H, shape.tokens, node.causal);
    run.record(node, { x, pre: y, out: y, saved: { views, concat, rowStats, bias: shape.bias ?? null } satisfies AttentionTape }, LINEAR, { attention });
    return y;
  },

  backward(node, dy, tape, run, needInput) {
    const rows = run.batch * node.inShape[0];
    const { heads: H, kvHeads: G, headDim: dh, width } = node;
    const { views, concat, rowStats, bias } = tape.saved as AttentionTape;
    const o = node.projections[node.projections.length - 1];
    // The output projection's weight gradient dWo = dyᵀ·concat, as the layer's weight gradient.
    run.result(node).weightGradientStd = momentsStd(productMoments(run.backend, width, H * dh, rows, dy, concat));
    if (!needInput) return new Float32Array(0);
    const dConcat = run.backend.allocate(rows * H * dh);
    partInputGradient(run, node, o, dy, rows, dConcat, false);
    const shape = attentionShape(node, run.batch, bias);
    const fused = node.projections.length === 2;
    // dq, dk, dv where the projections' input gradient reads them: one fused [rows, (H + 2·G)·dh] tensor, or three.
    const grads = fused ? [run.backend.allocate(rows * node.projections[0].rows)] : node.projections.slice(0, 3).map((p) => run.backend.allocate(rows * p.rows));
    try {
      const stride = (H + 2 * G) * dh;
      const [dq, dk, dv]: HeadsView[] = fused
        ? [{ data: grads[0], stride, offset: 0 }, { data: grads[0], stride, offset: H * dh }, { data: grads[0], stride, offset: (H + G) * dh }]
        : grads.map((data, i) => ({ data, stride: node.projections[i].rows, offset: 0 }));
      try {
        run.backend.attentionBackward(shape, ...views, rowStats, { data: dConcat, stride: H * dh, offset: 0 }, dq, dk, dv);
      } finally {
        run.backend.release(dConcat);
      }
      if (node.rotary) {
        run.backend.rotary(dq, H, dh, rows, shape.tokens, node.rotary, -1);
        run.backend.rotary(dk, G, dh, rows, shape.tokens, node.rotary, -1);
      }
      const dx = run.gradient(rows * width);
      grads.forEach((d, i) => partInputGradient(run, node, node.projections[i], d, rows, dx, i > 0));
      return dx;
    } finally {
      for (const d of grads) run.backend.release(d);
    }
  },

  // The backward pass reads what the forward pass saved: q, k, v, the concatenated heads, the row statistics.
  backwardReads: () => [],
  cost: (node, tally, batch) => {
    const tokens = node.inShape[0];
    for (const p of node.projections) {
      tally.weightCount += p.rows * p.cols;
      tally.largestWeight = Math.max(tally.largestWeight, weightFloatsInFlight(p.init, p.rows, p.cols, batch * tokens));
      tally.gemmFlops += 2 * batch * tokens * p.rows * p.cols;
    }
    // Scores and P·V: 2 GEMMs of tokens²·head_dim per head; kept: q, k, v, the concatenated heads and the row
    // statistics (P is recomputed by the backward pass).
    tally.gemmFlops += 4 * batch * node.heads * tokens * tokens * node.headDim;
    tally.keptFloats += batch * tokens * ((node.heads + 2 * node.kvHeads) * node.headDim + node.heads * node.headDim + node.heads * ATTENTION_ROW_STATS);
  },
  /**
   * Beyond the tape: forward, the projection weight in flight (a block when streamed) and its staged copy; backward,
   * d concat, dq, dk and dv (one fused tensor or three), dx, the weight in flight and its staged copy; in either pass the kernels' workspaces,
   * about 8·T·head_dim + 4·T² floats for each of up to 8 parts (the WebAssembly backend holds at most 256 MiB of them
   * at once, unless one part alone needs more), and a position bias's [heads, T, T] scores.
   */
  transientFloats(node, batch) {
    const rows = batch * node.inShape[0];
    const T = node.inShape[0];
    const qkv = (node.heads + 2 * node.kvHeads) * node.headDim;
    const widest = Math.max(...node.projections.map((p) => weightFloatsInFlight(p.init, p.rows, p.cols, rows)));
    const part = 8 * T * node.headDim + 4 * T * T;
    const workspace = Math.max(part, Math.min(8 * part, 64 * 2 ** 20));
    const bias = node.positionBias ? node.heads * T * T : 0;
    return rows * node.heads * node.headDim + rows * qkv + rows * node.width + 2 * widest + workspace + bias;
  },
  // A shared position bias is counted once, by the attention that owns its table.
  parameters: (node) => node.projections.reduce((n, p) => n + p.rows * p.cols + (p.bias ? p.rows : 0), 0)
    + (node.positionBias?.owner === node ? node.positionBias.buckets * node.heads : 0),
  outputActivation: () => null,
  findings: { chain: 'link' },
};

/**
 * The softmax weights' overlaps at init, averaged over the sequence: `own` = mean over queries t of Σ_j p_tj², and
 * `pairs` = mean over query pairs t ≠ t′ of Σ_j p_tj·p_t′j. With logits of spread s² across a query's n visible keys
 * the weights are log-normal, Σ_j p_tj² ≈ min(1, e^{s²}/n) (uniform attention gives 1/n), and two queries' weights
 * are independent, Σ_j p_tj·p_t′j ≈ 1/max(n_t, n_t′) (n_t = t + 1 when causal, T otherwise).
 */
export function attentionWeights(tokens: number, causal: boolean, spread: number): { own: number; pairs: number } {
  const growth = Math.exp(Math.min(spread, 700));
  let own = 0;
  for (let t = 0; t < tokens; t++) own += Math.min(1, growth / (causal ? t + 1 : tokens));
  own /= tokens;
  if (tokens < 2) return { own, pairs: own };
  let pairs: number;
  if (causal) {
    // Σ over t < t′ of 1/(t′ + 1) = Σ_{t′} t′/(t′ + 1).
    let sum = 0;
    for (let t = 1; t < tokens; t++) sum += t / (t + 1);
    pairs = sum / ((tokens * (tokens - 1)) / 2);
  } else {
    pairs = 1 / tokens;
  }
  return { own, pairs };
}

/**
 * How far an attention layer's own prediction may be off, relative in std, forward and backward: the log-normal
 * softmax weights, the mean token correlation standing in for every pair's and the value path's gradient alone. On
 * the GPT-2-, BERT- and Llama-shaped stacks (examples/, test/golden/) the sampled output and gradient std were within
 * 15% of the prediction over 5 seeds; 0.25 leaves room for other shapes.
 */
export const ATTENTION_BOUND = 0.25;

/** What an attention layer keeps for its backward pass: where q, k and v are, the concatenated heads, the row statistics, a position bias's scores. */
interface AttentionTape {
  views: [HeadsView, HeadsView, HeadsView];
  concat: Float32Array;
  rowStats: Float32Array;
  bias: Float32Array | null;
}

/** The attention's shape for the backend's kernels. */
function attentionShape(node: AttentionNode, batch: number, bias: Float32Array | null): AttentionShape {
  return { batch, tokens: node.inShape[0], heads: node.heads, kvHeads: node.kvHeads, headDim: node.headDim, causal: node.causal, scale: node.scale, bias };
}

/** A position bias (T5) as the [heads, T, T] block added to each head's scaled scores, or null without one. */
function scoreBias(node: AttentionNode, run: SampledContext): Float32Array | null {
  if (!node.positionBias) return null;
  const T = node.inShape[0];
  const table = positionBiasTable(node.positionBias, node.heads, run);
  try {
    const bias = new Float32Array(node.heads * T * T);
    for (let h = 0; h < node.heads; h++) addPositionBias(bias.subarray(h * T * T, (h + 1) * T * T), table, node.positionBias, node.heads, h, T, T);
    return bias;
  } finally {
    run.backend.release(table);
  }
}

/** Copies columns [offset, offset + heads·dim) of a [batch·tokens, stride] tensor into [batch, heads, tokens, dim]. */
export function toHeads(src: Float32Array, dst: Float32Array, B: number, T: number, heads: number, dim: number, stride: number, offset: number): void {
  for (let b = 0; b < B; b++) for (let h = 0; h < heads; h++) for (let t = 0; t < T; t++) {
    const from = (b * T + t) * stride + offset + h * dim;
    dst.set(src.subarray(from, from + dim), ((b * heads + h) * T + t) * dim);
  }
}

/** The inverse of `toHeads`: writes [batch, heads, tokens, dim] into columns [offset, …) of [batch·tokens, stride]. */
export function fromHeads(src: Float32Array, dst: Float32Array, B: number, T: number, heads: number, dim: number, stride: number, offset: number): void {
  for (let b = 0; b < B; b++) for (let h = 0; h < heads; h++) for (let t = 0; t < T; t++) {
    const from = ((b * heads + h) * T + t) * dim;
    dst.set(src.subarray(from, from + dim), (b * T + t) * stride + offset + h * dim);
  }
}

/**
 * Reads the fields attention and cross_attention share (`AttentionFields`): heads, kv_heads, head_dim, scale, init
 * (default: the file's defaults, else the assumed PyTorch default), q_init, k_init, v_init, out_init (default: init),
 * bias and out_bias (default: bias). Undefined after a located problem.
 */
export function readAttentionFields(ctx: LayerParseContext): AttentionFields | undefined {
  const { r, obj } = ctx;
  const heads = ctx.positive('heads', 'the number of query heads');
  const kvHeads = optionalPositive(ctx, 'kv_heads');
  const headDim = optionalPositive(ctx, 'head_dim');
  const scale = readScale(ctx);
  const initOf = (key: string): InitSpec | null | undefined => {
    const node = r.prop(obj, key);
    return node ? readInit(r, node, ctx.at(key), 'layer', 'weight') : null;
  };
  const init = initOf('init') ?? ctx.defaults.init ?? assumedInit(ctx.path);
  const [q, k, v, out] = ['q_init', 'k_init', 'v_init', 'out_init'].map(initOf);
  const bias = readAttentionBias(ctx, 'bias', init);
  const outBias = r.prop(obj, 'out_bias') ? readAttentionBias(ctx, 'out_bias', init) : bias;
  if (heads === undefined || kvHeads === undefined || headDim === undefined || scale === undefined || !init || q === undefined || k === undefined
    || v === undefined || out === undefined || bias === undefined || outBias === undefined) return undefined;
  return { heads, kvHeads, headDim, scale, init, q, k, v, out, bias, outBias };
}

/**
 * The heads of an attention over a `width`-wide sequence: kv_heads (default heads) must divide heads, head_dim
 * defaults to width/heads (which must then be whole); the scores' scale 1/√head_dim, 1 ("none") or the number given.
 * Null after `ctx.fail`.
 */
export function planHeads(spec: AttentionFields & LayerSpec, width: number, ctx: PlanContext): { heads: number; kvHeads: number; headDim: number; scale: number } | null {
  const heads = spec.heads;
  const kvHeads = spec.kvHeads ?? heads;
  if (heads % kvHeads !== 0) return ctx.fail(`kv_heads (${kvHeads}) must divide heads (${heads}) at ${spec.path}`);
  if (spec.headDim === null && width % heads !== 0) return ctx.fail(`the width ${width} is not a multiple of heads (${heads}) at ${spec.path}; set "head_dim"`);
  const headDim = spec.headDim ?? width / heads;
  const scale = spec.scale === 'inverse_sqrt' ? 1 / Math.sqrt(headDim) : spec.scale === 'none' ? 1 : spec.scale;
  return { heads, kvHeads, headDim, scale };
}

function optionalPositive(ctx: LayerParseContext, key: string): number | null | undefined {
  const node = ctx.r.prop(ctx.obj, key);
  if (!node) return null;
  return ctx.r.number(node, ctx.at(key), key, { integer: true, min: 1, max: 1 << 24 });
}

function readScale(ctx: LayerParseContext): AttentionScale | undefined {
  const node = ctx.r.prop(ctx.obj, 'scale');
  if (!node) return 'inverse_sqrt';
  if (node.type === 'number') {
    const value = ctx.r.number(node, ctx.at('scale'), 'scale', { min: 0 });
    if (value === undefined) return undefined;
    if (!(value > 0)) {
      ctx.r.report(node, ctx.at('scale'), `scale at ${ctx.at('scale')} must be above 0, got ${value}`);
      return undefined;
    }
    return value;
  }
  return ctx.r.oneOf(node, ctx.at('scale'), 'scale', ['inverse_sqrt', 'none'] as const);
}

/** A bias field: as a dense layer's (default: PyTorch's uniform when the weight init is the assumed default, else zeros). */
function readAttentionBias(ctx: LayerParseContext, key: string, init: InitSpec | undefined): InitSpec | null | undefined {
  const node = ctx.r.prop(ctx.obj, key);
  if (node) return readBias(ctx.r, node, ctx.at(key), 'layer');
  if (ctx.defaults.bias !== undefined) return ctx.defaults.bias;
  return { scheme: init?.scheme === 'pytorch_default' ? 'pytorch_default' : 'zeros', options: {}, multiplier: 1, path: ctx.path, source: 'assumed' };
}

function readRotary(ctx: LayerParseContext, node: Node | undefined): { fraction: number; base: number } | null | undefined {
  if (!node) return null;
  const path = ctx.at('rotary');
  const obj = ctx.r.object(node, path, 'rotary');
  if (!obj) return undefined;
  ctx.r.checkKeys(obj, path, ['fraction', 'base'], 'rotary');
  const fractionNode = ctx.r.prop(obj, 'fraction');
  const baseNode = ctx.r.prop(obj, 'base');
  const fraction = fractionNode ? ctx.r.number(fractionNode, `${path}/fraction`, 'rotary fraction', { min: 0, max: 1 }) : 1;
  const base = baseNode ? ctx.r.number(baseNode, `${path}/base`, 'rotary base', { min: 0 }) : 10000;
  if (fraction === undefined || base === undefined) return undefined;
  if (!(fraction > 0) || !(base > 0)) {
    ctx.r.report(node, path, `rotary needs a fraction in (0, 1] and a base above 0 at ${path}`);
    return undefined;
  }
  return { fraction, base };
}
