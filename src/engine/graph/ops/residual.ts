import type { Node } from 'jsonc-parser';
import type { ConvGeometry } from '../../backend/computeBackend';
import { assumedInit, type Defaults, readActivation } from '../../format/layerFields';
import type { LayerSpec } from '../../format/networkSpec';
import { readBias, readInit } from '../../format/parseInit';
import { childPointer } from '../../format/problem';
import type { Reader } from '../../format/reader';
import type { InitSpec } from '../../init/initSpec';
import { formatSignificant } from '../../report/formatNumber';
import { type Activation, LINEAR } from '../../math/activation';
import { crossMoment, variance } from '../../meanField/signal';
import { residualOutput, sumBound } from '../../meanField/residualSum';
import { activationKernel } from '../../math/activationKernel';
import type { FindingDraft, LayerOp } from '../layerOp';
import { describeShape, type PlanNode, rowsPerSample, single, sizeOf } from '../plan';
import { FINDING_THRESHOLDS } from '../../findings/thresholds';
import { nodeOp } from '../registry';
import { initPointer, weightNode, type WeightNode } from './weightLayer';

/** A learned projection shortcut: a dense layer, or a strided 1×1 conv, without activation. */
export interface ProjectionSpec {
  path: string;
  init: InitSpec;
  bias: InitSpec | null;
}

export interface ResidualSpec extends LayerSpec {
  type: 'residual';
  layers: LayerSpec[];
  /** null is the identity shortcut. */
  shortcut: ProjectionSpec | null;
  activation: Activation & { path: string };
}

export interface ResidualNode extends PlanNode {
  op: 'residual';
  branch: PlanNode[];
  shortcut: WeightNode | null;
  activation: Activation;
}

/**
 * `residual`: y = φ(shortcut(x) + F(x)), F the branch `layers` (He et al., 2016), the shortcut the identity or a
 * learned projection (dense, or 1×1 conv with the stride the shapes imply). Backward, the gradient of the sum goes to
 * both paths and their input gradients add. Mean field: the variances of shortcut and branch add (the cross term
 * vanishes in expectation over zero-mean weights), so identity blocks grow the variance block after block unless the
 * branch's last layer starts at zero (Fixup, Zhang et al., 2019; SkipInit, De & Smith, 2020), which the
 * residual-variance-growth finding proposes.
 */
