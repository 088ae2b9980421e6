import type { Node } from 'jsonc-parser';
import { childPointer } from '../../format/problem';
import type { Reader } from '../../format/reader';
import type { WeightNode } from '../../graph/ops/weightLayer';
import type { PlanNode } from '../../graph/plan';
import type { NativeDocument, Origin } from '../nativeDocument';
import { describeKerasInit, kerasFans, nativeInit, readKerasInit, type ReadInit } from './initializers';
import type { KerasWriter } from './kerasWriter';

/** What converting a Keras model shares: the reader of the file, the document written, the writer, the notes. */
export interface KerasContext {
  r: Reader;
  doc: NativeDocument;
  writer: KerasWriter;
  notes: Set<string>;
  /** Parameters Keras counts that the engine's network does not hold (a shortcut's BatchNormalization). */
  omittedParameters: number;
  /** The pointer of each generated weight layer's kernel initializer (a projection shortcut's fix goes there). */
  initPointers: WeakMap<object, string>;
  /**
   * Inits that need the layer's input shape, known once the engine has planned the network: a depthwise kernel drawn
   * with Keras' fans (kh·kw·C, kh·kw·depth_multiplier), a MultiHeadAttention's with EinsumDense's; `resolve` sets them
   * on the generated layer from its planned node.
   */
  deferred: { layer: Record<string, unknown>; resolve: (node: WeightNode | PlanNode) => void }[];
  /**
   * What the last converted layer leaves, for the 1-D layers: `input` (the model's input, untouched so far), `signal`
   * (a 1-D signal (steps, channels) held as the engine's [channels, 1, steps]) or `other` (a sequence [tokens,
   * features] or features: no Conv1D may follow). `signalInput`: the input is read as such a signal.
   */
  layout1d?: 'input' | 'signal' | 'other';
  signalInput?: boolean;
  /**
   * The preprocessing layers (Rescaling, Normalization) met before any other layer: left out, named in a note; a
   * Normalization's `axes` (Keras' `axis`, batch included; null: one statistic for all) size its mean and variance.
   */
  preprocessing?: { name: string; axes?: number[] | null }[];
  /** Whether a layer other than preprocessing has been converted (later preprocessing layers are kept). */
  pastPreprocessing?: boolean;
}

/** One Keras layer entry: its class, its config node and the pointers of both. */
export interface KerasLayer {
  className: string;
  name: string;
  entry: Node;
  pointer: string;
  config: Node;
  configPointer: string;
}

/** A zero padding waiting to be folded into the convolution after it (the engine's conv2d pads itself). */
export interface PendingPadding {
  type: '__zero_padding';
  padding: [[number, number], [number, number]];
  pointer: string;
  node: Node;
}

/**
 * Keras activation names (and TF.js' camelCase ones) → the engine's. `relu6` and `softmax` are read as `relu` and
 * `linear` with a note: at init a normalized signal rarely reaches 6, and a softmax output is reported as its logits.
 */
const ACTIVATIONS: Readonly<Record<string, string>> = {
  linear: 'linear', relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid', gelu: 'gelu', swish: 'silu', silu: 'silu', elu: 'elu',
  selu: 'selu', softplus: 'softplus', leakyrelu: 'leaky_relu', relu6: 'relu', softmax: 'linear',
};

/** The engine's activation for a Keras activation value (a string, or Keras 3's serialized function), or undefined after a report. */
export function readActivation(ctx: KerasContext, layer: KerasLayer, key = 'activation'): { activation: string; negative_slope?: number } | undefined {
  const { r } = ctx;
  const node = r.prop(layer.config, key);
  const pointer = childPointer(layer.configPointer, key);
  if (!node || node.type === 'null') return { activation: 'linear' };
  const value = node.type === 'string' ? String(node.value) : node.type === 'object' ? String(r.prop(node, 'class_name')?.value ?? r.prop(r.prop(node, 'config') ?? node, 'name')?.value ?? '') : '';
  const key2 = value.replace(/_/g, '').toLowerCase();
  const native = ACTIVATIONS[key2];
  if (!native) {
    r.report(node, pointer, `the activation '${value}' at ${pointer} is not supported yet by Init Inspector; supported: ${Object.keys(ACTIVATIONS).join(', ')}`);
    return undefined;
  }
  if (key2 === 'relu6') ctx.notes.add('relu6 is read as relu: at init the normalized signal rarely reaches 6');
  if (key2 === 'softmax') ctx.notes.add(`the softmax of ${layer.name} is left out: the report shows its logits`);
  // Keras 3's activations.leaky_relu has negative_slope 0.2.
  return key2 === 'leakyrelu' ? { activation: 'leaky_relu', negative_slope: 0.2 } : { activation: native };
}

