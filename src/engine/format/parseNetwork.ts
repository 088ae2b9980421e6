import { type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { ACTIVATION_NAMES, type ActivationName } from '../math/activation';
import type { InitSpec } from '../init/initSpec';
import { readBias, readInit } from './parseInit';
import type { ActivationRef, InputSpec, LayerSpec, NetworkSpec, ProjectionSpec } from './networkSpec';
import { LAYER_TYPES } from './networkSpec';
import { Reader } from './reader';
import { RUN_BOUNDS } from './bounds';
import { childPointer, type Problem } from './problem';

/** The result of parsing: a network when the document is usable, and every problem found either way. */
export interface ParseResult {
  network: NetworkSpec | null;
  problems: Problem[];
}

/** Largest size accepted for any single dimension; bigger is refused before anything is allocated. */
export const MAX_DIMENSION = 1 << 24;
export const MAX_REPEAT = 100_000;

interface Defaults {
  init?: InitSpec;
  bias?: InitSpec | null;
  activation?: ActivationRef;
}

const TOP_KEYS = ['$schema', 'name', 'description', 'input', 'batch_size', 'seed', 'defaults', 'layers'];
const COMMON_KEYS = ['type', 'name', 'description'];
const LAYER_KEYS: Readonly<Record<LayerSpec['type'], readonly string[]>> = {
  dense: [...COMMON_KEYS, 'units', 'activation', 'negative_slope', 'init', 'bias'],
  conv2d: [...COMMON_KEYS, 'filters', 'kernel_size', 'stride', 'padding', 'activation', 'negative_slope', 'init', 'bias'],
  residual: [...COMMON_KEYS, 'layers', 'shortcut', 'activation', 'negative_slope'],
  repeat: [...COMMON_KEYS, 'times', 'layers'],
  activation: [...COMMON_KEYS, 'activation', 'negative_slope'],
  batchnorm: [...COMMON_KEYS, 'eps'],
  layernorm: [...COMMON_KEYS, 'eps'],
  flatten: COMMON_KEYS,
  maxpool2d: [...COMMON_KEYS, 'size', 'stride'],
  avgpool2d: [...COMMON_KEYS, 'size', 'stride'],
  global_avg_pool: COMMON_KEYS,
  dropout: [...COMMON_KEYS, 'rate'],
};

/**
 * Parses a network description (JSON with comments allowed) into a `NetworkSpec`, applying defaults.
 * Never throws: syntax and schema problems come back in `problems`, each with its JSON pointer, 1-based line and
 * column, what was expected and the valid options. `network` is null when any error-level problem was found.
 */
export function parseNetwork(text: string): ParseResult {
  const reader = new Reader(text);
  try {
    const network = readDocument(text, reader);
    const hasError = reader.problems.some((p) => p.severity === 'error');
    return { network: hasError ? null : network, problems: reader.problems };
  } catch (err) {
    reader.reportAt(0, 0, `internal error while parsing: ${err instanceof Error ? err.message : String(err)}`);
    return { network: null, problems: reader.problems };
  }
}

/**
 * Whether a JSON text looks like a network description: an object with a `layers` array and an `input` object.
 * Cheap and tolerant of errors elsewhere, for deciding which files the extension treats as networks.
 */
export function isNetworkDescription(text: string): boolean {
  const root = parseTree(text, [], { allowTrailingComma: true });
  if (!root || root.type !== 'object') return false;
  const keys = new Map((root.children ?? []).map((p) => [p.children?.[0]?.value as string, p.children?.[1]?.type]));
  return keys.get('layers') === 'array' && keys.get('input') === 'object';
}

function readDocument(text: string, r: Reader): NetworkSpec | null {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  for (const e of errors) r.reportAt(e.offset, e.length, `JSON syntax error: ${syntaxMessage(e)}`);
  if (errors.length > 0) return null;
  if (!root) {
    r.reportAt(0, 0, 'the document is empty; expected a network description object with "input" and "layers"');
    return null;
  }
  if (!r.object(root, '', 'the document')) return null;
  r.checkKeys(root, '', TOP_KEYS, 'the network description');

  const name = r.string(r.prop(root, 'name'), '/name', 'name') ?? 'network';
  const input = readInput(r, r.prop(root, 'input'), root);
  const batchSize = r.number(r.prop(root, 'batch_size'), '/batch_size', 'batch_size', { integer: true, ...RUN_BOUNDS.batchSize }) ?? 64;
  const seed = r.number(r.prop(root, 'seed'), '/seed', 'seed', { integer: true, ...RUN_BOUNDS.seed }) ?? 0;
  const defaults = readDefaults(r, r.prop(root, 'defaults'));
  const layersNode = r.prop(root, 'layers');
  if (!layersNode) r.report(root, '', 'missing required property "layers" (an array of layers) in the network description');
  const layers = readLayers(r, layersNode, '/layers', defaults);
  if (layersNode && layers && layers.length === 0) r.report(layersNode, '/layers', '"layers" at /layers is empty; a network needs at least one layer');
  if (!input || !layers) return null;
  return { name, input, batchSize, seed, layers };
}

function syntaxMessage(e: ParseError): string {
  const code = printParseErrorCode(e.error);
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character', InvalidNumberFormat: 'invalid number', PropertyNameExpected: 'expected a property name in double quotes',
    ValueExpected: 'expected a value', ColonExpected: "expected ':'", CommaExpected: "expected ','", CloseBraceExpected: "expected '}'",
    CloseBracketExpected: "expected ']'", EndOfFileExpected: 'expected the end of the document', InvalidCommentToken: 'invalid comment',
    UnexpectedEndOfComment: 'unterminated comment', UnexpectedEndOfString: 'unterminated string', UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'invalid unicode escape', InvalidEscapeCharacter: 'invalid escape character', InvalidCharacter: 'invalid character',
  };
  return words[code] ?? code;
}