export const residual: LayerOp<ResidualSpec, ResidualNode> = {
  type: 'residual',
  op: 'residual',
  keys: ['layers', 'shortcut', 'activation', 'negative_slope'],
  schema: {
    description: 'A residual block: output = activation(shortcut(x) + F(x)), F being its "layers".',
    properties: {
      layers: { type: 'array', description: 'The branch F.', items: { $ref: '#/definitions/layer' }, minItems: 1 },
      shortcut: { description: '"identity" (default) or a learned projection { "type": "projection", "init": … } when shapes change.',
        oneOf: [{ enum: ['identity', 'projection'] }, { type: 'object', additionalProperties: false, required: ['type'], properties: {
          type: { enum: ['identity', 'projection'], description: 'identity, or projection (a dense or 1×1 conv layer).' },
          init: { $ref: '#/definitions/init' }, bias: { $ref: '#/definitions/bias' } } }] },
      activation: { $ref: '#/definitions/activation', description: 'Activation applied after the addition (default linear).' },
      negative_slope: { $ref: '#/definitions/negative_slope' },
    },
    required: ['layers'],
  },

  parse(ctx) {
    const { r, obj, path } = ctx;
    const layers = ctx.readLayers(ctx.required('layers', 'the branch F as an array of layers'), ctx.at('layers'));
    const activation = readActivation(r, obj, path) ?? { name: 'linear', negativeSlope: 0.01, path };
    const shortcut = readShortcut(r, r.prop(obj, 'shortcut'), ctx.at('shortcut'), ctx.defaults);
    if (layers && layers.length === 0) r.report(r.prop(obj, 'layers'), ctx.at('layers'), `the residual branch at ${ctx.at('layers')} is empty`);
    return layers && layers.length > 0 && shortcut !== undefined ? { type: 'residual', path, name: ctx.name, layers, shortcut, activation } : undefined;
  },

  plan(spec, inShape, ctx) {
    const branch = ctx.planLayers(spec.layers, inShape);
    if (!branch) return null;
    const out = branch.outShape;
    let shortcut: WeightNode | null = null;
    if (!spec.shortcut) {
      if (describeShape(out) !== describeShape(inShape)) {
        return ctx.fail(`the residual branch at ${spec.path} maps ${describeShape(inShape)} to ${describeShape(out)}, but an identity shortcut needs equal shapes; make the branch keep the shape or use "shortcut": { "type": "projection" }`);
      }
    } else {
      const sc = spec.shortcut;
      const name = `${ctx.label} shortcut`;
      if (inShape.length === 1 && out.length === 1) {
        shortcut = weightNode('dense', { index: ctx.take(), path: sc.path, name, inShape, outShape: out, weightShape: [out[0], inShape[0]] }, sc.init, sc.bias, LINEAR, sc.path, undefined, true);
      } else if (inShape.length === 3 && out.length === 3 && shortcutStride(inShape[1], out[1]) !== null && shortcutStride(inShape[2], out[2]) !== null) {
        const sh = shortcutStride(inShape[1], out[1])!;
        const sw = shortcutStride(inShape[2], out[2])!;
        const geometry: ConvGeometry = { channels: inShape[0], height: inShape[1], width: inShape[2], kernelHeight: 1, kernelWidth: 1, strideHeight: sh, strideWidth: sw, padTop: 0, padLeft: 0, outHeight: out[1], outWidth: out[2] };
        shortcut = weightNode('conv2d', { index: ctx.take(), path: sc.path, name, inShape, outShape: out, weightShape: [out[0], inShape[0], 1, 1] }, sc.init, sc.bias, LINEAR, sc.path, geometry, true);
      } else {
        return ctx.fail(`a projection shortcut cannot map ${describeShape(inShape)} to the branch output ${describeShape(out)} at ${spec.path}`);
      }
      ctx.push(shortcut);
    }
    return single(ctx.push({ op: 'residual', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: out, branch: branch.nodes, shortcut, activation: spec.activation }));
  },

  predict(node, s, ctx) {
    const branch = ctx.predictNodes(node.branch, s);
    const shortcut = node.shortcut ? ctx.predictNode(node.shortcut, s) : s;
    const mean = shortcut.mean + branch.mean;
    const sumVariance = variance(shortcut) + variance(branch);
    // Tokens: the two paths' cross-moments add (at init each is independent of the other's weights).
    const cross = node.outShape.length === 2 ? crossMoment(shortcut) + crossMoment(branch) + 2 * shortcut.mean * branch.mean : undefined;
    const out = residualOutput(node.activation, shortcut, branch, ctx.batch * rowsPerSample(node.outShape));
    const withCross = cross === undefined ? out.signal : { ...out.signal, cross: node.activation.name === 'linear' ? cross
      : activationKernel(node.activation, mean, sumVariance, cross - mean * mean) };
    ctx.record(node, { preActivationStd: Math.sqrt(sumVariance), activationMean: out.signal.mean, activationStd: Math.sqrt(variance(out.signal)), chi: null,
      saturatedFraction: out.saturated, deadFraction: out.dead, approximate: !out.exact,
      ...(out.exact ? { approximateBy: sumBound([shortcut, branch]) } : {}) }, 1, out.derivativeSecond);
    return withCross;
  },

  predictBackward(node, g, ctx) {
    const sum = g * ctx.factors(node).postDerivative;
    const throughBranch = ctx.backwardNodes(node.branch, sum);
    let throughShortcut = sum;
    if (node.shortcut) {
      ctx.setGradientVariance(node.shortcut, sum);
      throughShortcut = sum * ctx.factors(node.shortcut).backwardFactor;
    }
    return throughBranch + throughShortcut;
  },

  forward(node, x, run) {
    const branch = run.forwardNodes(node.branch, x);
    const shortcut = node.shortcut ? run.forwardNode(node.shortcut, x) : x;
    const sum = run.tensor(branch.length);
    for (let i = 0; i < sum.length; i++) sum[i] = shortcut[i] + branch[i];
    for (const t of [branch, shortcut]) if (t !== x) run.forwardDone(t);
    const out = node.activation.name === 'linear' ? sum : run.tensor(sum.length);
    if (out !== sum) run.backend.activate(node.activation, sum, out);
    run.record(node, { x, pre: sum, out }, node.activation);
    return out;
  },

  backward(node, dy, tape, run) {
    // After a linear sum the gradient of the sum is dy itself.
    let dsum = dy;
    if (node.activation.name !== 'linear') {
      dsum = run.gradient(dy.length);
      dsum.set(dy);
      run.backend.multiplyByDerivative(node.activation, tape.pre, dsum);
    }
    const branch = run.backwardNodes(node.branch, dsum, true);
    const shortcut = node.shortcut ? run.backwardNode(node.shortcut, dsum, true) : dsum;
    const dx = run.gradient(branch.length);
    for (let i = 0; i < dx.length; i++) dx[i] = branch[i] + shortcut[i];
    for (const g of [branch, shortcut, dsum]) if (g !== dy) run.dropGradient(g);
    return dx;
  },

  backwardReads: (node) => (node.activation.name === 'linear' ? [] : ['pre']),
  // The block keeps its sum beside its output for the backward pass.
  cost: (node, tally, batch) => { tally.keptFloats += batch * sizeOf(node.outShape); },
  outputActivation: (node) => node.activation,
  subgraphs: (node) => [node.branch],

  findings: {
    chain: 'link',
    /** residual-variance-growth over consecutive identity blocks: geometric mean of Var(out)/Var(in) per block. */
    diagnoseSiblings(siblings, stats) {
      const out: FindingDraft[] = [];
      const blocks: { node: ResidualNode; ratio: number; inStd: number; outStd: number }[] = [];
      let prev = stats.inputStd;
      siblings.forEach((node, i) => {
        // Pre-norm blocks (the branch starts with a normalization) add a fixed variance, not a multiple, and a
        // normalization right after a block (post-norm) resets it: findings/transformerFindings.ts judges both.
        const normalizes = (n: PlanNode | undefined): boolean => n !== undefined && nodeOp(n.op).findings.normalizes === true;
        const normed = node.op === 'residual' && (normalizes((node as ResidualNode).branch[0]) || normalizes(siblings[i + 1]));
        if (node.op === 'residual' && !(node as ResidualNode).shortcut && !normed) blocks.push({ node: node as ResidualNode, ratio: (stats.outputStd(node) / prev) ** 2, inStd: prev, outStd: stats.outputStd(node) });
        prev = stats.outputStd(node);
      });
      if (blocks.length < 2) return out;
      const perBlock = Math.pow(blocks.reduce((p, b) => p * b.ratio, 1), 1 / blocks.length);
      if (perBlock <= FINDING_THRESHOLDS.residualVarianceGrowth) return out;
      const first = blocks.find((b) => b.ratio > FINDING_THRESHOLDS.residualVarianceGrowth) ?? blocks[0];
      const last = stats.lastWeightOf(first.node.branch);
      out.push({
        code: 'residual-variance-growth', severity: 'warning', path: first.node.path, layer: first.node.index,
        message: `variance grows ×${perBlock.toFixed(2)} per residual block: output std ${formatSignificant(blocks[0].inStd)} → ${formatSignificant(blocks[blocks.length - 1].outStd)} over ${blocks.length} blocks, because each block adds its branch's variance to the shortcut's`,
        fix: last ? { description: `zero-initialize the branch's last layer '${last.name}' so each block starts as the identity (Fixup, SkipInit)`, path: initPointer(last), value: 'zeros', std: 0 } : null,
        alternatives: [],
        related: last ? [{ path: last.initSpec.source === 'layer' ? last.initSpec.path : last.path, message: `the branch's last layer; zero-initialize it to keep the block's variance` }] : [],
      });
      return out;
    },
  },
};