/**
 * A window size or stride: for a 2-D layer a positive integer or a pair (`[3, 3]`, or one number for both); for a 1-D
 * layer (rank 1) a number or a one-element list, as [1, n] over the engine's [channels, 1, steps]. The fallback is
 * already in that form; undefined after a report.
 */
function pair(ctx: KerasContext, layer: KerasLayer, key: string, fallback: [number, number] | null, rank: 1 | 2 = 2): [number, number] | undefined {
  const { r } = ctx;
  const node = r.prop(layer.config, key);
  const pointer = childPointer(layer.configPointer, key);
  if (!node || node.type === 'null') {
    if (fallback) return fallback;
    r.report(layer.config, layer.configPointer, `missing "${key}" in the ${layer.className} config at ${layer.configPointer}`);
    return undefined;
  }
  const items = node.type === 'array' ? node.children ?? [] : rank === 1 ? [node] : [node, node];
  const values = items.map((n, i) => r.number(n, node.type === 'array' ? childPointer(pointer, i) : pointer, key, { integer: true, min: 1 }));
  if (items.length !== rank || values.some((v) => v === undefined)) {
    if (items.length !== rank) r.report(node, pointer, `${key} at ${pointer} must be a number or ${rank === 1 ? 'a one-element list for a 1-D layer' : 'a pair for a 2-D layer'}`);
    return undefined;
  }
  return rank === 1 ? [1, values[0]!] : [values[0]!, values[1]!];
}

function numberAt(ctx: KerasContext, layer: KerasLayer, key: string, fallback: number, bounds = {}): number | undefined {
  const node = ctx.r.prop(layer.config, key);
  if (!node || node.type === 'null') return fallback;
  return ctx.r.number(node, childPointer(layer.configPointer, key), key, bounds);
}

function stringAt(ctx: KerasContext, layer: KerasLayer, key: string): string | null {
  const node = ctx.r.prop(layer.config, key);
  return node?.type === 'string' ? String(node.value) : null;
}

function unsupported(ctx: KerasContext, layer: KerasLayer, what: string): undefined {
  const at = childPointer(layer.pointer, 'class_name');
  ctx.r.report(ctx.r.prop(layer.entry, 'class_name') ?? layer.entry, at, `${what} (layer '${layer.name}' at ${at})`);
  return undefined;
}

/** Refuses a Keras option the engine does not model (a data_format, a dilation, groups) unless it has the default. */
function requireDefault(ctx: KerasContext, layer: KerasLayer, key: string, ok: (v: unknown) => boolean, what: string): boolean {
  const node = ctx.r.prop(layer.config, key);
  if (!node || node.type === 'null') return true;
  const value = node.type === 'array' ? (node.children ?? []).map((c) => c.value) : node.value;
  if (ok(value)) return true;
  const pointer = childPointer(layer.configPointer, key);
  ctx.r.report(node, pointer, `${key} ${JSON.stringify(value)} at ${pointer} is not supported yet by Init Inspector (${what})`);
  return false;
}

const ones = (v: unknown): boolean => v === 1 || (Array.isArray(v) && v.every((x) => x === 1));

/** The kernel and bias of a Dense or Conv2D as the engine's `init` and `bias`, with their pointers. */
function weights(ctx: KerasContext, layer: KerasLayer, kernelKey: string, useBiasAllowed = true): { init: unknown; bias: unknown; kernel: ReadInit; keys: Record<string, string> } | undefined {
  const kernel = readKerasInit(ctx.r, layer.config, layer.configPointer, kernelKey, 'GlorotUniform', ctx.writer);
  const useBias = ctx.r.prop(layer.config, 'use_bias');
  const biasInit = useBias?.value === false || !useBiasAllowed ? null : readKerasInit(ctx.r, layer.config, layer.configPointer, 'bias_initializer', 'Zeros', ctx.writer);
  if (!kernel || biasInit === undefined || (useBias?.value !== false && useBiasAllowed && !biasInit)) return undefined;
  let bias: unknown = false;
  if (biasInit) {
    bias = nativeInit(biasInit.init, { fanIn: 1, fanOut: 1 });
    if (biasInit.init.kind === 'variance_scaling' || biasInit.init.kind === 'orthogonal') {
      ctx.r.report(biasInit.node ?? layer.config, biasInit.pointer, `a ${describeKerasInit(biasInit)} bias initializer at ${biasInit.pointer} is not supported yet by Init Inspector (a bias takes a constant, normal or uniform draw)`);
      return undefined;
    }
  }
  return { init: nativeInit(kernel.init), bias, kernel, keys: { init: kernel.pointer, ...(biasInit ? { bias: biasInit.pointer } : {}) } };
}

