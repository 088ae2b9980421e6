import type { Activation } from '../math/activation';
import type { ConvGeometry } from '../backend/computeBackend';
import { computeFans } from '../init/fan';
import type { InitSpec } from '../init/initSpec';
import { type ResolvedInit, resolveInit } from '../init/resolveInit';
import type { LayerSpec, NetworkSpec } from '../format/networkSpec';
import { childPointer } from '../format/problem';

/** Largest number of layers after expanding `repeat`; beyond it the plan is refused. */
export const MAX_EXPANDED_LAYERS = 100_000;

interface NodeCommon {
  /** Position in execution order, which is also the layer's index in the report. */
  index: number;
  /** JSON pointer of the layer object it comes from; copies made by `repeat` share it. */
  path: string;
  name: string;
  inShape: number[];
  outShape: number[];
}

/** A dense or conv2d layer (or a projection shortcut) with its weight made concrete. */
export interface WeightNode extends NodeCommon {
  op: 'dense' | 'conv2d';
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
  /** True for a residual block's projection shortcut. */
  isShortcut: boolean;
}

export interface ActivationNode extends NodeCommon { op: 'activation'; activation: Activation }
export interface NormNode extends NodeCommon { op: 'batchnorm' | 'layernorm'; eps: number }
export interface ReshapeNode extends NodeCommon { op: 'flatten' }
export interface GlobalPoolNode extends NodeCommon { op: 'global_avg_pool' }
export interface PoolNode extends NodeCommon { op: 'maxpool2d' | 'avgpool2d'; size: [number, number]; stride: [number, number] }
export interface DropoutNode extends NodeCommon { op: 'dropout'; rate: number }
export interface ResidualNode extends NodeCommon {
  op: 'residual';
  branch: PlanNode[];
  shortcut: WeightNode | null;
  activation: Activation;
}

export type PlanNode = WeightNode | ActivationNode | NormNode | ReshapeNode | GlobalPoolNode | PoolNode | DropoutNode | ResidualNode;

/** The executable network: top-level nodes (residual nodes hold their branch) and all nodes in execution order. */
export interface Plan {
  nodes: PlanNode[];
  ordered: PlanNode[];
  inputShape: number[];
  batchSize: number;
  seed: number;
}

/** A shape or structure error at a layer. */
export interface PlanError {
  path: string;
  message: string;
}

/**
 * Infers every layer's input and output shape, expands `repeat`, makes each init concrete for its fans and numbers
 * the layers in execution order (a residual block after its branch and shortcut). Shape mismatches are errors at the
 * offending layer; nothing is allocated here.
 */
export function buildPlan(network: NetworkSpec): { plan: Plan | null; errors: PlanError[] } {
  const errors: PlanError[] = [];
  const ordered: PlanNode[] = [];
  const counter = { next: 0, exceeded: false };
  const nodes = planLayers(network.layers, network.input.shape, errors, ordered, counter);
  if (counter.exceeded) {
    errors.push({ path: '/layers', message: `the network expands to more than ${MAX_EXPANDED_LAYERS} layers; reduce "times" in its repeats` });
  }
  if (!nodes || errors.length > 0) return { plan: null, errors };
  return { plan: { nodes: nodes.nodes, ordered, inputShape: network.input.shape, batchSize: network.batchSize, seed: network.seed }, errors };
}

function planLayers(layers: LayerSpec[], inShape: number[], errors: PlanError[], ordered: PlanNode[], counter: { next: number; exceeded: boolean }): { nodes: PlanNode[]; outShape: number[] } | null {
  const nodes: PlanNode[] = [];
  let shape = inShape;
  for (const layer of layers) {
    if (counter.exceeded) return null;
    if (layer.type === 'repeat') {
      for (let t = 0; t < layer.times; t++) {
        const inner = planLayers(layer.layers, shape, errors, ordered, counter);
        if (!inner) return null;
        nodes.push(...inner.nodes);
        shape = inner.outShape;
      }
      continue;
    }
    const node = planLayer(layer, shape, errors, ordered, counter);
    if (!node) return null;
    nodes.push(node);
    shape = node.outShape;
  }
  return { nodes, outShape: shape };
}