function readInput(r: Reader, node: Node | undefined, root: Node): InputSpec | undefined {
  if (!node) {
    r.report(root, '', 'missing required property "input" (for example { "shape": [784] } or { "shape": [3, 32, 32] })');
    return undefined;
  }
  const obj = r.object(node, '/input', 'input');
  if (!obj) return undefined;
  r.checkKeys(obj, '/input', ['shape', 'distribution', 'mean', 'std'], 'input');
  const shapeNode = r.prop(obj, 'shape');
  if (!shapeNode) {
    r.report(obj, '/input', 'missing required property "shape" in input: [features] or [channels, height, width]');
    return undefined;
  }
  const shape = readShape(r, shapeNode, '/input/shape');
  const distribution = r.oneOf(r.prop(obj, 'distribution'), '/input/distribution', 'input distribution', ['normal', 'uniform'] as const) ?? 'normal';
  const mean = r.number(r.prop(obj, 'mean'), '/input/mean', 'input mean') ?? 0;
  const std = r.number(r.prop(obj, 'std'), '/input/std', 'input std', { min: 0 }) ?? 1;
  return shape ? { shape, distribution, mean, std } : undefined;
}

function readShape(r: Reader, node: Node, path: string): number[] | undefined {
  const items = r.array(node, path, 'shape');
  if (!items) return undefined;
  if (items.length !== 1 && items.length !== 3) {
    r.report(node, path, `shape at ${path} must be [features] or [channels, height, width], got ${items.length} dimensions`);
    return undefined;
  }
  const dims = items.map((n, i) => r.number(n, childPointer(path, i), 'dimension', { integer: true, min: 1, max: MAX_DIMENSION }));
  return dims.every((d) => d !== undefined) ? (dims as number[]) : undefined;
}

function readDefaults(r: Reader, node: Node | undefined): Defaults {
  const obj = r.object(node, '/defaults', 'defaults');
  if (!obj) return {};
  r.checkKeys(obj, '/defaults', ['init', 'bias', 'activation', 'negative_slope'], 'defaults');
  const initNode = r.prop(obj, 'init');
  const biasNode = r.prop(obj, 'bias');
  const activation = readActivation(r, obj, '/defaults');
  return {
    init: initNode ? readInit(r, initNode, '/defaults/init', 'defaults', 'weight') : undefined,
    bias: biasNode ? readBias(r, biasNode, '/defaults/bias', 'defaults') : undefined,
    activation,
  };
}

/** Reads `activation` and `negative_slope` of an object; undefined when `activation` is absent or wrong. */
function readActivation(r: Reader, obj: Node, path: string): ActivationRef | undefined {
  const actPath = childPointer(path, 'activation');
  const name = r.oneOf<ActivationName>(r.prop(obj, 'activation'), actPath, 'activation', ACTIVATION_NAMES, { identity: 'linear', none: 'linear', swish: 'silu' });
  const negativeSlope = r.number(r.prop(obj, 'negative_slope'), childPointer(path, 'negative_slope'), 'negative_slope') ?? 0.01;
  return name ? { name, negativeSlope, path: actPath } : undefined;
}

function readLayers(r: Reader, node: Node | undefined, path: string, defaults: Defaults): LayerSpec[] | undefined {
  const items = r.array(node, path, 'layers');
  if (!items) return undefined;
  const layers: LayerSpec[] = [];
  let ok = true;
  items.forEach((item, i) => {
    const layer = readLayer(r, item, childPointer(path, i), defaults);
    if (layer) layers.push(layer);
    else ok = false;
  });
  return ok ? layers : undefined;
}

