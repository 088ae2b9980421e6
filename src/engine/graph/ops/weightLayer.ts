import type { ProductMoments } from '../../backend/productMoments';
import type { ConvGeometry } from '../../backend/computeBackend';
import { type TensorMoments, momentsStd } from '../../backend/tensorMoments';
import { assumedInit, readActivation } from '../../format/layerFields';
import type { ActivationRef, LayerSpec } from '../../format/networkSpec';
import { readBias, readInit } from '../../format/parseInit';
import { childPointer } from '../../format/problem';
import { computeFans } from '../../init/fan';
import type { InitSpec } from '../../init/initSpec';
import { type ResolvedInit, resolveInit } from '../../init/resolveInit';
import type { Activation } from '../../math/activation';
import { crossMoment, nonlinearity, type Signal, variance } from '../../meanField/signal';
import type { CostTally, LayerParseContext, PlanContext, PredictContext, SampledContext, TapeEntry, TapeField } from '../layerOp';
import { type PlanNode, rowsPerSample, sizeOf } from '../plan';
import { sampleInit } from '../../init/sampleInit';
import { Stream } from '../../random/rng';
import { weightFloatsInFlight, type WeightSource } from '../../sampled/streamedWeight';

// What dense and conv2d layers (and residual projection shortcuts) share: a weight with an init, a bias, and a
// nonlinearity after the linear map. Each op keeps its own linear map (GEMM or convolution) in its own module.

/** The fields a layer with a weight has in the file format. */
export interface WeightLayerSpec extends LayerSpec {
  activation: ActivationRef;
  init: InitSpec;
  bias: InitSpec | null;
}

/**
 * A layer with a weight (dense, conv2d, or a residual block's projection shortcut), its init made concrete. `op` is
 * the op that runs it; any op whose node has these fields is a weight layer to the findings, the report and the cost.
 */
export interface WeightNode extends PlanNode {
  /** [units, in] or [filters, in_channels, kh, kw]. */
  weightShape: number[];
  fanIn: number;
  fanOut: number;
  initSpec: InitSpec;
  init: ResolvedInit;
  bias: ResolvedInit | null;
  activation: Activation;
  /** JSON pointer of the activation that applies (for messages and fixes). */
  activationPath: string;
  /** Set for conv2d. */
  geometry?: ConvGeometry;
  /** A grouped (or depthwise) conv2d's groups; absent for 1. */
  groups?: number;
  /** True for a residual block's projection shortcut. */
  isShortcut: boolean;
}

/** Whether a planned node has a weight (the trait findings, the report and the cost look for). */
export function isWeightNode(node: PlanNode): node is WeightNode {
  return (node as Partial<WeightNode>).weightShape !== undefined;
}

/** Whether a parsed layer has a weight init (the layers a what-if can change). */
export function isWeightLayerSpec(spec: LayerSpec): spec is WeightLayerSpec {
  const s = spec as Partial<WeightLayerSpec>;
  return s.init !== undefined && s.activation !== undefined;
}

/** The pointer of the `init` a weight node's fix should replace (the layer's own `init`, even when it was inherited). */
export function initPointer(node: WeightNode): string {
  return node.initSpec.source === 'layer' ? node.initSpec.path : childPointer(node.path, 'init');
}

/**
 * Reads `activation` (else the defaults'), `init` (else the defaults', else PyTorch's default, marked assumed) and
 * `bias` (else the defaults', else zeros, or PyTorch's U(±1/√fanIn) bias when the weight init is the assumed default).
 */
export function parseWeightFields(ctx: LayerParseContext): Omit<WeightLayerSpec, 'type' | 'path' | 'name'> | undefined {
  const { r, obj, path, defaults } = ctx;
  const slopeNode = r.prop(obj, 'negative_slope');
  const inherited = defaults.activation ?? { name: 'linear', negativeSlope: 0.01, path };
  const activation: ActivationRef = readActivation(r, obj, path)
    ?? { ...inherited, negativeSlope: slopeNode?.type === 'number' ? (slopeNode.value as number) : inherited.negativeSlope };
  const initNode = r.prop(obj, 'init');
  const init = initNode ? readInit(r, initNode, ctx.at('init'), 'layer', 'weight') : defaults.init ?? assumedInit(path);
  const biasNode = r.prop(obj, 'bias');
  let bias: InitSpec | null | undefined;
  if (biasNode) bias = readBias(r, biasNode, ctx.at('bias'), 'layer');
  else if (defaults.bias !== undefined) bias = defaults.bias;
  else bias = { scheme: init?.scheme === 'pytorch_default' ? 'pytorch_default' : 'zeros', options: {}, multiplier: 1, path, source: 'assumed' };
  if (!init || bias === undefined) return undefined;
  return { activation, init, bias };
}

/** The properties every weight layer's schema has besides its shape. */
export const WEIGHT_SCHEMA_PROPERTIES = {
  activation: { $ref: '#/definitions/activation' },
  negative_slope: { $ref: '#/definitions/negative_slope' },
  init: { $ref: '#/definitions/init' },
  bias: { $ref: '#/definitions/bias' },
};