function origin(layer: KerasLayer, keys: Record<string, string> = {}): Origin {
  return { pointer: layer.pointer, keys };
}

/**
 * A Keras Conv1D (rank 1) or Conv2D (rank 2) as the engine's conv2d. A Conv1D's signal (steps, channels) is the
 * engine's [channels, 1, steps]: kernel_size k → [1, k], strides s → [1, s], padding 'valid' or 'same' (TensorFlow's
 * rule, as Keras) as is, 'causal' → [[0, 0], [k − 1, 0]] (Keras pads all k − 1 on the left). The kernel (k, in,
 * filters) then has Keras' fans (compute_fans: receptive field k, fan_in = k·in, fan_out = k·filters), which are the
 * engine's for a [1, k] kernel; parameters k·in·filters + filters, as model.summary().
 */
function convolution(ctx: KerasContext, layer: KerasLayer, rank: 1 | 2): object[] | undefined {
  const { r, doc } = ctx;
  const c = layer.configPointer;
  if (!requireDefault(ctx, layer, 'data_format', (v) => v === 'channels_last', rank === 1 ? 'the engine reads a Keras 1-D signal as channels_last (steps, channels)' : 'the engine reads Keras images as channels_last')
    || !requireDefault(ctx, layer, 'dilation_rate', ones, 'dilated convolutions')
    || !requireDefault(ctx, layer, 'groups', ones, 'grouped convolutions')) return undefined;
  const filters = numberAt(ctx, layer, 'filters', NaN, { integer: true, min: 1 });
  const kernel = pair(ctx, layer, 'kernel_size', null, rank);
  const strides = pair(ctx, layer, 'strides', [1, 1], rank);
  const padding = stringAt(ctx, layer, 'padding') ?? 'valid';
  const act = readActivation(ctx, layer);
  const w = weights(ctx, layer, 'kernel_initializer');
  if (filters === undefined || Number.isNaN(filters) || !kernel || !strides || !act || !w) return Number.isNaN(filters ?? 0) ? unsupported(ctx, layer, `a ${layer.className} needs "filters"`) : undefined;
  const paddings = rank === 1 ? ['valid', 'same', 'causal'] : ['valid', 'same'];
  if (!paddings.includes(padding)) {
    r.report(r.prop(layer.config, 'padding'), childPointer(c, 'padding'), `padding '${padding}' at ${childPointer(c, 'padding')} is not supported yet by Init Inspector (${paddings.join(', ')})`);
    return undefined;
  }
  const nativePadding = padding === 'causal' ? [[0, 0], [kernel[1] - 1, 0]] : padding;
  const native = doc.layer({ type: 'conv2d', name: layer.name, filters, kernel_size: kernel, stride: strides, padding: nativePadding, ...act, init: w.init, bias: w.bias },
    origin(layer, { ...w.keys, filters: childPointer(c, 'filters'), kernel_size: childPointer(c, 'kernel_size'), stride: childPointer(c, 'strides'), padding: childPointer(c, 'padding'), activation: childPointer(c, 'activation') }));
  ctx.initPointers.set(native, w.kernel.pointer);
  return [native];
}

/** The layers a 1-D signal [channels, 1, steps] keeps as such: per-channel or elementwise ones. */
const SIGNAL_KEEPS = new Set(['Activation', 'ReLU', 'LeakyReLU', 'BatchNormalization', 'Dropout', 'SpatialDropout1D', 'Softmax', 'Rescaling']);
/**
 * The layers that turn raw data into a model's input: at the model's start (before any other layer) they are left
 * out, since the run's input (mean 0, std 1, `input.ts`) stands for the data as the first layer with weights reads it,
 * standardized: Rescaling(1/255) of that would make it 255 times too small.
 */
const PREPROCESSING = new Set(['Rescaling', 'Normalization']);
/** The 1-D layers read on [channels, 1, steps]. */
const ONE_D = new Set(['Conv1D', 'MaxPooling1D', 'AveragePooling1D', 'GlobalAveragePooling1D', 'GlobalMaxPooling1D']);

