import { type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { JsonStep } from '../../format/pointer';
import { parseNetwork } from '../../format/parseNetwork';
import { childPointer, LineIndex, type Problem } from '../../format/problem';
import { Reader } from '../../format/reader';
import { buildPlan } from '../../graph/buildPlan';
import type { Plan } from '../../graph/plan';
import type { ImportOptions, ReadResult } from '../importedNetwork';
import { NativeDocument } from '../nativeDocument';
import { foldPadding, type KerasContext } from './kerasLayers';
import { convertModel } from './kerasModel';
import { type KerasWriter, kerasWriter } from './kerasWriter';
import { nodeAtPointer, translateKerasFinding } from './translateKerasFinding';

/** The batch of an imported Keras run: 8 samples, enough that a unit dead for the whole batch is not chance (2⁻⁸). */
const KERAS_BATCH = 8;
/** Token ids per sequence when an Embedding input leaves its length open (None). */
const DEFAULT_TOKENS = 32;

/**
 * Whether a JSON object's top-level keys make it a Keras model: `class_name` (a string) with `config` (an object, or
 * the list of a Sequential up to Keras 2.2.2), as `model.to_json()` and a `.keras` zip's `config.json` write it.
 */
export function isKerasModel(topLevel: ReadonlyMap<string, JsonStep>): boolean {
  const config = topLevel.get('config');
  return topLevel.get('class_name') === 'scalar' && (config === 'object' || config === 'array') && !topLevel.has('model_type') && !topLevel.has('layers');
}

/** Whether a text is a whole Keras model written as one JSON string (`json.dump(model.to_json())`). */
export function isDoubleEncodedKeras(text: string): boolean {
  const start = text.trimStart();
  return start.startsWith('"{') && text.includes('\\"class_name\\"');
}

/** Whether a JSON object's top-level keys make it a TF.js layers-model `model.json` (or a graph model, refused). */
export function isTfjsModel(topLevel: ReadonlyMap<string, JsonStep>): boolean {
  return topLevel.get('modelTopology') === 'object' && !topLevel.has('layers');
}

/**
 * The offsets of a JSON string literal's characters: entry i is the offset in the file of the decoded string's code
 * unit i (an escape `\n` or `\u00e9` is one unit at its backslash), and the last entry the closing quote.
 */
function stringOffsets(text: string, node: Node): Int32Array {
  const out: number[] = [];
  const end = node.offset + node.length - 1;
  for (let i = node.offset + 1; i < end;) {
    out.push(i);
    if (text[i] === '\\') i += text[i + 1] === 'u' ? 6 : 2;
    else i += 1;
  }
  out.push(end);
  return Int32Array.from(out);
}

/** Options of a Keras import: the version the container states (a `.keras` zip's `metadata.json`), and where the JSON came from. */
export interface KerasImportOptions extends ImportOptions {
  containerVersion?: string | null;
  /** Where the text is, for messages: "config.json inside model.keras". */
  within?: string;
}

/**
 * Reads a Keras or TF.js model file into the engine's network: Keras 2 and 3 `model.to_json()` (Sequential in both
 * forms, Functional with list- or dict-form nodes), a `.keras` zip's `config.json`, a TF.js layers-model `model.json`
 * (`modelTopology` directly or under `model_config`), and a whole model written as one JSON string. Each layer
 * becomes the engine's layer with the initializer the writer draws (see `initializers.ts`, `kerasWriter.ts`); an
 * `Add` of a shortcut and a branch becomes a `residual` block. Refused with one located message: Keras 1 files,
 * TF.js graph models, subclassed models, Lambda and unknown layers. Never throws.
 */
export function importKeras(text: string, options: KerasImportOptions = {}): ReadResult {
  const outer = new Reader(text);
  const fail = (problems: Problem[]): ReadResult => ({ network: null, problems, source: null, map: null, translateFinding: null });
  try {
    const errors: ParseError[] = [];
    const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
    for (const e of errors) outer.reportAt(e.offset, e.length, `JSON syntax error: ${printParseErrorCode(e.error)}`);
    if (errors.length > 0 || !root) return fail(outer.problems);
    if (root.type === 'string') {
      // The whole model as one JSON string: read the string, and place its problems back inside the literal.
      const inner = String(root.value);
      const offsets = stringOffsets(text, root);
      const lines = new LineIndex(text);
      const result = importKeras(inner, { ...options, within: 'the JSON string that is this file\'s whole content' });
      const moved = result.problems.map((p) => {
        const start = offsets[Math.min(p.offset, offsets.length - 1)];
        const stop = offsets[Math.min(p.offset + p.length, offsets.length - 1)];
        return { ...p, offset: start, length: Math.max(0, stop - start), ...lines.position(start), message: `${p.message} (inside the JSON string)` };
      });
      if (!result.source) return { ...result, problems: moved };
      const translate = result.translateFinding!;
      return {
        ...result,
        problems: moved,
        source: { ...result.source, notes: [...result.source.notes, 'the model is a JSON string inside this file (double-encoded, json.dump of model.to_json()): findings are placed at the file\'s start and their fixes described, not applied'] },
        // Pointers inside the string do not exist in the file: findings at the root, fixes as words.
        translateFinding: (finding) => {
          const f = translate(finding);
          const fixes = [f.fix, ...f.alternatives].filter((x) => x !== null);
          const words = fixes.map((x) => `${x!.description} (set ${x!.path} inside the JSON string to ${JSON.stringify(x!.value)})`);
          return { ...f, path: '', related: f.related.map((r) => ({ ...r, path: '' })), fix: null, alternatives: [], message: words.length > 0 ? `${f.message}. Fix: ${words.join('; or ')}` : f.message };
        },
      };
    }
    const r = outer;
    if (!r.object(root, '', 'a Keras model')) return fail(r.problems);
    let model: Node = root;
    let modelPointer = '';
    let version: string | null = options.containerVersion ?? null;
    let tfjsNative = false;
    let format: 'keras' | 'tfjs' = 'keras';
    const topology = r.prop(root, 'modelTopology');
    if (topology) {
      format = 'tfjs';
      const kind = r.prop(root, 'format');
      if (kind?.value === 'graph-model' || r.prop(topology, 'node')) {
        r.report(kind ?? topology, kind ? '/format' : '/modelTopology', 'this TF.js model.json is a graph model (a TensorFlow GraphDef of ops, converted from a SavedModel): it has no layers and no initializers to analyze. Convert the Keras model as a layers model (tensorflowjs_converter --output_format tfjs_layers_model), or analyze the Keras file itself');
        return fail(r.problems);
      }
      const wrapped = r.prop(topology, 'model_config');
      model = wrapped ?? topology;
      modelPointer = wrapped ? '/modelTopology/model_config' : '/modelTopology';
      const kv = r.prop(topology, 'keras_version');
      const kvText = kv?.type === 'string' ? String(kv.value) : null;
      const generatedBy = r.prop(root, 'generatedBy');
      const gb = generatedBy?.type === 'string' ? String(generatedBy.value) : '';
      tfjsNative = (kvText ?? '').startsWith('tfjs') || gb.startsWith('TensorFlow.js');
      version = tfjsNative ? kvText : (/keras v?(\d+\.\d+(\.\d+)?)/i.exec(gb)?.[1] ?? kvText);
    } else {
      const kv = r.prop(root, 'keras_version');
      if (kv?.type === 'string') version ??= String(kv.value);
    }
    if (version && /^1\./.test(version)) {
      r.report(r.prop(root, 'keras_version') ?? root, '/keras_version', `Keras ${version} files (Keras 1) are not supported by Init Inspector: their layers and initializers use Keras 1's names. Load the model in Keras 2 or 3 and save it again`);
      return fail(r.problems);
    }
    const writer: KerasWriter = kerasWriter(version, text.includes('"registered_name"'), tfjsNative);
    const doc = new NativeDocument();
    const ctx: KerasContext = { r, doc, writer, notes: new Set(), omittedParameters: 0, initPointers: new WeakMap(), deferred: [] };
    if (!r.object(model, modelPointer, 'the model')) return fail(r.problems);
    const converted = convertModel(ctx, model, modelPointer);
    if (!converted) return fail(r.problems);
    const layers = foldPadding(ctx, converted.layers);
    if (!layers) return fail(r.problems);
    const input = nativeInput(ctx, converted.input, layers, options, modelPointer);
    if (!input) return fail(r.problems);
    // A Normalization's non-trainable mean and variance (one per position of its axes) and count, as model.summary().
    const batchShape = converted.input!.shape;
    for (const p of ctx.preprocessing ?? []) {
      if (p.axes === undefined) continue;
      const kept = (p.axes ?? []).map((a) => batchShape[a < 0 ? batchShape.length + a : a]);
      if (kept.every((d) => typeof d === 'number')) ctx.omittedParameters += 2 * kept.reduce<number>((a, d) => a * (d as number), 1) + 1;
    }
    const nameNode = r.prop(r.prop(model, 'config') ?? model, 'name');
    const className = String(r.prop(model, 'class_name')?.value);
    const modelName = nameNode?.type === 'string' ? String(nameNode.value) : className;
    const document = { name: `${modelName} (${className}, ${writer.label})`, input, batch_size: KERAS_BATCH, seed: 0, layers };
    let { text: nativeText, map } = doc.build(document);
    let parsed = parseNetwork(nativeText);
    if (ctx.deferred.length > 0 && parsed.network) {
      // Second pass: the inits that need a layer's input channels, from the engine's plan of the first.
      const first = buildPlan(parsed.network).plan;
      for (const d of ctx.deferred) {
        const at = pathOf(document, d.layer);
        const node = first?.ordered.find((n) => n.path === at);
        if (node) d.resolve(node);
      }
      ({ text: nativeText, map } = doc.build(document));
      parsed = parseNetwork(nativeText);
    }
    // The generated document is the importer's: a problem in it (a shape Keras allows and the engine does not, a
    // bug) is reported at the Keras layer it comes from.
    const lines = new LineIndex(text);
    const planned = parsed.network ? buildPlan(parsed.network) : null;
    const internal: Problem[] = [...parsed.problems, ...(planned?.errors ?? []).map((e) => ({ path: e.path, message: e.message, severity: 'error' as const, line: 1, column: 1, offset: 0, length: 0 }))].map((p) => {
      const at = map.toSource(p.path);
      const node = nodeAtPointer(root, at) ?? root;
      return { ...p, path: at, offset: node.offset, length: node.length, ...lines.position(node.offset), message: `${p.message.replace(/ at \/[^\s;,)]*/g, '')} (in the network Init Inspector built from the Keras layer at ${at || '/'})` };
    });
    if (internal.length > 0 || !parsed.network) return fail([...r.problems, ...internal]);
    const notes = [...ctx.notes];
    if (ctx.preprocessing) notes.unshift(`the preprocessing layers at the model's start (${ctx.preprocessing.map((p) => p.name).join(', ')}) are left out: the run's input, mean 0 and std 1, stands for the data as the first layer with weights reads it`);
    if (options.within) notes.unshift(`read from ${options.within}`);
    const statistics = bnStatistics(planned?.plan ?? null);
    const uncounted = statistics + ctx.omittedParameters;
    const what = [statistics > 0 ? 'BatchNormalization\'s moving mean and variance' : '', ctx.omittedParameters > 0 ? 'the layers left out' : ''].filter((w) => w !== '').join(', ');
    if (uncounted > 0) notes.push(`Keras' model.summary() total also counts ${uncounted} parameters the engine's count leaves out (${what})`);
    return {
      network: parsed.network,
      problems: r.problems,
      source: {
        format, family: className, architecture: modelName, tokens: input.tokens ?? null, batchSize: KERAS_BATCH, notes,
        initRules: `${writer.label}: ${writer.truncationCorrected ? 'a truncated normal is divided by 0.87962566103423978 (Keras ≥ 2.2.0)' : 'a truncated normal is not divided by 0.8796 (its actual std is 0.8796·√(scale/n))'}; fans as Keras' compute_fans`,
        uncountedParameters: uncounted,
      },
      map,
      translateFinding: (finding) => translateKerasFinding(finding, map, ctx, root),
    };
  } catch (err) {
    outer.reportAt(0, 0, `internal error while importing the Keras model: ${err instanceof Error ? err.message : String(err)}`);
    return fail(outer.problems);
  }
}

/** The JSON pointer of an object inside a document (found by identity), or null. */
function pathOf(root: unknown, target: object, at = ''): string | null {
  if (root === target) return at;
  if (root === null || typeof root !== 'object') return null;
  for (const [k, v] of Array.isArray(root) ? root.entries() : Object.entries(root)) {
    const found = pathOf(v, target, childPointer(at, k));
    if (found !== null) return found;
  }
  return null;
}

/** Moving mean and variance of every batchnorm, which Keras counts as (non-trainable) parameters: 2 per channel. */
function bnStatistics(plan: Plan | null): number {
  return (plan?.ordered ?? []).filter((n) => n.op === 'batchnorm').reduce((sum, n) => sum + 2 * (n.inShape.length === 3 ? n.inShape[0] : n.inShape[n.inShape.length - 1]), 0);
}

/**
 * The engine's input from Keras' batch shape (None batch dropped): (H, W, C) images become [C, H, W] (the engine is
 * channels-first), (features) and (steps, features) stay, but (steps, channels) read by a Conv1D or a 1-D pooling becomes
 * [channels, 1, steps]; an Embedding first reads token ids of the given length
 * (None: `options.tokens`, else 32, with a note). Other None dimensions are reported at the shape.
 */
function nativeInput(ctx: KerasContext, input: { shape: (number | null)[]; node: Node; pointer: string } | null, layers: object[], options: ImportOptions, modelPointer: string): { shape?: number[]; tokens?: number; vocab?: number } | undefined {
  const { r } = ctx;
  if (!input) {
    r.report(undefined, childPointer(modelPointer, 'config'), 'the model does not state its input shape (no InputLayer, batch_input_shape or build_input_shape): Init Inspector needs one to analyze it. Add an InputLayer (keras.Input(shape=…)) and save the model again');
    return undefined;
  }
  const dims = input.shape.slice(1);
  const first = layers[0] as { type?: string; vocab?: number } | undefined;
  if (first?.type === 'embedding') {
    if (dims.length !== 1) {
      r.report(input.node, input.pointer, `an Embedding reads token ids of shape (batch, steps); the input shape at ${input.pointer} is ${JSON.stringify(input.shape)}`);
      return undefined;
    }
    const tokens = dims[0] ?? options.tokens ?? DEFAULT_TOKENS;
    if (dims[0] === null) ctx.notes.add(`the input's sequence length is None: the run reads ${tokens} tokens`);
    return { tokens, vocab: first.vocab };
  }
  if (dims.some((d) => d === null) || dims.length === 0 || dims.length > 3) {
    r.report(input.node, input.pointer, `the input shape ${JSON.stringify(input.shape)} at ${input.pointer} ${dims.length === 0 || dims.length > 3 ? 'is not (features), (steps, features) or (height, width, channels)' : 'has None beyond the batch: Init Inspector needs a fixed shape to analyze the model'}`);
    return undefined;
  }
  const fixed = dims as number[];
  if (ctx.signalInput) {
    // A Conv1D or a 1-D pooling reads the input: its (steps, channels) is the engine's [channels, 1, steps].
    if (fixed.length === 2) return { shape: [fixed[1], 1, fixed[0]] };
    r.report(input.node, input.pointer, `a Conv1D or a 1-D pooling reads a signal of shape (batch, steps, channels); the input shape at ${input.pointer} is ${JSON.stringify(input.shape)}`);
    return undefined;
  }
  return { shape: fixed.length === 3 ? [fixed[2], fixed[0], fixed[1]] : fixed };
}