function take(counter: { next: number; exceeded: boolean }): number {
  if (counter.next >= MAX_EXPANDED_LAYERS) counter.exceeded = true;
  return counter.next++;
}

function describeShape(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

function planLayer(layer: Exclude<LayerSpec, { type: 'repeat' }>, inShape: number[], errors: PlanError[], ordered: PlanNode[], counter: { next: number; exceeded: boolean }): PlanNode | null {
  const fail = (message: string): null => { errors.push({ path: layer.path, message }); return null; };
  const label = layer.name ?? `${layer.type}`;
  const push = <T extends PlanNode>(node: T): T => { ordered.push(node); return node; };
  switch (layer.type) {
    case 'dense': {
      if (inShape.length !== 1) return fail(`a dense layer needs a flat input, got shape ${describeShape(inShape)} at ${layer.path}; add { "type": "flatten" } (or global_avg_pool) before it`);
      const weightShape = [layer.units, inShape[0]];
      return push(weightNode('dense', take(counter), layer.path, label, inShape, [layer.units], weightShape, layer.init, layer.bias, layer.activation, layer.activation.path, undefined, false));
    }
    case 'conv2d': {
      if (inShape.length !== 3) return fail(`a conv2d layer needs an input of shape [channels, height, width], got ${describeShape(inShape)} at ${layer.path}`);
      const [channels, height, width] = inShape;
      const [kh, kw] = layer.kernelSize;
      const [sh, sw] = layer.stride;
      let padTop: number, padLeft: number, outHeight: number, outWidth: number;
      if (layer.padding === 'same') {
        // TensorFlow's rule (equal to PyTorch's padding='same' for stride 1): out = ⌈in/stride⌉, extra pad at the end.
        outHeight = Math.ceil(height / sh);
        outWidth = Math.ceil(width / sw);
        padTop = Math.floor(Math.max((outHeight - 1) * sh + kh - height, 0) / 2);
        padLeft = Math.floor(Math.max((outWidth - 1) * sw + kw - width, 0) / 2);
      } else {
        const [ph, pw] = layer.padding === 'valid' ? [0, 0] : layer.padding;
        padTop = ph;
        padLeft = pw;
        outHeight = Math.floor((height + 2 * ph - kh) / sh) + 1;
        outWidth = Math.floor((width + 2 * pw - kw) / sw) + 1;
      }
      if (outHeight < 1 || outWidth < 1) return fail(`the ${kh}×${kw} kernel does not fit the ${height}×${width} input at ${layer.path}; use padding "same" or a smaller kernel`);
      const geometry: ConvGeometry = { channels, height, width, kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw, padTop, padLeft, outHeight, outWidth };
      return push(weightNode('conv2d', take(counter), layer.path, label, inShape, [layer.filters, outHeight, outWidth], [layer.filters, channels, kh, kw], layer.init, layer.bias, layer.activation, layer.activation.path, geometry, false));
    }
    case 'activation':
      return push({ op: 'activation', index: take(counter), path: layer.path, name: label, inShape, outShape: inShape, activation: layer.activation });
    case 'batchnorm':
    case 'layernorm':
      return push({ op: layer.type, index: take(counter), path: layer.path, name: label, inShape, outShape: inShape, eps: layer.eps });
    case 'dropout':
      return push({ op: 'dropout', index: take(counter), path: layer.path, name: label, inShape, outShape: inShape, rate: layer.rate });
    case 'flatten':
      return push({ op: 'flatten', index: take(counter), path: layer.path, name: label, inShape, outShape: [inShape.reduce((a, b) => a * b, 1)] });
    case 'global_avg_pool':
      if (inShape.length !== 3) return fail(`global_avg_pool needs an input of shape [channels, height, width], got ${describeShape(inShape)} at ${layer.path}`);
      return push({ op: 'global_avg_pool', index: take(counter), path: layer.path, name: label, inShape, outShape: [inShape[0]] });
    case 'maxpool2d':
    case 'avgpool2d': {
      if (inShape.length !== 3) return fail(`${layer.type} needs an input of shape [channels, height, width], got ${describeShape(inShape)} at ${layer.path}`);
      const outHeight = Math.floor((inShape[1] - layer.size[0]) / layer.stride[0]) + 1;
      const outWidth = Math.floor((inShape[2] - layer.size[1]) / layer.stride[1]) + 1;
      if (outHeight < 1 || outWidth < 1) return fail(`the ${layer.size[0]}×${layer.size[1]} pooling window does not fit the ${inShape[1]}×${inShape[2]} input at ${layer.path}`);
      return push({ op: layer.type, index: take(counter), path: layer.path, name: label, inShape, outShape: [inShape[0], outHeight, outWidth], size: layer.size, stride: layer.stride });
    }
    case 'residual': {
      const branchOrdered: PlanNode[] = [];
      const branch = planLayers(layer.layers, inShape, errors, branchOrdered, counter);
      if (!branch) return null;
      ordered.push(...branchOrdered);
      const out = branch.outShape;
      let shortcut: WeightNode | null = null;
      if (!layer.shortcut) {
        if (describeShape(out) !== describeShape(inShape)) {
          return fail(`the residual branch at ${layer.path} maps ${describeShape(inShape)} to ${describeShape(out)}, but an identity shortcut needs equal shapes; make the branch keep the shape or use "shortcut": { "type": "projection" }`);
        }
      } else {
        const sc = layer.shortcut;
        const path = sc.path;
        const linear: Activation = { name: 'linear', negativeSlope: 0.01 };
        if (inShape.length === 1 && out.length === 1) {
          shortcut = weightNode('dense', take(counter), path, `${label} shortcut`, inShape, out, [out[0], inShape[0]], sc.init, sc.bias, linear, path, undefined, true);
        } else if (inShape.length === 3 && out.length === 3 && inShape[1] % out[1] === 0 && inShape[2] % out[2] === 0) {
          const sh = inShape[1] / out[1];
          const sw = inShape[2] / out[2];
          const geometry: ConvGeometry = { channels: inShape[0], height: inShape[1], width: inShape[2], kernelHeight: 1, kernelWidth: 1, strideHeight: sh, strideWidth: sw, padTop: 0, padLeft: 0, outHeight: out[1], outWidth: out[2] };
          shortcut = weightNode('conv2d', take(counter), path, `${label} shortcut`, inShape, out, [out[0], inShape[0], 1, 1], sc.init, sc.bias, linear, path, geometry, true);
        } else {
          return fail(`a projection shortcut cannot map ${describeShape(inShape)} to the branch output ${describeShape(out)} at ${layer.path}`);
        }
        ordered.push(shortcut);
      }
      return push({ op: 'residual', index: take(counter), path: layer.path, name: label, inShape, outShape: out, branch: branch.nodes, shortcut, activation: layer.activation });
    }
  }
}

function weightNode(op: 'dense' | 'conv2d', index: number, path: string, name: string, inShape: number[], outShape: number[], weightShape: number[], initSpec: InitSpec, biasSpec: InitSpec | null, activation: Activation, activationPath: string, geometry: ConvGeometry | undefined, isShortcut: boolean): WeightNode {
  const { fanIn, fanOut } = computeFans(weightShape);
  return {
    op, index, path, name, inShape, outShape, weightShape, fanIn, fanOut, initSpec,
    init: resolveInit(initSpec, weightShape, 'weight'),
    bias: biasSpec ? resolveInit(biasSpec, weightShape, 'bias') : null,
    activation: { name: activation.name, negativeSlope: activation.negativeSlope }, activationPath, geometry, isShortcut,
  };
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The pointer of the `init` a weight node's fix should replace (the layer's own `init`, even when it was inherited). */
export function initPointer(node: WeightNode): string {
  return node.initSpec.source === 'layer' ? node.initSpec.path : childPointer(node.path, 'init');
}