/**
 * Converts one Keras layer (see `convertOne`), keeping track of the 1-D layout: a Conv1D or a 1-D pooling reads a
 * (steps, channels) signal as the engine's [channels, 1, steps]. On the model's input the input is read so; after a
 * layer the engine keeps as a sequence [tokens, features] (an Embedding, a Dense, a MultiHeadAttention) a
 * `to_feature_map` comes first (x.transpose(1, 2)); and a layer that acts on the last axis of the signal (a Dense, a
 * LayerNormalization, a MultiHeadAttention…) gets a `to_sequence` first, back to [steps, channels]. Per-channel and
 * elementwise layers and a Flatten (same values, same count) read the signal as it is held.
 */
export function convertLayer(ctx: KerasContext, layer: KerasLayer): (object | PendingPadding)[] | undefined {
  const before = ctx.layout1d ?? 'input';
  const name = layer.className;
  if (!ctx.pastPreprocessing && PREPROCESSING.has(name)) {
    const axis = ctx.r.prop(layer.config, 'axis');
    const axes = axis?.type === 'number' ? [Number(axis.value)] : axis?.type === 'array' ? (axis.children ?? []).map((n) => Number(n.value)) : axis?.type === 'null' ? null : [-1];
    (ctx.preprocessing ??= []).push(name === 'Normalization' ? { name: layer.name, axes } : { name: layer.name });
    return [];
  }
  ctx.pastPreprocessing = true;
  const turn = ONE_D.has(name) && before === 'other' ? 'to_feature_map'
    : before === 'signal' && !ONE_D.has(name) && !SIGNAL_KEEPS.has(name) && name !== 'Flatten' ? 'to_sequence' : null;
  const out = convertOne(ctx, layer);
  if (!out) return out;
  if (ONE_D.has(name) && before === 'input') ctx.signalInput = true;
  ctx.layout1d = ONE_D.has(name) && !name.startsWith('Global') ? 'signal' : SIGNAL_KEEPS.has(name) ? before : 'other';
  if (!turn) return out;
  const label = turn === 'to_feature_map' ? 'steps × channels → channels × steps' : 'channels × steps → steps × channels';
  return [ctx.doc.layer({ type: turn, name: `${layer.name} (${label})` }, origin(layer)), ...out];
}

/**
 * Converts one Keras layer to the engine's layers (none for a Softmax, left out with a note; two for a
 * SeparableConv2D), or undefined after a report.
 * Supported: Dense, Conv1D, Conv2D, DepthwiseConv2D and SeparableConv2D (a depthwise conv2d, and a 1×1 one), MultiHeadAttention
 * (self-attention), Activation, ReLU, LeakyReLU, BatchNormalization, LayerNormalization, Dropout (and
 * SpatialDropout2D), Flatten, MaxPooling1D/2D, AveragePooling1D/2D, GlobalAveragePooling1D/2D, GlobalMaxPooling1D/2D, ZeroPadding2D (folded into the
 * next Conv2D), Rescaling (a `scale`), Embedding. Layout: channels_last, as Keras' default `image_data_format`.
 */