function readLayer(r: Reader, node: Node, path: string, defaults: Defaults): LayerSpec | undefined {
  const obj = r.object(node, path, 'a layer');
  if (!obj) return undefined;
  const typeNode = r.prop(obj, 'type');
  if (!typeNode) {
    r.report(obj, path, `missing required property "type" in the layer at ${path}; expected one of: ${LAYER_TYPES.join(', ')}`);
    return undefined;
  }
  const type = r.oneOf(typeNode, childPointer(path, 'type'), 'layer type', LAYER_TYPES, { linear: 'dense', conv: 'conv2d', fc: 'dense' });
  if (!type) return undefined;
  r.checkKeys(obj, path, LAYER_KEYS[type], `${type} layer`);
  const name = r.string(r.prop(obj, 'name'), childPointer(path, 'name'), 'name');
  const at = (key: string): string => childPointer(path, key);
  const required = (key: string, what: string): Node | undefined => {
    const n = r.prop(obj, key);
    if (!n) r.report(obj, path, `missing required property "${key}" (${what}) in the ${type} layer at ${path}`);
    return n;
  };
  const positive = (key: string, what: string): number | undefined =>
    r.number(required(key, what), at(key), key, { integer: true, min: 1, max: MAX_DIMENSION });

  switch (type) {
    case 'dense':
    case 'conv2d': {
      const slopeNode = r.prop(obj, 'negative_slope');
      const inherited = defaults.activation ?? { name: 'linear', negativeSlope: 0.01, path };
      const activation: ActivationRef = readActivation(r, obj, path)
        ?? { ...inherited, negativeSlope: slopeNode?.type === 'number' ? (slopeNode.value as number) : inherited.negativeSlope };
      const initNode = r.prop(obj, 'init');
      const init = initNode ? readInit(r, initNode, at('init'), 'layer', 'weight')
        : defaults.init ?? { scheme: 'pytorch_default', options: {}, multiplier: 1, path, source: 'assumed' };
      const biasNode = r.prop(obj, 'bias');
      let bias: InitSpec | null | undefined;
      if (biasNode) bias = readBias(r, biasNode, at('bias'), 'layer');
      else if (defaults.bias !== undefined) bias = defaults.bias;
      else bias = { scheme: init?.scheme === 'pytorch_default' ? 'pytorch_default' : 'zeros', options: {}, multiplier: 1, path, source: 'assumed' };
      if (!init || bias === undefined) return undefined;
      if (type === 'dense') {
        const units = positive('units', 'the number of output features');
        return units === undefined ? undefined : { type, path, name, units, activation, init, bias };
      }
      const filters = positive('filters', 'the number of output channels');
      const kernelSize = readPair(r, required('kernel_size', 'a number or [height, width]'), at('kernel_size'), 'kernel_size');
      const stride = r.prop(obj, 'stride') ? readPair(r, r.prop(obj, 'stride'), at('stride'), 'stride') : [1, 1] as [number, number];
      const padding = readPadding(r, r.prop(obj, 'padding'), at('padding'));
      if (filters === undefined || !kernelSize || !stride || !padding) return undefined;
      return { type, path, name, filters, kernelSize, stride, padding, activation, init, bias };
    }
    case 'activation': {
      if (!r.prop(obj, 'activation')) r.report(obj, path, `missing required property "activation" in the activation layer at ${path}; expected one of: ${ACTIVATION_NAMES.join(', ')}`);
      const activation = readActivation(r, obj, path);
      return activation ? { type, path, name, activation } : undefined;
    }
    case 'batchnorm':
    case 'layernorm': {
      const eps = r.number(r.prop(obj, 'eps'), at('eps'), 'eps', { min: 0, exclusiveMin: true }) ?? 1e-5;
      return { type, path, name, eps };
    }
    case 'flatten':
    case 'global_avg_pool':
      return { type, path, name };
    case 'maxpool2d':
    case 'avgpool2d': {
      const size = readPair(r, required('size', 'a number or [height, width]'), at('size'), 'size');
      const stride = r.prop(obj, 'stride') ? readPair(r, r.prop(obj, 'stride'), at('stride'), 'stride') : size;
      return size && stride ? { type, path, name, size, stride } : undefined;
    }
    case 'dropout': {
      const rate = r.number(required('rate', 'the probability of zeroing a unit, in [0, 1)'), at('rate'), 'rate', { min: 0 });
      if (rate !== undefined && rate >= 1) {
        r.report(r.prop(obj, 'rate'), at('rate'), `rate at ${at('rate')} must be < 1, got ${rate}`);
        return undefined;
      }
      return rate === undefined ? undefined : { type, path, name, rate };
    }
    case 'residual': {
      const layers = readLayers(r, required('layers', 'the branch F as an array of layers'), at('layers'), defaults);
      const activation = readActivation(r, obj, path) ?? { name: 'linear', negativeSlope: 0.01, path };
      const shortcut = readShortcut(r, r.prop(obj, 'shortcut'), at('shortcut'), defaults);
      if (layers && layers.length === 0) r.report(r.prop(obj, 'layers'), at('layers'), `the residual branch at ${at('layers')} is empty`);
      return layers && layers.length > 0 && shortcut !== undefined ? { type, path, name, layers, shortcut, activation } : undefined;
    }
    case 'repeat': {
      const times = r.number(required('times', 'how many copies'), at('times'), 'times', { integer: true, min: 1, max: MAX_REPEAT });
      const layers = readLayers(r, required('layers', 'the layers to repeat'), at('layers'), defaults);
      if (layers && layers.length === 0) r.report(r.prop(obj, 'layers'), at('layers'), `the repeat at ${at('layers')} has no layers`);
      return times !== undefined && layers && layers.length > 0 ? { type, path, name, times, layers } : undefined;
    }
  }
}

