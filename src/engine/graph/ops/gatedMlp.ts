import { productMoments } from '../../backend/productMoments';
import { weightFloatsInFlight } from '../../sampled/streamedWeight';
import { momentsStd } from '../../backend/tensorMoments';
import { assumedInit, readActivation } from '../../format/layerFields';
import type { ActivationRef, LayerSpec } from '../../format/networkSpec';
import { readBias, readInit } from '../../format/parseInit';
import type { InitSpec } from '../../init/initSpec';
import { resolveInit } from '../../init/resolveInit';
import { type Activation, LINEAR } from '../../math/activation';
import { activationMoments } from '../../math/activationMoments';
import { crossMoment } from '../../meanField/signal';
import { activationKernel } from '../../math/activationKernel';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, rowsPerSample, single } from '../plan';
import { type LinearPart, partInputGradient, projectedMoments, projectPart } from './projection';

export interface GatedMlpSpec extends LayerSpec {
  type: 'gated_mlp';
  hidden: number;
  activation: ActivationRef;
  init: InitSpec;
  gate: InitSpec | null;
  up: InitSpec | null;
  down: InitSpec | null;
  bias: InitSpec | null;
}

/** One of the three projections: gate = part 0, up = 1, down = 2. */
export type MlpProjection = LinearPart;

export interface GatedMlpNode extends PlanNode {
  op: 'gated_mlp';
  activation: Activation;
  /** gate, up, down. */
  projections: [MlpProjection, MlpProjection, MlpProjection];
}

/**
 * `gated_mlp`: y = down(φ(gate(x)) ⊙ up(x)) on the last axis (Shazeer, 2020, "GLU Variants Improve Transformer"):
 * SwiGLU with silu (Llama, Mistral, Qwen2), GeGLU with gelu or gelu_new (T5 v1.1 gated-gelu); gate and up
 * [hidden, width], down [width, hidden], no bias by default (mlp_bias false). Backward: dh = dy·W_down,
 * dg = dh ⊙ u ⊙ φ′(g), du = dh ⊙ φ(g), dx = dg·W_gate + du·W_up. Mean field: g and u are independent Gaussians of
 * variance q = width·σ²·E[x²] (+ σ_b²) at init, so E[(φ(g)·u)²] = E[φ(g)²]·E[u²] and E[φ(g)·u] = E[φ(g)]·E[u];
 * backward, summed over the two paths, Var(dx) = width·E[W_down²]·hidden·(E[φ′(g)²]·E[u²]·E[W_gate²] +
 * E[φ(g)²]·E[W_up²])·Var(dy).
 */
