import { type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { LayerParseContext } from '../graph/layerOp';
import { LAYER_TYPE_ALIASES, LAYER_TYPES, specOp } from '../graph/registry';
import { type Defaults, readActivation } from './layerFields';
import { checkFloat32, readBias, readInit } from './parseInit';
import type { InputSpec, LayerSpec, NetworkSpec } from './networkSpec';
import { abbreviate, Reader } from './reader';
import { RUN_BOUNDS } from './bounds';
import { childPointer, type Problem } from './problem';
import { JsonWalker, MAX_JSON_DEPTH } from './pointer';
import { topLevelKeys } from './topLevelKeys';
import { MAX_EXPANDED_LAYERS } from '../graph/plan';

/** The result of parsing: a network when the document is usable, and every problem found either way. */
export interface ParseResult {
  network: NetworkSpec | null;
  problems: Problem[];
}

/** Largest size accepted for any single dimension; bigger is refused before anything is allocated. */
export const MAX_DIMENSION = 1 << 24;

/**
 * Deepest nesting of layer lists (`repeat` and `residual` bodies inside each other; the top-level `layers` is level 1).
 * The reader, the planner and the walkers recurse once per level, so a bound keeps every one of them far from the
 * stack limit; real networks nest a handful of levels.
 */
export const MAX_LAYER_NESTING = 64;

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
 * Cheap and tolerant of errors elsewhere, for deciding which files the extension treats as networks: one iterative
 * scan, O(text length), building no tree (so a huge or deeply nested file costs little and cannot overflow the stack).
 */
export function isNetworkDescription(text: string): boolean {
  const kinds = topLevelKeys(text);
  return kinds.get('layers') === 'array' && kinds.get('input') === 'object';
}

function readDocument(text: string, r: Reader): NetworkSpec | null {
  if (!checkSize(text, r)) return null;
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
  const layers = readLayers(r, layersNode, '/layers', defaults, 1);
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
    r.report(root, '', 'missing required property "input" (for example { "shape": [784] }, { "shape": [3, 32, 32] } or { "tokens": 128, "vocab": 50257 })');
    return undefined;
  }
  const obj = r.object(node, '/input', 'input');
  if (!obj) return undefined;
  r.checkKeys(obj, '/input', ['shape', 'distribution', 'mean', 'std', 'tokens', 'vocab'], 'input');
  if (r.prop(obj, 'tokens') || r.prop(obj, 'vocab')) return readTokenInput(r, obj);
  const shapeNode = r.prop(obj, 'shape');
  if (!shapeNode) {
    r.report(obj, '/input', 'missing required property "shape" in input: [features], [tokens, features] or [channels, height, width] (or "tokens" and "vocab" for token ids)');
    return undefined;
  }
  const shape = readShape(r, shapeNode, '/input/shape');
  const distribution = r.oneOf(r.prop(obj, 'distribution'), '/input/distribution', 'input distribution', ['normal', 'uniform'] as const) ?? 'normal';
  // The input is a float32 tensor: a mean or std past the largest float32 would overflow it (and the mean field).
  const meanNode = r.prop(obj, 'mean');
  const stdNode = r.prop(obj, 'std');
  const mean = r.number(meanNode, '/input/mean', 'input mean');
  const std = r.number(stdNode, '/input/std', 'input std', { min: 0 });
  const meanFits = mean === undefined || checkFloat32(r, meanNode, '/input/mean', 'input mean', mean);
  const stdFits = std === undefined || checkFloat32(r, stdNode, '/input/std', 'input std', std);
  if (!meanFits || !stdFits) return undefined;
  // A uniform input is U(mean ± √3·std), filled from its low bound and width 2√3·std: both must fit too.
  if (distribution === 'uniform' && std !== undefined) {
    const reach = Math.max(Math.abs(mean ?? 0) + Math.sqrt(3) * std, 2 * Math.sqrt(3) * std);
    if (!checkFloat32(r, stdNode, '/input/std', 'the uniform input\'s reach max(|mean| + √3·std, 2√3·std)', reach, ` (mean=${mean ?? 0}, std=${std})`)) return undefined;
  }
  return shape ? { shape, distribution, mean: mean ?? 0, std: std ?? 1, vocab: null } : undefined;
}

/** `{ "tokens": T, "vocab": V }`: a sequence of T token ids, uniform over the vocabulary (what an embedding reads). */
function readTokenInput(r: Reader, obj: Node): InputSpec | undefined {
  for (const key of ['shape', 'distribution', 'mean', 'std']) {
    const extra = r.prop(obj, key);
    if (extra) r.report(extra, `/input/${key}`, `"${key}" does not apply to an input of token ids ("tokens" and "vocab"); remove it`);
  }
  const tokensNode = r.prop(obj, 'tokens');
  const vocabNode = r.prop(obj, 'vocab');
  if (!tokensNode) r.report(obj, '/input', 'missing required property "tokens" in input: the sequence length');
  if (!vocabNode) r.report(obj, '/input', 'missing required property "vocab" in input: the vocabulary size the token ids are drawn from');
  const tokens = tokensNode ? r.number(tokensNode, '/input/tokens', 'tokens', { integer: true, min: 1, max: MAX_DIMENSION }) : undefined;
  const vocab = vocabNode ? r.number(vocabNode, '/input/vocab', 'vocab', { integer: true, min: 1, max: MAX_DIMENSION }) : undefined;
  if (tokens === undefined || vocab === undefined) return undefined;
  return { shape: [tokens], distribution: 'uniform', mean: 0, std: 0, vocab };
}