function readPair(r: Reader, node: Node | undefined, path: string, what: string): [number, number] | undefined {
  if (!node) return undefined;
  const bounds = { integer: true, min: 1, max: 4096 };
  if (node.type === 'number') {
    const v = r.number(node, path, what, bounds);
    return v === undefined ? undefined : [v, v];
  }
  const items = r.array(node, path, what);
  if (!items) return undefined;
  if (items.length !== 2) {
    r.report(node, path, `${what} at ${path} must be a number or [height, width], got ${items.length} values`);
    return undefined;
  }
  const h = r.number(items[0], childPointer(path, 0), what, bounds);
  const w = r.number(items[1], childPointer(path, 1), what, bounds);
  return h !== undefined && w !== undefined ? [h, w] : undefined;
}

function readPadding(r: Reader, node: Node | undefined, path: string): 'same' | 'valid' | [number, number] | undefined {
  if (!node) return 'valid';
  if (node.type === 'string') return r.oneOf(node, path, 'padding', ['same', 'valid'] as const);
  if (node.type === 'number') {
    const v = r.number(node, path, 'padding', { integer: true, min: 0, max: 4096 });
    return v === undefined ? undefined : [v, v];
  }
  if (node.type === 'array') {
    const items = node.children ?? [];
    const vals = items.map((n, i) => r.number(n, childPointer(path, i), 'padding', { integer: true, min: 0, max: 4096 }));
    if (items.length !== 2) r.report(node, path, `padding at ${path} must be a number, [height, width], "same" or "valid"`);
    return items.length === 2 && vals[0] !== undefined && vals[1] !== undefined ? [vals[0], vals[1]] : undefined;
  }
  r.report(node, path, `padding at ${path} must be a number, [height, width], "same" or "valid"`);
  return undefined;
}

function readShortcut(r: Reader, node: Node | undefined, path: string, defaults: Defaults): ProjectionSpec | null | undefined {
  if (!node) return null;
  if (node.type === 'string') {
    const s = r.oneOf(node, path, 'shortcut', ['identity', 'projection'] as const);
    if (s === undefined) return undefined;
    if (s === 'identity') return null;
    return { path, init: defaults.init ?? { scheme: 'pytorch_default', options: {}, multiplier: 1, path, source: 'assumed' }, bias: null };
  }
  const obj = r.object(node, path, 'shortcut');
  if (!obj) return undefined;
  r.checkKeys(obj, path, ['type', 'init', 'bias'], 'shortcut');
  const type = r.oneOf(r.prop(obj, 'type'), childPointer(path, 'type'), 'shortcut type', ['identity', 'projection'] as const);
  if (!r.prop(obj, 'type')) r.report(obj, path, `missing required property "type" in the shortcut at ${path}; expected one of: identity, projection`);
  if (type === 'identity') return null;
  if (type === undefined) return undefined;
  const initNode = r.prop(obj, 'init');
  const init = initNode ? readInit(r, initNode, childPointer(path, 'init'), 'layer', 'weight')
    : defaults.init ?? { scheme: 'pytorch_default', options: {}, multiplier: 1, path, source: 'assumed' };
  const biasNode = r.prop(obj, 'bias');
  const bias = biasNode ? readBias(r, biasNode, childPointer(path, 'bias'), 'layer') : null;
  return init && bias !== undefined ? { path, init, bias } : undefined;
}
