import { productMoments } from '../../backend/productMoments';
import { weightFloatsInFlight } from '../../sampled/streamedWeight';
import { momentsStd } from '../../backend/tensorMoments';
import type { LayerSpec } from '../../format/networkSpec';
import type { InitSpec } from '../../init/initSpec';
import { LINEAR } from '../../math/activation';
import { ATTENTION_ROW_STATS, attentionStatistics, maskedSoftmax, softmaxBackward } from '../../math/softmax';
import { crossMoment } from '../../meanField/signal';
import { compoundBounds } from '../../meanField/approximation';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single } from '../plan';
import { ATTENTION_BOUND, type AttentionFields, attentionWeights, fromHeads, planHeads, readAttentionFields, toHeads } from './attention';
import { encoderOf, type EncoderNode } from './encoder';
import { type LinearPart, linearPart, partInputGradient, projectedMoments, projectPart } from './projection';

export interface CrossAttentionSpec extends LayerSpec, AttentionFields {
  type: 'cross_attention';
}

/** q (part 0) from the sequence, k (1) and v (2) from the encoder's memory, o (3) back to the sequence's width. */
export interface CrossProjection extends LinearPart {
  name: 'q' | 'k' | 'v' | 'o';
}

export interface CrossAttentionNode extends PlanNode {
  op: 'cross_attention';
  width: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  scale: number;
  /** The encoder whose output the keys and values come from. */
  encoder: EncoderNode;
  projections: [CrossProjection, CrossProjection, CrossProjection, CrossProjection];
  /** Mean field: Var(d memory) = memoryBackwardFactor·Var(dy), set by the prediction. */
  memoryBackwardFactor: number;
}

/**
 * `cross_attention`: multi-head attention of a sequence x [T, width] over the output m [T_m, width_m] of the encoder
 * before it (Vaswani et al., 2017, the decoder's encoder–decoder attention; T5's EncDecAttention): q = x·Wqᵀ + bq,
 * k = m·Wkᵀ + bk, v = m·Wvᵀ + bv, per head S = scale·q_h·k_gᵀ (no mask: every query sees every memory token),
 * P = softmax(S), y = concat(P·v_g)·Woᵀ + bo. Backward: dx through q, and dm through k and v, added into the
 * encoder's memory gradient. Records the logits' std and the attention entropy as `attention` does. Mean field
 * (approximate): q from x's moments, k and v from the memory's; heads average the values over T_m keys,
 * E[o²] = X_v + (E[v²] − X_v)·Σp²; backward, the memory gets Var(dm) = width·E[Wo²]·Σ_t p_tj²·heads·head_dim·E[Wv²]
 * ·Var(dy) through the values, x gets the score path's scale²·head_dim²·heads·E[Wq²]·E[k²]·E[v²]·width·E[Wo²]/T_m.
 */