function readShape(r: Reader, node: Node, path: string): number[] | undefined {
  const items = r.array(node, path, 'shape');
  if (!items) return undefined;
  if (items.length < 1 || items.length > 3) {
    r.report(node, path, `shape at ${path} must be [features], [tokens, features] or [channels, height, width], got ${items.length} dimensions`);
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

/**
 * Refuses, before any tree is built, a text nested deeper than `MAX_JSON_DEPTH` (the tree parser would overflow the
 * stack), with layer lists nested deeper than `MAX_LAYER_NESTING`, or listing more than `MAX_EXPANDED_LAYERS` layer
 * objects (the planner would refuse it anyway, after seconds and gigabytes spent on the tree and the specs). One
 * iterative scan, O(text length); reports at the first bracket or layer past a limit and returns false, else true.
 */
function checkSize(text: string, r: Reader): boolean {
  const walker = new JsonWalker(text);
  // Per open container: its role, 1 for the root object and layer objects (whose `layers` hold layers), 2 for such a
  // `layers` array, 0 for anything else; and for roles 1 and 2 the nesting level of the layer list (0 for the root).
  const roles: number[] = [];
  const levels: number[] = [];
  let layerCount = 0;
  for (let step = walker.next(); step !== 'end'; step = walker.next()) {
    if (step === 'close') {
      roles.pop();
      levels.pop();
      continue;
    }
    if (step === 'scalar') continue;
    const depth = walker.depth;
    if (depth >= MAX_JSON_DEPTH) {
      r.report(undefined, walker.pointer(), `the document nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels at ${abbreviate(walker.pointer())}; `
        + 'a network description needs far fewer, so flatten it', 'error', { offset: walker.offset, length: 1 });
      return false;
    }
    const parent = depth > 0 ? roles[depth - 1] : 1;
    const parentLevel = depth > 0 ? levels[depth - 1] : 0;
    if (step === 'array') {
      const isLayers = parent === 1 && depth > 0 && !walker.isArrayAt(depth - 1) && walker.segment(depth - 1) === 'layers';
      roles.push(isLayers ? 2 : 0);
      levels.push(isLayers ? parentLevel + 1 : 0);
      continue;
    }
    if (parent === 2) {
      const at = { offset: walker.offset, length: 1 };
      if (parentLevel > MAX_LAYER_NESTING) {
        r.report(undefined, walker.pointer(), tooDeepLayersMessage(walker.pointer()), 'error', at);
        return false;
      }
      if (++layerCount > MAX_EXPANDED_LAYERS) {
        r.report(undefined, walker.pointer(), `the network lists more than ${MAX_EXPANDED_LAYERS} layers (layer objects, counting repeats and residual blocks): `
          + `the one at ${abbreviate(walker.pointer())} is number ${layerCount}; a network may have at most ${MAX_EXPANDED_LAYERS} layers, `
          + 'so split it into smaller networks', 'error', at);
        return false;
      }
    }
    roles.push(depth === 0 || parent === 2 ? 1 : 0);
    levels.push(parent === 2 ? parentLevel : 0);
  }
  return true;
}

function tooDeepLayersMessage(pointer: string): string {
  return `layers nested deeper than ${MAX_LAYER_NESTING} levels at ${abbreviate(pointer)}; flatten the structure `
    + '(for example one repeat with a larger "times" instead of repeats inside repeats)';
}

/**
 * Reads a list of layers at nesting `level` (1 for the top-level `layers`, one more inside each repeat or residual);
 * a list nested deeper than `MAX_LAYER_NESTING` is refused at its first layer. `checkSize` already refuses such
 * `layers` lists before the tree is built; this check keeps the bound for any list an op reads (whatever its key),
 * since the reader recurses once per level here and the planner and the walkers once per level after it.
 */
function readLayers(r: Reader, node: Node | undefined, path: string, defaults: Defaults, level: number): LayerSpec[] | undefined {
  const items = r.array(node, path, 'layers');
  if (!items) return undefined;
  if (level > MAX_LAYER_NESTING) {
    const at = items.length > 0 ? childPointer(path, 0) : path;
    r.report(items[0] ?? node, at, tooDeepLayersMessage(at));
    return undefined;
  }
  const layers: LayerSpec[] = [];
  let ok = true;
  items.forEach((item, i) => {
    const layer = readLayer(r, item, childPointer(path, i), defaults, level);
    if (layer) layers.push(layer);
    else ok = false;
  });
  return ok ? layers : undefined;
}

function readLayer(r: Reader, node: Node, path: string, defaults: Defaults, level: number): LayerSpec | undefined {
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
    readLayers: (n, p) => readLayers(r, n, p, defaults, level + 1),
  };
  return op.parse(ctx);
}