/** A weight node with its fans (`computeFans`, PyTorch's rule) and its init and bias resolved for them. */
export function weightNode(op: string, fields: { index: number; path: string; name: string; inShape: number[]; outShape: number[]; weightShape: number[] },
  initSpec: InitSpec, biasSpec: InitSpec | null, activation: Activation, activationPath: string, geometry: ConvGeometry | undefined, isShortcut: boolean): WeightNode {
  const { fanIn, fanOut } = computeFans(fields.weightShape);
  return {
    op, ...fields, fanIn, fanOut, initSpec,
    init: resolveInit(initSpec, fields.weightShape, 'weight'),
    bias: biasSpec ? resolveInit(biasSpec, fields.weightShape, 'bias') : null,
    activation: { name: activation.name, negativeSlope: activation.negativeSlope }, activationPath, geometry, isShortcut,
  };
}

/** Plans a dense or conv2d layer of a file (not a shortcut) and appends it to the execution order. */
export function planWeightLayer(op: string, spec: WeightLayerSpec, ctx: PlanContext, shapes: { inShape: number[]; outShape: number[]; weightShape: number[] }, geometry?: ConvGeometry): WeightNode {
  return ctx.push(weightNode(op, { index: ctx.take(), path: spec.path, name: ctx.label, ...shapes }, spec.init, spec.bias, spec.activation, spec.activation.path, geometry, false));
}

/**
 * Mean field of a weight layer: a layer of fan-in n (only the kernel taps inside the padded image count: `inside`)
 * maps input moments (m, E[x²]) to a Gaussian pre-activation with mean n·μ_w·m + μ_b and variance
 * q = n·(σ²_W·E[x²] + μ_w²·Var x) + σ²_b, then φ by quadrature; backward Var(dx) = fanOut·E[W²]·E[φ′(z)²]·Var(dy)
 * with fanOut counted the same way and divided by the stride (Poole et al., 2016; He et al., 2015).
 */
export function predictWeightLayer(node: WeightNode, s: Signal, ctx: PredictContext, inside: number, stride: number): Signal {
  const fanIn = node.fanIn * inside;
  const wVar = node.init.std ** 2;
  const wMean = node.init.mean;
  const bVar = node.bias ? node.bias.std ** 2 : 0;
  const bMean = node.bias ? node.bias.mean : 0;
  const inVar = variance(s);
  const preMean = fanIn * wMean * s.mean + bMean;
  const preVariance = fanIn * (wVar * s.second + wMean * wMean * inVar) + bVar;
  // Randomness shared by the batch for one unit: its weights times the input's per-unit batch means, and its bias.
  const shared = Math.min(preVariance, fanIn * wVar * (s.mean * s.mean + s.sharedVariance) + bVar);
  // A sequence (or a map whose positions carry a cross-moment): the covariance of one unit in two tokens or positions,
  // from their cross-moment (the same weights see both).
  const cross = crossMoment(s);
  const preCovariance = node.outShape.length === 2 || s.cross !== undefined ? fanIn * (wVar * cross + wMean * wMean * (cross - s.mean * s.mean)) + bVar : undefined;
  const out = nonlinearity(node.activation, preMean, preVariance, shared, ctx.batch * rowsPerSample(node.outShape), preCovariance);
  const fanOut = (node.fanOut * inside) / stride;
  ctx.record(node, {
    preActivationStd: Math.sqrt(preVariance),
    activationMean: out.signal.mean,
    activationStd: Math.sqrt(variance(out.signal)),
    chi: node.fanIn * wVar * out.derivativeSecond,
    saturatedFraction: out.saturated,
    deadFraction: out.dead,
    approximate: wMean !== 0 || stride > 1,
  }, fanOut * (wVar + wMean * wMean) * out.derivativeSecond);
  return node.activation.name === 'linear' ? { ...out.signal, mean: preMean, second: preVariance + preMean * preMean, gaussian: true, sharedVariance: shared } : out.signal;
}

/**
 * Sampled forward of a weight layer: pre = linear(x) + b (`linear` is the op's GEMM or convolution, writing into
 * `pre`), out = φ(pre); records the output's statistics, the weights' std and the number of distinct units. With
 * `streamedLinear` (a dense layer) and a weight the run streams (`SampledContext.streamed`), the op draws W block by
 * block itself and returns W's moments; the distinct units are then not counted (that needs every row at once).
 */