export const crossAttention: LayerOp<CrossAttentionSpec, CrossAttentionNode> = {
  type: 'cross_attention',
  op: 'cross_attention',
  aliases: { encoder_decoder_attention: 'cross_attention' },
  keys: ['heads', 'kv_heads', 'head_dim', 'scale', 'init', 'q_init', 'k_init', 'v_init', 'out_init', 'bias', 'out_bias'],
  schema: {
    description: 'Multi-head attention of a [tokens, width] sequence over the output of the encoder before it: q from the sequence, k and v from the encoder\'s output (an encoder–decoder\'s cross-attention).',
    properties: {
      heads: { type: 'integer', description: 'Number of query heads.', minimum: 1 },
      kv_heads: { type: 'integer', description: 'Number of key/value heads (default: heads).', minimum: 1 },
      head_dim: { type: 'integer', description: 'Size of each head (default width / heads).', minimum: 1 },
      scale: { description: 'Scale of the scores q·k: "inverse_sqrt" (1/√head_dim, default), "none" (T5) or a number.', oneOf: [{ enum: ['inverse_sqrt', 'none'] }, { type: 'number', exclusiveMinimum: 0 }] },
      init: { $ref: '#/definitions/init', description: 'Init of every projection (default PyTorch\'s nn.Linear init).' },
      q_init: { $ref: '#/definitions/init', description: 'Init of the query projection (default "init").' },
      k_init: { $ref: '#/definitions/init', description: 'Init of the key projection (default "init").' },
      v_init: { $ref: '#/definitions/init', description: 'Init of the value projection (default "init").' },
      out_init: { $ref: '#/definitions/init', description: 'Init of the output projection (default "init").' },
      bias: { $ref: '#/definitions/bias', description: 'Bias of the q, k, v projections (and of the output one unless out_bias); false for none.' },
      out_bias: { $ref: '#/definitions/bias', description: 'Bias of the output projection (default "bias").' },
    },
    required: ['heads'],
  },

  parse(ctx) {
    const fields = readAttentionFields(ctx);
    return fields ? { type: 'cross_attention', path: ctx.path, name: ctx.name, ...fields } : undefined;
  },

  plan(spec, inShape, ctx) {
    if (inShape.length !== 2) return ctx.fail(`cross_attention needs a sequence [tokens, width], got shape ${describeShape(inShape)} at ${spec.path}`);
    const encoder = encoderOf(ctx.preceding('encoder'));
    if (!encoder) return ctx.fail(`the cross_attention at ${spec.path} reads an encoder's output: put an { "type": "encoder", "layers": […] } before it`);
    const width = inShape[1];
    const memoryWidth = encoder.outShape[1];
    const geometry = planHeads(spec, width, ctx);
    if (!geometry) return null;
    const { heads, kvHeads, headDim, scale } = geometry;
    const projection = (name: CrossProjection['name'], part: number, rows: number, cols: number, init: InitSpec, bias: InitSpec | null): CrossProjection => ({
      name, ...linearPart(part, rows, cols, init, bias),
    });
    const projections: CrossAttentionNode['projections'] = [
      projection('q', 0, heads * headDim, width, spec.q ?? spec.init, spec.bias),
      projection('k', 1, kvHeads * headDim, memoryWidth, spec.k ?? spec.init, spec.bias),
      projection('v', 2, kvHeads * headDim, memoryWidth, spec.v ?? spec.init, spec.bias),
      projection('o', 3, width, heads * headDim, spec.out ?? spec.init, spec.outBias),
    ];
    return single(ctx.push({ op: 'cross_attention', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: inShape, width, heads, kvHeads, headDim,
      scale, encoder, projections, memoryBackwardFactor: 0 } satisfies CrossAttentionNode));
  },

  predict(node, s, ctx) {
    const memory = node.encoder.memory.signal!;
    const keys = node.encoder.outShape[0];
    const [qp, kp, vp, o] = node.projections;
    const q = projectedMoments(qp, s.mean, s.second, crossMoment(s));
    const k = projectedMoments(kp, memory.mean, memory.second, crossMoment(memory));
    const v = projectedMoments(vp, memory.mean, memory.second, crossMoment(memory));
    const logitVariance = Math.max(0, node.scale ** 2 * node.headDim * q.second * k.second - (node.scale * node.headDim * q.mean * k.mean) ** 2);
    const spread = node.scale ** 2 * node.headDim * q.second * Math.max(0, k.second - k.cross);
    const { own, pairs } = attentionWeights(keys, false, spread);
    const headSecond = v.cross + (v.second - v.cross) * own;
    const headCross = v.cross + (v.second - v.cross) * pairs;
    const y = projectedMoments(o, v.mean, headSecond, headCross);
    const std = Math.sqrt(Math.max(0, y.second - y.mean ** 2));
    const square = (p: LinearPart): number => p.init.std ** 2 + p.init.mean ** 2;
    const outFactor = o.rows * square(o);
    // The score path (the only one from x): Var(dS) ≈ Var(dp)/T_m² per entry, dp = dHead·v.
    const toX = node.heads * node.headDim * square(qp) * node.scale ** 2 * node.headDim * (node.headDim * v.second) * k.second * outFactor / keys;
    ctx.record(node, { preActivationStd: std, activationMean: y.mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0, approximate: true,
      approximateBy: compoundBounds(Math.max(s.approximateBy ?? 0, memory.approximateBy ?? 0), ATTENTION_BOUND), gradientApproximateBy: ATTENTION_BOUND,
      logitStd: Math.sqrt(logitVariance) }, toX);
    // Each memory token collects Σ_t p_tj² = own·T/T_m of the heads' gradient through the values.
    node.memoryBackwardFactor = outFactor * own * (node.inShape[0] / keys) * node.heads * node.headDim * square(vp);
    return { mean: y.mean, second: y.second, gaussian: true, sharedVariance: 0, cross: y.cross };
  },

  predictBackward(node, g, ctx) {
    node.encoder.memory.gradientVariance += g * node.memoryBackwardFactor;
    return g * ctx.factors(node).backwardFactor;
  },

  forward(node, x, run) {
    const B = run.batch;
    const T = node.inShape[0];
    const memory = node.encoder.memory.tensor!;
    const Tm = node.encoder.outShape[0];
    const { heads: H, kvHeads: G, headDim: dh } = node;
    const [qp, kp, vp, op] = node.projections;
    const qh = run.tensor(B * H * T * dh);
    const kh = run.tensor(B * G * Tm * dh);
    const vh = run.tensor(B * G * Tm * dh);
    const qFlat = projectPart(run, node, qp, x, B * T);
    toHeads(qFlat, qh, B, T, H, dh, qp.rows, 0);
    run.backend.release(qFlat);
    for (const [p, into] of [[kp, kh], [vp, vh]] as const) {
      const flat = projectPart(run, node, p, memory, B * Tm);
      toHeads(flat, into, B, Tm, G, dh, p.rows, 0);
      run.backend.release(flat);
    }
    const p = run.tensor(B * H * T * Tm);
    const concat = run.tensor(B * T * H * dh);
    const scores = run.backend.allocate(T * Tm);
    const head = run.backend.allocate(T * dh);
    const rowStats = new Float32Array(B * H * T * ATTENTION_ROW_STATS);
    try {
      for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
        const g = Math.floor(h / (H / G));
        const q = qh.subarray((b * H + h) * T * dh, (b * H + h + 1) * T * dh);
        const k = kh.subarray((b * G + g) * Tm * dh, (b * G + g + 1) * Tm * dh);
        const v = vh.subarray((b * G + g) * Tm * dh, (b * G + g + 1) * Tm * dh);
        run.backend.gemm(false, true, T, Tm, dh, q, k, scores, false);
        for (let i = 0; i < scores.length; i++) scores[i] *= node.scale;
        const ph = p.subarray((b * H + h) * T * Tm, (b * H + h + 1) * T * Tm);
        maskedSoftmax(scores, ph, T, Tm, false, rowStats, (b * H + h) * T * ATTENTION_ROW_STATS);
        run.backend.gemm(false, false, T, dh, Tm, ph, v, head, false);
        for (let t = 0; t < T; t++) concat.set(head.subarray(t * dh, (t + 1) * dh), (b * T + t) * H * dh + h * dh);
      }
    } finally {
      run.backend.release(scores);
      run.backend.release(head);
    }
    const y = projectPart(run, node, op, concat, B * T, run.tensor(B * T * node.width));
    const { logitStd, entropy } = attentionStatistics(rowStats, B * H, T, false, Tm);
    run.record(node, { x, pre: y, out: y, saved: { qh, kh, vh, p, concat } }, LINEAR, { attention: { logitStd, entropy } });
    return y;
  },

  backward(node, dy, tape, run, needInput) {
    const B = run.batch;
    const T = node.inShape[0];
    const Tm = node.encoder.outShape[0];
    const rows = B * T;
    const { heads: H, kvHeads: G, headDim: dh, width } = node;
    const [qp, kp, vp, op] = node.projections;
    const { qh, kh, vh, p, concat } = tape.saved as { qh: Float32Array; kh: Float32Array; vh: Float32Array; p: Float32Array; concat: Float32Array };
    const dConcat = new Float32Array(rows * H * dh);
    partInputGradient(run, node, op, dy, rows, dConcat, false);
    run.result(node).weightGradientStd = momentsStd(productMoments(run.backend, width, H * dh, rows, dy, concat));
    const dq = new Float32Array(qh.length);
    const dk = new Float32Array(kh.length);
    const dv = new Float32Array(vh.length);
    const dHead = new Float32Array(T * dh);
    const dp = new Float32Array(T * Tm);
    const dqHead = new Float32Array(T * dh);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
      const g = Math.floor(h / (H / G));
      const qRange = [(b * H + h) * T * dh, (b * H + h + 1) * T * dh];
      const kvRange = [(b * G + g) * Tm * dh, (b * G + g + 1) * Tm * dh];
      for (let t = 0; t < T; t++) dHead.set(dConcat.subarray((b * T + t) * H * dh + h * dh, (b * T + t) * H * dh + (h + 1) * dh), t * dh);
      const ph = p.subarray((b * H + h) * T * Tm, (b * H + h + 1) * T * Tm);
      const v = vh.subarray(kvRange[0], kvRange[1]);
      const k = kh.subarray(kvRange[0], kvRange[1]);
      const q = qh.subarray(qRange[0], qRange[1]);
      run.backend.gemm(false, true, T, Tm, dh, dHead, v, dp, false);
      run.backend.gemm(true, false, Tm, dh, T, ph, dHead, dv.subarray(kvRange[0], kvRange[1]), true);
      softmaxBackward(ph, dp, T, Tm, node.scale);
      run.backend.gemm(false, false, T, dh, Tm, dp, k, dqHead, false);
      dq.set(dqHead, qRange[0]);
      run.backend.gemm(true, false, Tm, dh, T, dp, q, dk.subarray(kvRange[0], kvRange[1]), true);
    }
    // The memory's gradient: through k and v, added to what other cross-attention layers sent.
    const memory = node.encoder.memory;
    const memoryRows = B * Tm;
    memory.gradient ??= new Float32Array(memoryRows * kp.cols);
    for (const [proj, d] of [[kp, dk], [vp, dv]] as const) {
      const flat = new Float32Array(memoryRows * proj.rows);
      fromHeads(d, flat, B, Tm, G, dh, proj.rows, 0);
      partInputGradient(run, node, proj, flat, memoryRows, memory.gradient, true);
    }
    if (!needInput) return new Float32Array(0);
    const dx = new Float32Array(rows * width);
    const dqFlat = new Float32Array(rows * qp.rows);
    fromHeads(dq, dqFlat, B, T, H, dh, qp.rows, 0);
    partInputGradient(run, node, qp, dqFlat, rows, dx, false);
    return dx;
  },

  cost: (node, tally, batch) => {
    const tokens = node.inShape[0];
    const keys = node.encoder.outShape[0];
    node.projections.forEach((p, i) => {
      tally.weightCount += p.rows * p.cols;
      tally.largestWeight = Math.max(tally.largestWeight, weightFloatsInFlight(p.init, p.rows, p.cols, batch * Math.max(tokens, keys)));
      tally.gemmFlops += 2 * batch * (i === 1 || i === 2 ? keys : tokens) * p.rows * p.cols;
    });
    tally.gemmFlops += 4 * batch * node.heads * tokens * keys * node.headDim;
    // Kept: q by head and the concatenated heads, k and v by head, P.
    tally.keptFloats += batch * (2 * node.heads * node.headDim * tokens + 2 * node.kvHeads * node.headDim * keys + node.heads * tokens * keys);
  },
  parameters: (node) => node.projections.reduce((n, p) => n + p.rows * p.cols + (p.bias ? p.rows : 0), 0),
  outputActivation: () => null,
  findings: { chain: 'link' },
};
