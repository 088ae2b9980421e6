import { type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { LayerParseContext } from '../graph/layerOp';
import { LAYER_TYPE_ALIASES, LAYER_TYPES, specOp } from '../graph/registry';
import { type Defaults, readActivation } from './layerFields';
import { readBias, readInit } from './parseInit';
import type { InputSpec, LayerSpec, NetworkSpec } from './networkSpec';
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

const TOP_KEYS = ['$schema', 'name', 'description', 'input', 'batch_size', 'seed', 'defaults', 'layers'];
const COMMON_KEYS = ['type', 'name', 'description'];

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
  const type = r.oneOf(typeNode, childPointer(path, 'type'), 'layer type', LAYER_TYPES, LAYER_TYPE_ALIASES);
  if (!type) return undefined;
  const op = specOp(type);
  r.checkKeys(obj, path, [...COMMON_KEYS, ...op.keys], `${type} layer`);
  const at = (key: string): string => childPointer(path, key);
  const ctx: LayerParseContext = {
    r, obj, path, type, defaults,
    name: r.string(r.prop(obj, 'name'), at('name'), 'name'),
    at,
    required(key, what) {
      const n = r.prop(obj, key);
      if (!n) r.report(obj, path, `missing required property "${key}" (${what}) in the ${type} layer at ${path}`);
      return n;
    },
    positive: (key, what) => r.number(ctx.required(key, what), at(key), key, { integer: true, min: 1, max: MAX_DIMENSION }),
    readLayers: (n, p) => readLayers(r, n, p, defaults),
  };
  return op.parse(ctx);
}