export function forwardWeightLayer(node: WeightNode, x: Float32Array, run: SampledContext, linear: (w: Float32Array, pre: Float32Array) => void,
  streamedLinear?: (src: WeightSource, pre: Float32Array) => TensorMoments): Float32Array {
  const B = run.batch;
  const units = node.weightShape[0];
  const outSize = sizeOf(node.outShape);
  const pre = run.tensor(B * outSize);
  const src = streamedLinear ? run.streamed(node, node.init, units, node.fanIn) : null;
  let weights: { w: Float32Array; b: Float32Array | null } | null = null;
  let b: Float32Array | null = null;
  let streamedMoments: TensorMoments | null = null;
  if (src) {
    streamedMoments = streamedLinear!(src, pre);
    if (node.bias) {
      b = new Float32Array(units);
      sampleInit(node.bias, run.seed, Stream.bias(node.index), run.backend, b, 1, units);
    }
  } else {
    weights = run.weights(node);
    b = weights.b;
    linear(weights.w, pre);
  }
  // A zero bias adds nothing.
  const addBias = b !== null && node.bias !== null && !isZeroInit(node.bias);
  if (b && addBias && node.outShape.length === 2) {
    // A sequence [tokens, units]: the unit is the last axis.
    addRowBias(pre, b, B * node.outShape[0], units);
  } else if (b && addBias) {
    const per = outSize / units;
    for (let s = 0; s < B; s++) for (let u = 0; u < units; u++) {
      const bias = b[u];
      if (bias === 0) continue;
      const base = s * outSize + u * per;
      for (let i = 0; i < per; i++) pre[base + i] += bias;
    }
  }
  const out = node.activation.name === 'linear' ? pre : run.tensor(pre.length);
  if (out !== pre) run.backend.activate(node.activation, pre, out);
  if (weights) {
    const distinctUnits = run.backend.distinctRows(weights.w, units, node.fanIn, b);
    const weightStd = momentsStd(run.backend.moments(weights.w));
    run.dropWeights(node, weights, 'forward');
    run.record(node, { x, pre, out }, node.activation, { distinctUnits, weightStd });
  } else {
    run.record(node, { x, pre, out }, node.activation, { weightStd: momentsStd(streamedMoments!) });
  }
  return out;
}

/**
 * Sampled backward of a weight layer: dpre = dy·φ′(pre), then the op's `gradients` give dx (into `dx`, a gradient
 * tensor with unset contents, when needed) and the moments of dW. W is regenerated only when dx is needed or it is still held (dW does not use it):
 * not for the network's first layer. Records std(dW). A `streamed` weight is not drawn here: `gradients` gets null
 * and draws it by blocks for dx.
 */
export function backwardWeightLayer(node: WeightNode, dy: Float32Array, tape: TapeEntry, run: SampledContext, needInput: boolean,
  gradients: (w: Float32Array | null, x: Float32Array, dpre: Float32Array, dx: Float32Array) => ProductMoments, streamed: WeightSource | null = null): Float32Array {
  // Without a nonlinearity dpre is dy itself.
  const linear = node.activation.name === 'linear';
  const dpre = linear ? dy : run.backend.allocate(dy.length);
  try {
    if (!linear) {
      dpre.set(dy);
      run.backend.multiplyByDerivative(node.activation, tape.pre, dpre);
    }
    const w = !streamed && (needInput || run.holdsWeights(node)) ? run.weights(node).w : null;
    const dx = needInput ? run.gradient(tape.x.length) : new Float32Array(0);
    const dwMoments = gradients(w && needInput ? w : null, tape.x, dpre, dx);
    if (w) run.dropWeights(node, { w, b: null }, 'backward');
    run.result(node).weightGradientStd = momentsStd(dwMoments);
    return dx;
  } finally {
    if (!linear) run.backend.release(dpre);
  }
}

/** A weight layer's output remade from its kept pre-activation: φ(pre), by the same kernel as the forward pass. */
export function rematerializeWeightLayer(node: WeightNode, tape: TapeEntry, out: Float32Array, run: SampledContext): void {
  run.backend.activate(node.activation, tape.pre, out);
}

/** What a weight layer's backward pass reads: its input (for dW) and, behind a nonlinearity, its pre-activation. */
export function weightLayerBackwardReads(node: WeightNode): readonly TapeField[] {
  return node.activation.name === 'linear' ? ['x'] : ['x', 'pre'];
}

/**
 * Adds a weight layer's cost: its weights, 2·B·weights·spatial FLOPs for the forward GEMMs (spatial = output
 * positions per unit), the im2col buffer of `cols` floats, and ≈ 4·m·n² for an orthogonal init (Householder QR).
 * The weight in flight is a block when the op `streams` it (a dense layer) and the run does not cache weights.
 */
export function costWeightLayer(node: WeightNode, tally: CostTally, batch: number, spatial: number, cols: number, streams = false): void {
  const weights = sizeOf(node.weightShape);
  tally.weightCount += weights;
  tally.largestWeight = Math.max(tally.largestWeight, streams ? weightFloatsInFlight(node.init, node.weightShape[0], node.fanIn, batch * spatial) : weights);
  tally.gemmFlops += 2 * batch * weights * spatial;
  tally.largestCols = Math.max(tally.largestCols, cols);
  if (node.init.distribution.kind === 'orthogonal') {
    const m = Math.max(node.weightShape[0], node.fanIn);
    const n = Math.min(node.weightShape[0], node.fanIn);
    tally.initFlops += 4 * m * n * n;
  }
}

/** Whether an init makes every value 0 (a zero bias, whose addition can be skipped). */
export function isZeroInit(init: ResolvedInit): boolean {
  return init.distribution.kind === 'constant' && init.mean === 0;
}

/** x[r·cols + c] += b[c] for every row r: a bias on the last axis. */
export function addRowBias(x: Float32Array, b: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) x[base + c] += b[c];
  }
}