function convertOne(ctx: KerasContext, layer: KerasLayer): (object | PendingPadding)[] | undefined {
  const { r, doc } = ctx;
  const c = layer.configPointer;
  switch (layer.className) {
    case 'Dense': {
      const units = numberAt(ctx, layer, 'units', NaN, { integer: true, min: 1 });
      const act = readActivation(ctx, layer);
      const w = weights(ctx, layer, 'kernel_initializer');
      if (units === undefined || Number.isNaN(units) || !act || !w) return Number.isNaN(units ?? 0) ? unsupported(ctx, layer, 'a Dense layer needs "units"') : undefined;
      const native = doc.layer({ type: 'dense', name: layer.name, units, ...act, init: w.init, bias: w.bias }, origin(layer, { ...w.keys, units: childPointer(c, 'units'), activation: childPointer(c, 'activation') }));
      ctx.initPointers.set(native, w.kernel.pointer);
      return [native];
    }
    case 'Conv1D':
      return convolution(ctx, layer, 1);
    case 'Conv2D':
      return convolution(ctx, layer, 2);
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      if (!requireDefault(ctx, layer, 'data_format', (v) => v === 'channels_last', 'the engine reads Keras images as channels_last')
        || !requireDefault(ctx, layer, 'dilation_rate', ones, 'dilated convolutions')) return undefined;
      const separable = layer.className === 'SeparableConv2D';
      const multiplier = numberAt(ctx, layer, 'depth_multiplier', 1, { integer: true, min: 1 });
      const kernel = pair(ctx, layer, 'kernel_size', null);
      const strides = pair(ctx, layer, 'strides', [1, 1]);
      const padding = stringAt(ctx, layer, 'padding') ?? 'valid';
      const act = readActivation(ctx, layer);
      // A separable conv's bias and activation come after its pointwise conv.
      const w = weights(ctx, layer, 'depthwise_initializer', !separable);
      const filters = separable ? numberAt(ctx, layer, 'filters', NaN, { integer: true, min: 1 }) : 0;
      const pointwise = separable ? weights(ctx, layer, 'pointwise_initializer') : null;
      if (multiplier === undefined || !kernel || !strides || !act || !w || filters === undefined || Number.isNaN(filters) || (separable && !pointwise)) return undefined;
      if (padding !== 'valid' && padding !== 'same') {
        r.report(r.prop(layer.config, 'padding'), childPointer(c, 'padding'), `padding '${padding}' at ${childPointer(c, 'padding')} is not supported yet by Init Inspector (valid, same)`);
        return undefined;
      }
      const origin_: Origin = origin(layer, { init: w.kernel.pointer, ...(separable ? {} : w.keys.bias ? { bias: w.keys.bias } : {}), kernel_size: childPointer(c, 'kernel_size'), stride: childPointer(c, 'strides'), padding: childPointer(c, 'padding'), depth_multiplier: childPointer(c, 'depth_multiplier') });
      const depthwise: Record<string, unknown> = { type: 'conv2d', name: separable ? `${layer.name} (depthwise)` : layer.name, depth_multiplier: multiplier, kernel_size: kernel, stride: strides, padding,
        ...(separable ? { activation: 'linear' } : act), init: w.init, bias: separable ? false : w.bias };
      doc.layer(depthwise, origin_);
      // The kernel (kh, kw, C, depth_multiplier) gets Keras' fans once C is known (see KerasContext.deferred).
      ctx.deferred.push({ layer: depthwise, resolve: (node) => {
        const fans = kerasFans([kernel[0], kernel[1], node.inShape[0], multiplier]);
        const own = node as WeightNode;
        depthwise.init = nativeInit(w.kernel.init, fans);
        origin_.values = { keras_fan_in: fans.fanIn, keras_fan_out: fans.fanOut, fan_in: own.fanIn, fan_out: own.fanOut };
      } });
      if (!separable) return [depthwise];
      // The pointwise kernel (1, 1, C·m, filters) has the same fans in Keras and in the engine.
      const point = doc.layer({ type: 'conv2d', name: `${layer.name} (pointwise)`, filters, kernel_size: 1, ...act, init: pointwise!.init, bias: pointwise!.bias },
        origin(layer, { ...pointwise!.keys, filters: childPointer(c, 'filters'), activation: childPointer(c, 'activation') }));
      ctx.initPointers.set(point, pointwise!.kernel.pointer);
      return [depthwise, point];
    }
    case 'MultiHeadAttention': {
      const heads = numberAt(ctx, layer, 'num_heads', NaN, { integer: true, min: 1 });
      const keyDim = numberAt(ctx, layer, 'key_dim', NaN, { integer: true, min: 1 });
      if (heads === undefined || keyDim === undefined || Number.isNaN(heads) || Number.isNaN(keyDim)) return unsupported(ctx, layer, 'a MultiHeadAttention needs num_heads and key_dim');
      const valueDim = r.prop(layer.config, 'value_dim');
      if (valueDim && valueDim.type === 'number' && Number(valueDim.value) !== keyDim) return unsupported(ctx, layer, `a MultiHeadAttention with value_dim ${valueDim.value} ≠ key_dim ${keyDim} is not supported yet by Init Inspector`);
      const outputShape = r.prop(layer.config, 'output_shape');
      if (outputShape && outputShape.type !== 'null') return unsupported(ctx, layer, 'a MultiHeadAttention with output_shape is not supported yet by Init Inspector');
      // On (batch, steps, features) the default attention axes are (1,): over the steps, as the engine attends.
      const axesNode = r.prop(layer.config, 'attention_axes');
      const axesValue = axesNode?.type === 'array' ? (axesNode.children ?? []).map((n) => n.value) : axesNode?.type === 'number' ? [axesNode.value] : null;
      if (axesNode && axesNode.type !== 'null' && !(axesValue?.length === 1 && (axesValue[0] === 1 || axesValue[0] === -2))) {
        return unsupported(ctx, layer, `a MultiHeadAttention with attention_axes ${JSON.stringify(axesValue)} is not supported yet by Init Inspector (the steps axis, 1, is)`);
      }
      const w = weights(ctx, layer, 'kernel_initializer');
      if (!w) return undefined;
      const attention: Record<string, unknown> = { type: 'attention', name: layer.name, heads, head_dim: keyDim, init: w.init, bias: w.bias, out_bias: w.bias };
      doc.layer(attention, origin(layer, { heads: childPointer(c, 'num_heads'), head_dim: childPointer(c, 'key_dim') }));
      // EinsumDense kernels: q, k, v (d, heads, key_dim), output (heads, key_dim, d). Keras ≥ 3.15 computes their fans
      // over the contracted and the produced axes; before, from the raw shape (rank 3: fan_in = heads·d).
      const axes = /^3\.(1[5-9]|[2-9]\d)/.test(ctx.writer.version ?? '');
      ctx.deferred.push({ layer: attention, resolve: (node) => {
        const d = node.inShape[node.inShape.length - 1];
        const qkv = axes ? { fanIn: d, fanOut: heads * keyDim } : kerasFans([d, heads, keyDim]);
        const out = axes ? { fanIn: heads * keyDim, fanOut: d } : kerasFans([heads, keyDim, d]);
        attention.init = nativeInit(w.kernel.init, qkv);
        attention.out_init = nativeInit(w.kernel.init, out);
      } });
      if (!axes) ctx.notes.add(`${layer.name}'s kernels have Keras' fans from their raw EinsumDense shapes (before Keras 3.15): q, k, v (d, ${heads}, ${keyDim}) count fan_in = ${heads}·d`);
      return [attention];
    }
    case 'Activation': {
      const act = readActivation(ctx, layer);
      return act ? [doc.layer({ type: 'activation', name: layer.name, ...act }, origin(layer, { activation: childPointer(c, 'activation') }))] : undefined;
    }
    case 'Softmax':
      ctx.notes.add(`the Softmax layer ${layer.name} is left out: the report shows its input, the logits`);
      return [];
    case 'ReLU': {
      const slope = numberAt(ctx, layer, 'negative_slope', 0, { min: 0 });
      const threshold = numberAt(ctx, layer, 'threshold', 0);
      if (slope === undefined || threshold === undefined) return undefined;
      if (threshold !== 0) return unsupported(ctx, layer, `a ReLU with threshold ${threshold} is not supported yet by Init Inspector`);
      const maxValue = r.prop(layer.config, 'max_value');
      if (maxValue && maxValue.type === 'number') ctx.notes.add(`ReLU(max_value=${maxValue.value}) is read as an unbounded ReLU: at init a normalized signal rarely reaches it`);
      return [doc.layer(slope > 0 ? { type: 'activation', name: layer.name, activation: 'leaky_relu', negative_slope: slope } : { type: 'activation', name: layer.name, activation: 'relu' }, origin(layer))];
    }
    case 'LeakyReLU': {
      // Keras 2 `alpha`, Keras 3 `negative_slope` (which still reads `alpha`); default 0.3 in both.
      const key = r.prop(layer.config, 'negative_slope') ? 'negative_slope' : 'alpha';
      const slope = numberAt(ctx, layer, key, 0.3, { min: 0 });
      return slope === undefined ? undefined : [doc.layer({ type: 'activation', name: layer.name, activation: 'leaky_relu', negative_slope: slope }, origin(layer, { negative_slope: childPointer(c, key) }))];
    }
    case 'BatchNormalization':
    case 'LayerNormalization': {
      const eps = numberAt(ctx, layer, 'epsilon', 1e-3, { min: 0, exclusiveMin: true });
      if (eps === undefined) return undefined;
      for (const k of ['center', 'scale']) if (r.prop(layer.config, k)?.value === false) return unsupported(ctx, layer, `a ${layer.className} with ${k}=False is not supported yet by Init Inspector`);
      return [doc.layer({ type: layer.className === 'BatchNormalization' ? 'batchnorm' : 'layernorm', name: layer.name, eps }, origin(layer, { eps: childPointer(c, 'epsilon') }))];
    }
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'SpatialDropout2D': {
      const rate = numberAt(ctx, layer, 'rate', 0, { min: 0, max: 1, exclusiveMax: true });
      return rate === undefined ? undefined : [doc.layer({ type: 'dropout', name: layer.name, rate }, origin(layer, { rate: childPointer(c, 'rate') }))];
    }
    case 'Flatten':
      ctx.notes.add('Flatten reads the engine\'s channels-first maps (Keras flattens channels_last): the order of the features differs, their statistics do not');
      return [doc.layer({ type: 'flatten', name: layer.name }, origin(layer))];
    case 'MaxPooling1D':
    case 'AveragePooling1D':
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      // A 1-D pooling (pool_size p, strides s, default p) pools [channels, 1, steps] with a [1, p] window.
      const line = layer.className.endsWith('1D');
      if (!requireDefault(ctx, layer, 'data_format', (v) => v === 'channels_last', line ? 'the engine reads a Keras 1-D signal as channels_last (steps, channels)' : 'the engine reads Keras images as channels_last')) return undefined;
      const size = pair(ctx, layer, 'pool_size', line ? [1, 2] : [2, 2], line ? 1 : 2);
      const stridesNode = r.prop(layer.config, 'strides');
      const strides = stridesNode && stridesNode.type !== 'null' ? pair(ctx, layer, 'strides', null, line ? 1 : 2) : size;
      if (!size || !strides) return undefined;
      // "same" is TensorFlow's (⌈n/s⌉ outputs, the padded positions ignored), which the engine's pooling reads as it is.
      const padding = stringAt(ctx, layer, 'padding') ?? 'valid';
      if (padding !== 'valid' && padding !== 'same') {
        r.report(r.prop(layer.config, 'padding'), childPointer(c, 'padding'), `padding '${padding}' of a pooling layer at ${childPointer(c, 'padding')} must be 'valid' or 'same'`);
        return undefined;
      }
      return [doc.layer({ type: layer.className.startsWith('Max') ? 'maxpool2d' : 'avgpool2d', name: layer.name, size, stride: strides, padding },
        origin(layer, { size: childPointer(c, 'pool_size'), stride: childPointer(c, 'strides'), padding: childPointer(c, 'padding') }))];
    }
    case 'GlobalAveragePooling1D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling1D':
    case 'GlobalMaxPooling2D':
      // On [channels, 1, steps] (a 1-D signal) or [C, H, W]: each channel's mean or maximum over its positions.
      if (!requireDefault(ctx, layer, 'data_format', (v) => v === 'channels_last', 'the engine reads Keras images and 1-D signals as channels_last')) return undefined;
      if (!requireDefault(ctx, layer, 'keepdims', (v) => v === false, 'the engine pools to [channels]')) return undefined;
      return [doc.layer({ type: layer.className.startsWith('GlobalMax') ? 'global_max_pool' : 'global_avg_pool', name: layer.name }, origin(layer))];
    case 'ZeroPadding2D': {
      const node = r.prop(layer.config, 'padding');
      const p = childPointer(c, 'padding');
      // (1, 1) by default; a number, (h, w) or ((top, bottom), (left, right)): folded into the next conv's padding.
      let pad: [[number, number], [number, number]] | undefined = [[1, 1], [1, 1]];
      const whole = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0;
      if (node && node.type === 'number') pad = [[Number(node.value), Number(node.value)], [Number(node.value), Number(node.value)]];
      else if (node && node.type === 'array') {
        const items = (node.children ?? []).map((ch) => (ch.type === 'array' ? (ch.children ?? []).map((x) => x.value as unknown) : [ch.value as unknown, ch.value as unknown]));
        pad = items.length === 2 && items.every((i) => i.length === 2 && i.every(whole)) ? [[Number(items[0][0]), Number(items[0][1])], [Number(items[1][0]), Number(items[1][1])]] : undefined;
      }
      if (!pad) {
        r.report(node, p, `padding at ${p} must be a number, (height, width) or ((top, bottom), (left, right)) of whole numbers`);
        return undefined;
      }
      return [{ type: '__zero_padding', padding: pad, pointer: p, node: node ?? layer.entry }];
    }
    case 'Rescaling': {
      const scaleNode = r.prop(layer.config, 'scale');
      const offsetNode = r.prop(layer.config, 'offset');
      if (scaleNode?.type !== 'number' || (offsetNode && offsetNode.type !== 'number')) {
        return unsupported(ctx, layer, 'a Rescaling with a per-channel scale or offset is not supported yet by Init Inspector');
      }
      if (offsetNode && Number(offsetNode.value) !== 0) ctx.notes.add(`the offset ${offsetNode.value} of ${layer.name} is left out (it shifts the mean, which the next normalization removes)`);
      return [doc.layer({ type: 'scale', name: layer.name, factor: Number(scaleNode.value) }, origin(layer, { factor: childPointer(c, 'scale') }))];
    }
    case 'Embedding': {
      const vocab = numberAt(ctx, layer, 'input_dim', NaN, { integer: true, min: 1 });
      const units = numberAt(ctx, layer, 'output_dim', NaN, { integer: true, min: 1 });
      const table = readKerasInit(r, layer.config, c, 'embeddings_initializer', 'RandomUniform', ctx.writer);
      if (vocab === undefined || units === undefined || Number.isNaN(vocab) || Number.isNaN(units) || !table) return undefined;
      // Keras' table is (input_dim, output_dim): its fans are (input_dim, output_dim), written out explicitly.
      return [doc.layer({ type: 'embedding', name: layer.name, vocab, units, init: nativeInit(table.init, kerasFans([vocab, units])) },
        origin(layer, { init: table.pointer, vocab: childPointer(c, 'input_dim'), units: childPointer(c, 'output_dim') }))];
    }
    case 'Reshape': {
      // Keras' target shape per sample, channels_last: (h, w, c) is the engine's [c, h, w].
      const target = r.prop(layer.config, 'target_shape');
      const dims = target?.type === 'array' ? (target.children ?? []).map((n) => n.value) : [];
      if (dims.length < 1 || dims.length > 3 || !dims.every((d) => Number.isInteger(d) && (d as number) >= 1)) {
        return unsupported(ctx, layer, `a Reshape to ${JSON.stringify(dims)} is not supported yet by Init Inspector (a fixed shape of 1 to 3 dimensions is)`);
      }
      const d = dims as number[];
      // Read and written in Keras' (H, W, C) order: Reshape((H·W, C)) of a map makes each position a token.
      return [doc.layer({ type: 'reshape', name: layer.name, shape: d.length === 3 ? [d[2], d[0], d[1]] : d, order: 'channels_last' }, origin(layer, { shape: childPointer(c, 'target_shape') }))];
    }
    case 'Lambda':
      return unsupported(ctx, layer, 'a Lambda layer runs Python code, which Init Inspector never executes: its layers cannot be analyzed');
    case 'Normalization':
      // (x − mean)/√variance with the statistics adapt() found, kept in the weights: standardized data stays so.
      ctx.notes.add(`the Normalization layer ${layer.name} is read as the identity: it standardizes with the statistics adapt() found (kept in the weights), so a standardized signal passes unchanged`);
      return [];
    case 'Multiply':
      return unsupported(ctx, layer, 'a Multiply needs two or more inputs from a common ancestor in a Functional model (a squeeze-and-excitation gate)');
    case 'Conv3D':
    case 'Conv2DTranspose':
    case 'LSTM':
    case 'GRU':
      return unsupported(ctx, layer, `the Keras layer ${layer.className} is not supported yet by Init Inspector`);
    default:
      return unsupported(ctx, layer, `unknown Keras layer '${layer.className}' (a custom or unsupported layer: Init Inspector reads Keras' built-in layers)`);
  }
}

