import type { Node } from 'jsonc-parser';
import { childPointer } from '../../format/problem';
import { convertLayer, type KerasContext, type KerasLayer, type PendingPadding } from './kerasLayers';

/** A model's input as Keras writes it: the batch shape (None as null), and where. */
export interface KerasInput {
  shape: (number | null)[];
  node: Node;
  pointer: string;
}

/** What a Keras model converts to: the engine's layers in order (residual blocks for Add) and its input, if it says. */
export interface ConvertedModel {
  layers: (object | PendingPadding)[];
  input: KerasInput | null;
}

const MODEL_CLASSES = ['Sequential', 'Functional', 'Model'];

/** Layers whose inputs are a list of tensors to merge. */
const MERGES = ['Add', 'Concatenate', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Subtract', 'Dot'];

/** Keys a layer's config may carry the batch shape under: Keras 3, Keras 2 (and TF.js JSON), TF.js in memory. */
const BATCH_SHAPE_KEYS = ['batch_shape', 'batch_input_shape', 'batchInputShape'];

/** Reads a layer entry (`{class_name, config, name?, inbound_nodes?}`); undefined after a report. */
function layerEntry(ctx: KerasContext, entry: Node, pointer: string): KerasLayer | undefined {
  const { r } = ctx;
  if (!r.object(entry, pointer, 'a Keras layer')) return undefined;
  const className = r.string(r.prop(entry, 'class_name'), childPointer(pointer, 'class_name'), 'the layer class_name');
  if (className === undefined) {
    if (!r.prop(entry, 'class_name')) r.report(entry, pointer, `missing "class_name" in the Keras layer at ${pointer}`);
    return undefined;
  }
  const configPointer = childPointer(pointer, 'config');
  const config = r.prop(entry, 'config');
  if (!config || config.type !== 'object') {
    r.report(config ?? entry, configPointer, `the ${className} layer at ${pointer} needs a "config" object`);
    return undefined;
  }
  const nameNode = r.prop(entry, 'name') ?? r.prop(config, 'name');
  return { className, name: nameNode?.type === 'string' ? String(nameNode.value) : `${className} ${pointer}`, entry, pointer, config, configPointer };
}

/** The batch shape a layer config declares (InputLayer, or the first layer of a Sequential), or null. */
function batchShape(ctx: KerasContext, layer: KerasLayer): KerasInput | null {
  for (const key of BATCH_SHAPE_KEYS) {
    const node = ctx.r.prop(layer.config, key);
    if (node?.type === 'array') {
      return { shape: (node.children ?? []).map((c) => (c.type === 'number' ? Number(c.value) : null)), node, pointer: childPointer(layer.configPointer, key) };
    }
  }
  return null;
}

/**
 * Converts a Keras model object (`Sequential`, `Functional`, Keras 2's `Model`) to the engine's layers. A class that
 * is none of these is a subclassed model (its config holds only constructor arguments): there is no architecture in
 * the file, which is reported at its `class_name`.
 */
export function convertModel(ctx: KerasContext, model: Node, pointer: string): ConvertedModel | undefined {
  const { r } = ctx;
  const classNode = r.prop(model, 'class_name');
  const className = classNode?.type === 'string' ? String(classNode.value) : '';
  const at = childPointer(pointer, 'class_name');
  if (!MODEL_CLASSES.includes(className)) {
    const registered = r.prop(model, 'registered_name');
    r.report(classNode ?? model, at, `'${className}' at ${at} is a subclassed Keras model${registered?.type === 'string' ? ` (${registered.value})` : ''}: its config holds only its constructor's arguments, so the file has no architecture to analyze. `
      + 'Save a Sequential or Functional model (or build the subclassed one on a Functional graph) to analyze it');
    return undefined;
  }
  const config = r.prop(model, 'config');
  const configPointer = childPointer(pointer, 'config');
  if (!config || (config.type !== 'object' && config.type !== 'array')) {
    r.report(config ?? model, configPointer, `the ${className} model at ${pointer} needs a "config"`);
    return undefined;
  }
  if (className === 'Sequential') return sequential(ctx, model, config, configPointer);
  return functional(ctx, config, configPointer);
}

/** A layer that is itself a model (a Functional inside a Sequential, as Keras applications are used). */
function isModel(layer: KerasLayer): boolean {
  return MODEL_CLASSES.includes(layer.className);
}

/**
 * A `Sequential`: its `config` is the list of layers (Keras ≤ 2.2.2) or `{name, layers}`; the input is an `InputLayer`
 * entry, the first layer's batch shape, `build_input_shape` (Keras 2.2.3+) or `build_config.input_shape` (Keras 3).
 */
function sequential(ctx: KerasContext, model: Node, config: Node, configPointer: string): ConvertedModel | undefined {
  const { r } = ctx;
  const list = config.type === 'array' ? config : r.prop(config, 'layers');
  const listPointer = config.type === 'array' ? configPointer : childPointer(configPointer, 'layers');
  const entries = r.array(list, listPointer, 'the Sequential layers');
  if (!entries) {
    if (!list) r.report(config, configPointer, `missing "layers" in the Sequential config at ${configPointer}`);
    return undefined;
  }
  let input: KerasInput | null = null;
  const layers: (object | PendingPadding)[] = [];
  let ok = true;
  entries.forEach((entry, i) => {
    const layer = layerEntry(ctx, entry, childPointer(listPointer, i));
    if (!layer) { ok = false; return; }
    input ??= batchShape(ctx, layer);
    if (layer.className === 'InputLayer') return;
    const converted = isModel(layer) ? convertModel(ctx, entry, layer.pointer) : undefined;
    if (isModel(layer)) {
      if (!converted) { ok = false; return; }
      input ??= converted.input;
      layers.push(...converted.layers);
      return;
    }
    const own = convertLayer(ctx, layer);
    if (!own) ok = false;
    else layers.push(...own);
  });
  if (!ok) return undefined;
  input ??= buildShape(config.type === 'object' ? r.prop(config, 'build_input_shape') : undefined, childPointer(configPointer, 'build_input_shape'));
  const build = r.prop(model, 'build_config');
  input ??= build ? buildShape(r.prop(build, 'input_shape'), `${configPointer.replace(/\/config$/, '')}/build_config/input_shape`) : null;
  return { layers, input };
}

function buildShape(node: Node | undefined, pointer: string): KerasInput | null {
  if (node?.type !== 'array') return null;
  return { shape: (node.children ?? []).map((c) => (c.type === 'number' ? Number(c.value) : null)), node, pointer };
}

/** One node of a Functional graph: the layer and the names of the layers whose outputs it reads. */
interface GraphNode {
  layer: KerasLayer;
  index: number;
  inputs: string[];
}

/**
 * The layers a call reads, from one entry of `inbound_nodes`: Keras 2's list form (a list of `[name, node_index,
 * tensor_index, kwargs]`, or one such reference single-wrapped by some converters) or Keras 3's dict form
 * (`{args, kwargs}` with `__keras_tensor__` objects whose `keras_history` is `[name, node_index, tensor_index]`).
 */
function callInputs(call: Node): string[] {
  if (call.type === 'array') {
    const items = call.children ?? [];
    if (items[0]?.type === 'string') return [String(items[0].value)];
    // Each reference's kwargs may name further tensors (MultiHeadAttention's `value`, `key`): [name, node, tensor].
    const named = (ref: Node): string[] => (ref.type === 'array' && ref.children?.[0]?.type === 'string' && ref.children[0].value !== '_CONSTANT_VALUE' ? [String(ref.children[0].value)] : []);
    return items.flatMap((ref) => [...named(ref), ...(ref.children?.[3]?.type === 'object' ? (ref.children[3].children ?? []).flatMap((p) => (p.children?.[1] ? named(p.children[1]) : [])) : [])]);
  }
  if (call.type === 'object') {
    const args = call.children?.find((p) => p.children?.[0]?.value === 'args')?.children?.[1];
    return args ? kerasTensors(args) : [];
  }
  return [];
}

/** The layer names of every `__keras_tensor__` under a node, in order. */
function kerasTensors(node: Node): string[] {
  if (node.type === 'object') {
    const prop = (k: string): Node | undefined => node.children?.find((p) => p.children?.[0]?.value === k)?.children?.[1];
    if (prop('class_name')?.value === '__keras_tensor__') {
      const history = prop('config')?.children?.find((p) => p.children?.[0]?.value === 'keras_history')?.children?.[1];
      const name = history?.children?.[0];
      return name?.type === 'string' ? [String(name.value)] : [];
    }
    return (node.children ?? []).flatMap((p) => (p.children?.[1] ? kerasTensors(p.children[1]) : []));
  }
  if (node.type === 'array') return (node.children ?? []).flatMap(kerasTensors);
  return [];
}

/** The layer names of `input_layers` / `output_layers` (`[[name, 0, 0], …]`, or one flat `[name, 0, 0]`). */
function endpoints(node: Node | undefined): string[] {
  if (node?.type !== 'array') return [];
  const items = node.children ?? [];
  if (items[0]?.type === 'string') return [String(items[0].value)];
  return items.flatMap((i) => (i.type === 'array' && i.children?.[0]?.type === 'string' ? [String(i.children[0].value)] : []));
}

/**
 * A `Functional` (Keras 2 `Model`): a graph of layers given by their `inbound_nodes`. The engine's networks are
 * chains of layers and residual blocks, so the graph is read back from its output: a one-input layer follows the
 * chain that ends at its input; an `Add` of two tensors is a residual block whose shortcut and branch start at their
 * nearest common ancestor: the identity when one input is that ancestor, else a projection (one 1×1 Conv2D or Dense,
 * whose BatchNormalization, if any, is left out with a note). Other graphs (several inputs or outputs, shared layers,
 * other merges) are reported at their layer.
 */
function functional(ctx: KerasContext, config: Node, configPointer: string): ConvertedModel | undefined {
  const { r } = ctx;
  const listPointer = childPointer(configPointer, 'layers');
  const entries = r.array(r.prop(config, 'layers'), listPointer, 'the Functional layers');
  if (!entries) {
    r.report(config, configPointer, `missing "layers" in the Functional config at ${configPointer}`);
    return undefined;
  }
  const nodes = new Map<string, GraphNode>();
  let ok = true;
  entries.forEach((entry, index) => {
    const layer = layerEntry(ctx, entry, childPointer(listPointer, index));
    if (!layer) { ok = false; return; }
    const inbound = r.prop(entry, 'inbound_nodes');
    const calls = inbound?.type === 'array' ? inbound.children ?? [] : [];
    if (calls.length > 1) {
      r.report(inbound, childPointer(layer.pointer, 'inbound_nodes'), `the layer '${layer.name}' at ${layer.pointer} is called ${calls.length} times (a shared layer): not supported yet by Init Inspector`);
      ok = false;
    }
    // A layer that reads the same tensor twice (MultiHeadAttention as mha(x, x)) has one input; a merge of a tensor
    // with itself keeps both.
    const read = calls.length > 0 ? callInputs(calls[0]) : [];
    nodes.set(layer.name, { layer, index, inputs: MERGES.includes(layer.className) ? read : [...new Set(read)] });
  });
  if (!ok) return undefined;
  const inputs = endpoints(r.prop(config, 'input_layers'));
  const outputs = endpoints(r.prop(config, 'output_layers'));
  for (const [key, names] of [['input_layers', inputs], ['output_layers', outputs]] as const) {
    if (names.length !== 1) {
      const at = childPointer(configPointer, key);
      r.report(r.prop(config, key) ?? config, at, `the model has ${names.length} ${key === 'input_layers' ? 'inputs' : 'outputs'} at ${at}: Init Inspector analyzes models with one input and one output`);
      return undefined;
    }
  }
  const missing = [...inputs, ...outputs, ...[...nodes.values()].flatMap((n) => n.inputs)].find((n) => !nodes.has(n));
  if (missing !== undefined) {
    r.report(config, configPointer, `the graph at ${configPointer} refers to a layer '${missing}' that is not in its layers`);
    return undefined;
  }
  const ancestors = new Map<string, Set<string>>();
  const ancestorsOf = (name: string): Set<string> => {
    let set = ancestors.get(name);
    if (!set) {
      set = new Set([name]);
      ancestors.set(name, set);
      for (const i of nodes.get(name)!.inputs) for (const a of ancestorsOf(i)) set.add(a);
    }
    return set;
  };
  let input: KerasInput | null = null;
  const inputName = inputs[0];

  /** A chain of converted layers, or undefined after a report. */
  type Converted = (object | PendingPadding)[] | undefined;
  /** The inputs' nearest common ancestor (the latest in the file's order), or null when they have none. */
  const nearestFork = (names: string[]): string | null => {
    const common = names.map(ancestorsOf).reduce((a, b) => new Set([...a].filter((x) => b.has(x))));
    return common.size === 0 ? null : [...common].reduce((best, x) => (nodes.get(x)!.index > nodes.get(best)!.index ? x : best));
  };
  /**
   * A merge's layers: those up to its fork (after `stop`), then each input's branch from the fork, each converted from
   * the 1-D layout the fork left (`KerasContext.layout1d`); after the merge the layout is the last branch's (branches
   * that end in different layouts fail at the merge's plan).
   */
  const fromFork = (fork: string, names: string[], stop: string | null): { before: Converted; branches: Converted[] } => {
    const before = chain(fork, stop);
    const atFork = ctx.layout1d;
    const branches = names.map((name) => {
      ctx.layout1d = atFork;
      return chain(name, fork);
    });
    return { before, branches };
  };
  /** The layers after `stop` (exclusive; null: from the model's input) up to `name` (inclusive). */
  const chain = (name: string, stop: string | null): Converted => {
    if (name === stop) return [];
    const node = nodes.get(name)!;
    const { layer } = node;
    if (node.inputs.length === 0) {
      if (name !== inputName || stop !== null) {
        r.report(layer.entry, layer.pointer, `the layer '${layer.name}' at ${layer.pointer} has no inputs but is not the model's input: a graph Init Inspector cannot read as a chain of layers and residual blocks`);
        return undefined;
      }
      input = batchShape(ctx, layer);
      if (layer.className !== 'InputLayer') {
        const own = isModel(layer) ? convertModel(ctx, layer.entry, layer.pointer)?.layers : convertLayer(ctx, layer);
        return own;
      }
      return [];
    }
    if (node.inputs.length === 1) {
      const before = chain(node.inputs[0], stop);
      if (!before) return undefined;
      const own = isModel(layer) ? convertModel(ctx, layer.entry, layer.pointer)?.layers : convertLayer(ctx, layer);
      return own ? [...before, ...own] : undefined;
    }
    if (layer.className === 'MultiHeadAttention') {
      const at = childPointer(layer.pointer, 'inbound_nodes');
      r.report(r.prop(layer.entry, 'inbound_nodes') ?? layer.entry, at, `the MultiHeadAttention '${layer.name}' at ${at} attends from '${node.inputs[0]}' to '${node.inputs[1]}' (cross-attention): not supported yet by Init Inspector (self-attention, mha(x, x), is)`);
      return undefined;
    }
    if (layer.className === 'Concatenate') {
      // Keras joins on the last axis by default (channels_last): the engine's channels, or features.
      const axisNode = r.prop(layer.config, 'axis');
      if (axisNode && axisNode.type === 'number' && Number(axisNode.value) !== -1) {
        const at = childPointer(layer.configPointer, 'axis');
        r.report(axisNode, at, `Concatenate on axis ${axisNode.value} at ${at} is not supported yet by Init Inspector (the channels or features axis, -1, is)`);
        return undefined;
      }
    }
    if (layer.className === 'Concatenate' || layer.className === 'Multiply') {
      // Branches from the inputs' nearest common ancestor (Multiply: x ⊙ F(x), a squeeze-and-excitation gate).
      const fork = nearestFork(node.inputs);
      if (fork === null) {
        r.report(layer.entry, layer.pointer, `the inputs of the ${layer.className} '${layer.name}' at ${layer.pointer} have no common ancestor`);
        return undefined;
      }
      const { before, branches } = fromFork(fork, node.inputs, stop);
      if (!before || branches.some((b) => !b)) return undefined;
      return [...before, ctx.doc.layer({ type: layer.className.toLowerCase(), name: layer.name, branches }, { pointer: layer.pointer })];
    }
    if (layer.className !== 'Add' || node.inputs.length !== 2) {
      const at = childPointer(layer.pointer, 'class_name');
      r.report(r.prop(layer.entry, 'class_name') ?? layer.entry, at, layer.className === 'Add'
        ? `the Add '${layer.name}' at ${at} sums ${node.inputs.length} tensors: Init Inspector reads an Add of two (a residual block)`
        : `the layer ${layer.className} '${layer.name}' at ${at} merges ${node.inputs.length} tensors: not supported yet by Init Inspector (an Add of a shortcut and a branch, a Concatenate and a Multiply are)`);
      return undefined;
    }
    const fork = nearestFork(node.inputs);
    if (fork === null) {
      r.report(layer.entry, layer.pointer, `the two inputs of the Add '${layer.name}' at ${layer.pointer} have no common ancestor`);
      return undefined;
    }
    const { before, branches: [pathA, pathB] } = fromFork(fork, node.inputs, stop);
    if (!pathA || !pathB || !before) return undefined;
    const [shortPath, branch] = pathA.length <= pathB.length ? [pathA, pathB] : [pathB, pathA];
    const shortcut = projection(ctx, shortPath, layer);
    if (shortcut === undefined) return undefined;
    const keys: Record<string, string> = {};
    if (shortcut !== 'identity') keys.shortcut = shortcut.initPointer;
    const block = ctx.doc.layer({ type: 'residual', name: layer.name, layers: branch, shortcut: shortcut === 'identity' ? 'identity' : shortcut.spec }, { pointer: layer.pointer, keys });
    return [...before, block];
  };
  const layers = chain(outputs[0], null);
  return layers ? { layers, input } : undefined;
}

/**
 * The shortcut of a residual block from the layers on its shorter path: none is the identity; one 1×1 conv2d or a
 * dense without activation (optionally followed by a batchnorm, left out with a note and its 4 parameters per channel
 * counted) is a projection; anything else is reported at the Add.
 */
function projection(ctx: KerasContext, path: (object | PendingPadding)[], add: KerasLayer): 'identity' | { spec: object; initPointer: string } | undefined {
  if (path.length === 0) return 'identity';
  const [first, second] = path as { type?: string; kernel_size?: [number, number]; activation?: string; init?: unknown; bias?: unknown; filters?: number; units?: number; name?: string }[];
  const weight = (first.type === 'conv2d' && first.kernel_size?.[0] === 1 && first.kernel_size[1] === 1) || first.type === 'dense';
  if (!weight || (first.activation ?? 'linear') !== 'linear' || path.length > 2 || (second && second.type !== 'batchnorm')) {
    const at = childPointer(add.pointer, 'class_name');
    ctx.r.report(ctx.r.prop(add.entry, 'class_name') ?? add.entry, at, `the Add '${add.name}' at ${at} sums two branches, neither of which is the identity or a 1×1 projection (optionally with BatchNormalization): not supported yet by Init Inspector`);
    return undefined;
  }
  if (second) {
    const channels = first.filters ?? first.units ?? 0;
    ctx.omittedParameters += 4 * channels;
    ctx.notes.add(`the BatchNormalization on a projection shortcut (${second.name}) is left out: the engine's projection shortcut is the 1×1 convolution alone (its ${4 * channels} parameters are counted in Keras' total)`);
  }
  const initPointer = ctx.initPointers.get(first) ?? add.pointer;
  return { spec: { type: 'projection', init: first.init, bias: first.bias }, initPointer };
}