/** Reads `shortcut`: "identity" (null), "projection", or { "type": …, "init", "bias" } (init defaults as layers'). */
function readShortcut(r: Reader, node: Node | undefined, path: string, defaults: Defaults): ProjectionSpec | null | undefined {
  if (!node) return null;
  if (node.type === 'string') {
    const s = r.oneOf(node, path, 'shortcut', ['identity', 'projection'] as const);
    if (s === undefined) return undefined;
    if (s === 'identity') return null;
    return { path, init: defaults.init ?? assumedInit(path), bias: null };
  }
  const obj = r.object(node, path, 'shortcut');
  if (!obj) return undefined;
  r.checkKeys(obj, path, ['type', 'init', 'bias'], 'shortcut');
  const type = r.oneOf(r.prop(obj, 'type'), childPointer(path, 'type'), 'shortcut type', ['identity', 'projection'] as const);
  if (!r.prop(obj, 'type')) r.report(obj, path, `missing required property "type" in the shortcut at ${path}; expected one of: identity, projection`);
  if (type === 'identity') return null;
  if (type === undefined) return undefined;
  const initNode = r.prop(obj, 'init');
  const init = initNode ? readInit(r, initNode, childPointer(path, 'init'), 'layer', 'weight') : defaults.init ?? assumedInit(path);
  const biasNode = r.prop(obj, 'bias');
  const bias = biasNode ? readBias(r, biasNode, childPointer(path, 'bias'), 'layer') : null;
  return init && bias !== undefined ? { path, init, bias } : undefined;
}

/**
 * The stride of a 1×1 convolution without padding that maps `size` to `out` (out = ⌊(size − 1)/stride⌋ + 1, as
 * PyTorch's and Keras' "valid" convolution): ⌈size/out⌉ when it does, e.g. 11 → 6 with stride 2 (a ResNet
 * shortcut on an odd map), else null.
 */
export function shortcutStride(size: number, out: number): number | null {
  if (out < 1 || out > size) return null;
  const stride = Math.ceil(size / out);
  return Math.floor((size - 1) / stride) + 1 === out ? stride : null;
}