/**
 * Folds each pending zero padding into the Conv2D right after it (whose own padding must be `valid`); reports one
 * that cannot be folded. Recurses into residual branches.
 */
export function foldPadding(ctx: KerasContext, layers: (object | PendingPadding)[]): object[] | undefined {
  const out: object[] = [];
  let ok = true;
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i] as { type?: string; layers?: (object | PendingPadding)[]; padding?: unknown };
    if (l.type === '__zero_padding') {
      const pad = l as PendingPadding;
      const next = layers[i + 1] as { type?: string; padding?: unknown } | undefined;
      if (next?.type === 'conv2d' && next.padding === 'valid') {
        const [[t, b], [l, rr]] = pad.padding;
        next.padding = t === b && l === rr ? [t, l] : pad.padding;
        continue;
      }
      ctx.r.report(pad.node, pad.pointer, `the ZeroPadding2D at ${pad.pointer} is not followed by a Conv2D with padding 'valid', into which Init Inspector folds it: not supported yet`);
      ok = false;
      continue;
    }
    if (l.type === 'residual' && Array.isArray(l.layers)) {
      const inner = foldPadding(ctx, l.layers);
      if (!inner) ok = false;
      else l.layers.splice(0, l.layers.length, ...inner);
    }
    const branches = (l as { branches?: (object | PendingPadding)[][] }).branches;
    if (l.type === 'concatenate' && branches) {
      for (const branch of branches) {
        const inner = foldPadding(ctx, branch);
        if (!inner) ok = false;
        else branch.splice(0, branch.length, ...inner);
      }
    }
    out.push(l);
  }
  return ok ? out : undefined;
}