export const gatedMlp: LayerOp<GatedMlpSpec, GatedMlpNode> = {
  type: 'gated_mlp',
  op: 'gated_mlp',
  aliases: { swiglu: 'gated_mlp', geglu: 'gated_mlp' },
  keys: ['hidden', 'activation', 'negative_slope', 'init', 'gate_init', 'up_init', 'down_init', 'bias'],
  schema: {
    description: 'A gated MLP on the last axis: y = down(φ(gate(x)) ⊙ up(x)); SwiGLU with silu, GeGLU with gelu or gelu_new.',
    properties: {
      hidden: { type: 'integer', description: 'Width of the gated hidden layer (intermediate_size).', minimum: 1 },
      activation: { $ref: '#/definitions/activation', description: 'φ on the gate (default silu: SwiGLU).' },
      negative_slope: { $ref: '#/definitions/negative_slope' },
      init: { $ref: '#/definitions/init', description: 'Init of the three projections (default PyTorch\'s nn.Linear init).' },
      gate_init: { $ref: '#/definitions/init', description: 'Init of the gate projection (default "init").' },
      up_init: { $ref: '#/definitions/init', description: 'Init of the up projection (default "init").' },
      down_init: { $ref: '#/definitions/init', description: 'Init of the down projection (default "init").' },
      bias: { $ref: '#/definitions/bias', description: 'Bias of the three projections (default false, as mlp_bias).' },
    },
    required: ['hidden'],
  },

  parse(ctx) {
    const { r, obj } = ctx;
    const hidden = ctx.positive('hidden', 'the width of the gated hidden layer');
    const activation = readActivation(r, obj, ctx.path) ?? { name: 'silu', negativeSlope: 0.01, path: ctx.path };
    const initOf = (key: string): InitSpec | null | undefined => {
      const node = r.prop(obj, key);
      return node ? readInit(r, node, ctx.at(key), 'layer', 'weight') : null;
    };
    const init = initOf('init') ?? ctx.defaults.init ?? assumedInit(ctx.path);
    const gate = initOf('gate_init');
    const up = initOf('up_init');
    const down = initOf('down_init');
    const biasNode = r.prop(obj, 'bias');
    const bias = biasNode ? readBias(r, biasNode, ctx.at('bias'), 'layer') : null;
    if (hidden === undefined || !init || gate === undefined || up === undefined || down === undefined || bias === undefined) return undefined;
    return { type: 'gated_mlp', path: ctx.path, name: ctx.name, hidden, activation, init, gate, up, down, bias };
  },

  plan(spec, inShape, ctx) {
    if (inShape.length > 2) return ctx.fail(`a gated MLP acts on the last axis of [features] or [tokens, features], got shape ${describeShape(inShape)} at ${spec.path}`);
    const width = inShape[inShape.length - 1];
    const projection = (part: number, rows: number, cols: number, init: InitSpec): MlpProjection => ({
      part, rows, cols, initSpec: init, init: resolveInit(init, [rows, cols], 'weight'), bias: spec.bias ? resolveInit(spec.bias, [rows, cols], 'bias') : null,
    });
    const projections: GatedMlpNode['projections'] = [
      projection(0, spec.hidden, width, spec.gate ?? spec.init), projection(1, spec.hidden, width, spec.up ?? spec.init), projection(2, width, spec.hidden, spec.down ?? spec.init),
    ];
    return single(ctx.push({ op: 'gated_mlp', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: inShape,
      activation: { name: spec.activation.name, negativeSlope: spec.activation.negativeSlope }, projections } satisfies GatedMlpNode));
  },

  predict(node, s, ctx) {
    const [gate, up, down] = node.projections;
    const cross = crossMoment(s);
    const g = projectedMoments(gate, s.mean, s.second, cross);
    const u = projectedMoments(up, s.mean, s.second, cross);
    const gVariance = Math.max(0, g.second - g.mean ** 2);
    const phi = activationMoments(node.activation, g.mean, Math.sqrt(gVariance));
    // g and u use independent weights, so they are independent at init: moments of φ(g)·u factor.
    const hMean = phi.mean * u.mean;
    const hSecond = phi.secondMoment * u.second;
    const sequence = node.inShape.length === 2;
    const hCross = sequence ? activationKernel(node.activation, g.mean, gVariance, g.cross - g.mean ** 2) * u.cross : hMean * hMean;
    const y = projectedMoments(down, hMean, hSecond, hCross);
    const std = Math.sqrt(Math.max(0, y.second - y.mean ** 2));
    const sq = (p: MlpProjection): number => p.init.std ** 2 + p.init.mean ** 2;
    const backwardFactor = down.rows * sq(down) * gate.rows * (phi.derivativeSecondMoment * u.second * sq(gate) + phi.secondMoment * sq(up));
    ctx.record(node, { preActivationStd: std, activationMean: y.mean, activationStd: std, chi: null, saturatedFraction: 0, deadFraction: 0,
      approximate: gate.init.mean !== 0 || up.init.mean !== 0 }, backwardFactor);
    return { mean: y.mean, second: y.second, gaussian: true, sharedVariance: 0, ...(sequence ? { cross: y.cross } : {}) };
  },

  forward(node, x, run) {
    const rows = run.batch * rowsPerSample(node.inShape);
    const [gate, up, down] = node.projections;
    const g = projectPart(run, node, gate, x, rows, run.tensor(rows * gate.rows));
    const u = projectPart(run, node, up, x, rows, run.tensor(rows * up.rows));
    const h = run.tensor(g.length);
    run.backend.activate(node.activation, g, h);
    for (let i = 0; i < h.length; i++) h[i] *= u[i];
    const y = projectPart(run, node, down, h, rows, run.tensor(rows * down.rows));
    run.record(node, { x, pre: y, out: y, saved: { g, u, h } }, LINEAR);
    return y;
  },

  backward(node, dy, tape, run, needInput) {
    const rows = run.batch * rowsPerSample(node.inShape);
    const [gate, up, down] = node.projections;
    const { g, u, h } = tape.saved as { g: Float32Array; u: Float32Array; h: Float32Array };
    // The down projection's weight gradient dW = dyᵀ·h, as the layer's.
    run.result(node).weightGradientStd = momentsStd(productMoments(run.backend, down.rows, down.cols, rows, dy, h));
    if (!needInput) return new Float32Array(0);
    const dh = new Float32Array(rows * down.cols);
    partInputGradient(run, node, down, dy, rows, dh, false);
    // du = dh ⊙ φ(g); dg = dh ⊙ u ⊙ φ′(g).
    const phi = new Float32Array(g.length);
    run.backend.activate(node.activation, g, phi);
    const du = new Float32Array(dh.length);
    const dg = new Float32Array(dh.length);
    for (let i = 0; i < dh.length; i++) {
      du[i] = dh[i] * phi[i];
      dg[i] = dh[i] * u[i];
    }
    run.backend.multiplyByDerivative(node.activation, g, dg);
    const dx = run.gradient(rows * gate.cols);
    partInputGradient(run, node, gate, dg, rows, dx, false);
    partInputGradient(run, node, up, du, rows, dx, true);
    return dx;
  },
  // The backward pass reads what the forward pass saved: gate and up pre-activations and their product.
  backwardReads: () => [],

  cost: (node, tally, batch) => {
    const rows = batch * rowsPerSample(node.inShape);
    for (const p of node.projections) {
      tally.weightCount += p.rows * p.cols;
      tally.largestWeight = Math.max(tally.largestWeight, weightFloatsInFlight(p.init, p.rows, p.cols, rows));
      tally.gemmFlops += 2 * rows * p.rows * p.cols;
    }
    tally.keptFloats += 3 * rows * node.projections[0].rows;
  },
  /** Backward: dyᵀ, dh, φ(g), du and dg (rows × hidden each), plus a projection weight in flight (a block when streamed) and its staged copy. */
  transientFloats(node, batch) {
    const rows = batch * rowsPerSample(node.inShape);
    const hidden = node.projections[0].rows;
    const widest = Math.max(...node.projections.map((p) => weightFloatsInFlight(p.init, p.rows, p.cols, rows)));
    return rows * node.projections[2].rows + 4 * rows * hidden + 2 * widest;
  },
  parameters: (node) => node.projections.reduce((n, p) => n + p.rows * p.cols + (p.bias ? p.rows : 0), 0),
  outputActivation: () => null,
  findings: { chain: 'link' },
};

