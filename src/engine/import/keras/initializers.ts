import type { Node } from 'jsonc-parser';
import { childPointer } from '../../format/problem';
import type { Reader } from '../../format/reader';
import { KERAS_TRUNCATION_STD } from '../../init/resolveInit';
import type { KerasWriter } from './kerasWriter';

/**
 * A Keras (or TF.js) initializer as the framework draws it, every alias resolved to one of these draws
 * (`keras.initializers`, Keras 3 `random_initializers.py`/`constant_initializers.py`; tf-keras `initializers.py`;
 * TF.js `tfjs-layers/src/initializers.ts`):
 * - `variance_scaling`: s = scale/max(1, n), n = fan_in, fan_out or their mean; `uniform` U(±√(3s));
 *   `untruncated_normal` N(0, s); `truncated_normal` a normal re-drawn beyond ±2σ with σ = √s/0.87962566103423978
 *   when the writer corrects the truncation (Keras ≥ 2.2.0, tf.keras, Keras 3), σ = √s when it does not (standalone
 *   Keras ≤ 2.1.6, TF.js), whose actual std is then 0.8796·√s. Glorot*, He*, Lecun* are this with (1, fan_avg),
 *   (2, fan_in), (1, fan_in).
 * - `normal` (RandomNormal, default stddev 0.05), `uniform` (RandomUniform, default ±0.05), `truncated` (TruncatedNormal:
 *   N(mean, stddev²) re-drawn beyond ±2·stddev, no correction), `constant` (Zeros, Ones, Constant), `orthogonal`.
 */
export type KerasInit =
  | { kind: 'variance_scaling'; scale: number; mode: 'fan_in' | 'fan_out' | 'fan_avg'; distribution: 'truncated_normal' | 'untruncated_normal' | 'uniform'; corrected: boolean }
  | { kind: 'normal'; mean: number; std: number }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'truncated'; mean: number; std: number }
  | { kind: 'constant'; value: number }
  | { kind: 'orthogonal'; gain: number };

/** A Keras initializer read from a file: its draw, the class it names and where it is (null: the layer's default). */
export interface ReadInit {
  init: KerasInit;
  className: string;
  /** Pointer of the initializer in the file (present or not: a fix inserts it there). */
  pointer: string;
  /** The node as written (a string alias or an object), or null when the key is absent. */
  node: Node | null;
}

/** Canonical class names by their key: the class name or snake/camel-case alias, without underscores, lower case. */
const CLASSES: Readonly<Record<string, string>> = Object.fromEntries([
  'GlorotUniform', 'GlorotNormal', 'HeUniform', 'HeNormal', 'LecunUniform', 'LecunNormal', 'VarianceScaling',
  'RandomNormal', 'RandomUniform', 'TruncatedNormal', 'Zeros', 'Ones', 'Constant', 'Orthogonal', 'Identity',
].map((c) => [c.toLowerCase(), c]).concat([
  ['normal', 'RandomNormal'], ['uniform', 'RandomUniform'], ['zero', 'Zeros'], ['one', 'Ones'],
  ['orthogonalinitializer', 'Orthogonal'], ['identityinitializer', 'Identity'], ['zerosinitializer', 'Zeros'],
]));

/** The canonical Keras class an identifier names (`glorot_uniform`, `GlorotUniform`, TF.js `glorotUniform`), or null. */
export function kerasInitClass(identifier: string): string | null {
  return CLASSES[identifier.replace(/_/g, '').toLowerCase()] ?? null;
}

const FAN_MODES = ['fan_in', 'fan_out', 'fan_avg'] as const;

/**
 * Reads the initializer at `key` of a layer's config (a string identifier or `{class_name, config}`), or the layer's
 * default class when absent or null. Reports an unknown class, an `Identity` (not supported yet) and bad config values
 * at their location; returns null then.
 */
export function readKerasInit(r: Reader, config: Node, configPointer: string, key: string, defaultClass: string, writer: KerasWriter): ReadInit | null {
  const pointer = childPointer(configPointer, key);
  const node = r.prop(config, key);
  if (!node || node.type === 'null') return { init: initOf(defaultClass, {}, writer), className: defaultClass, pointer, node: null };
  let identifier: string | undefined;
  let cfg: Node | undefined;
  if (node.type === 'string') identifier = String(node.value);
  else if (node.type === 'object') {
    identifier = r.string(r.prop(node, 'class_name'), childPointer(pointer, 'class_name'), 'the initializer class_name');
    cfg = r.prop(node, 'config');
    if (identifier === undefined) return null;
  } else {
    r.report(node, pointer, `${key} at ${pointer} must be an initializer name or { "class_name": …, "config": … }`);
    return null;
  }
  const className = kerasInitClass(identifier);
  const namePointer = node.type === 'object' ? childPointer(pointer, 'class_name') : pointer;
  const nameNode = node.type === 'object' ? r.prop(node, 'class_name') : node;
  if (className === null) {
    r.report(nameNode, namePointer, `unknown Keras initializer '${identifier}' at ${namePointer}; expected one of: ${[...new Set(Object.values(CLASSES))].join(', ')} (or their snake_case names)`);
    return null;
  }
  if (className === 'Identity') {
    r.report(nameNode, namePointer, `the Identity initializer at ${namePointer} is not supported yet by Init Inspector`);
    return null;
  }
  const values: Record<string, number | string> = {};
  const cfgPointer = childPointer(pointer, 'config');
  for (const k of ['mean', 'stddev', 'minval', 'maxval', 'value', 'gain', 'scale']) {
    const v = cfg?.type === 'object' ? r.prop(cfg, k) : undefined;
    if (v && v.type !== 'null') {
      const n = r.number(v, childPointer(cfgPointer, k), k, k === 'stddev' || k === 'gain' ? { min: 0 } : k === 'scale' ? { min: 0, exclusiveMin: true } : {});
      if (n === undefined) return null;
      values[k] = n;
    }
  }
  if (cfg?.type === 'object') {
    const mode = r.prop(cfg, 'mode');
    if (mode) {
      // TF.js writes camelCase modes in memory (fanAvg); accept both spellings.
      const m = r.oneOf(mode, childPointer(cfgPointer, 'mode'), 'mode', FAN_MODES, { fanIn: 'fan_in', fanOut: 'fan_out', fanAvg: 'fan_avg' });
      if (m === undefined) return null;
      values.mode = m;
    }
    const dist = r.prop(cfg, 'distribution');
    if (dist) {
      const d = r.oneOf(dist, childPointer(cfgPointer, 'distribution'), 'distribution', ['truncated_normal', 'untruncated_normal', 'uniform', 'normal'] as const);
      if (d === undefined) return null;
      values.distribution = d;
    }
  }
  return { init: initOf(className, values, writer), className, pointer, node };
}

/** The draw of a Keras class with its config values (Keras' defaults for the rest). */
export function initOf(className: string, v: Record<string, number | string>, writer: KerasWriter): KerasInit {
  const corrected = writer.truncationCorrected;
  const num = (k: string, d: number): number => (typeof v[k] === 'number' ? (v[k] as number) : d);
  switch (className) {
    case 'GlorotUniform': return { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform', corrected };
    case 'GlorotNormal': return { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'truncated_normal', corrected };
    case 'HeUniform': return { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'uniform', corrected };
    case 'HeNormal': return { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'truncated_normal', corrected };
    case 'LecunUniform': return { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'uniform', corrected };
    case 'LecunNormal': return { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'truncated_normal', corrected };
    case 'VarianceScaling': {
      // "normal" is Keras' old name of truncated_normal (and TF.js' only normal); the default is truncated_normal.
      const d = v.distribution === 'normal' || v.distribution === undefined ? 'truncated_normal' : (v.distribution as 'untruncated_normal' | 'uniform' | 'truncated_normal');
      return { kind: 'variance_scaling', scale: num('scale', 1), mode: (v.mode as 'fan_in' | 'fan_out' | 'fan_avg' | undefined) ?? 'fan_in', distribution: d, corrected };
    }
    case 'RandomNormal': return { kind: 'normal', mean: num('mean', 0), std: num('stddev', 0.05) };
    case 'RandomUniform': return { kind: 'uniform', low: num('minval', -0.05), high: num('maxval', 0.05) };
    case 'TruncatedNormal': return { kind: 'truncated', mean: num('mean', 0), std: num('stddev', 0.05) };
    case 'Zeros': return { kind: 'constant', value: 0 };
    case 'Ones': return { kind: 'constant', value: 1 };
    case 'Constant': return { kind: 'constant', value: num('value', 0) };
    case 'Orthogonal': return { kind: 'orthogonal', gain: num('gain', 1) };
    default: throw new Error(`no draw for the Keras initializer ${className}`);
  }
}

/**
 * Keras' `compute_fans(shape)` (Keras 3 `keras/src/initializers/random_initializers.py`, tf-keras `_compute_fans`,
 * TF.js `computeFans`): rank 0 → (1, 1); rank 1 → (n, n); rank 2 → (shape[0], shape[1]); rank ≥ 3 → receptive =
 * ∏shape[:−2], fan_in = shape[−2]·receptive, fan_out = shape[−1]·receptive, on the kernel in Keras' layout (HWIO for
 * convolutions, (d, heads, key_dim) for an EinsumDense query kernel, which makes its fans naive).
 */
export function kerasFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

/** The std of the values an initializer draws for a kernel with Keras' fans (the truncation's 0.8796 included). */
export function kerasInitStd(init: KerasInit, fans: { fanIn: number; fanOut: number }, rows = 1): number {
  switch (init.kind) {
    case 'variance_scaling': {
      const s = varianceOf(init, fans);
      return init.distribution === 'truncated_normal' && !init.corrected ? Math.sqrt(s) * KERAS_TRUNCATION_STD : Math.sqrt(s);
    }
    case 'normal': return init.std;
    case 'uniform': return (init.high - init.low) / Math.sqrt(12);
    case 'truncated': return init.std * KERAS_TRUNCATION_STD;
    case 'constant': return 0;
    case 'orthogonal': return init.gain / Math.sqrt(Math.max(rows, fans.fanIn));
  }
}

function varianceOf(init: Extract<KerasInit, { kind: 'variance_scaling' }>, fans: { fanIn: number; fanOut: number }): number {
  const n = init.mode === 'fan_in' ? fans.fanIn : init.mode === 'fan_out' ? fans.fanOut : (fans.fanIn + fans.fanOut) / 2;
  return init.scale / Math.max(1, n);
}

/**
 * The init in the engine's format. Without `fans` it is a scheme the engine resolves with its own fans (right for
 * `Dense` and `Conv2D`, whose Keras fans, HWIO, equal PyTorch's, OIHW): Glorot uniform → xavier_uniform, He uniform →
 * kaiming_uniform, Lecun uniform → lecun_uniform, Lecun normal (corrected) → lecun_normal, any other variance scaling
 * → variance_scaling (a truncated normal the writer does not correct carries the multiplier 0.8796, which gives it the
 * writer's σ = √s), RandomNormal → normal, RandomUniform → uniform, TruncatedNormal → truncated_normal with absolute
 * bounds mean ± 2·stddev. With `fans` (Keras' own, for kernels whose layout differs from the engine's) the variance
 * scalings are written as the explicit distribution they draw.
 */
export function nativeInit(init: KerasInit, fans?: { fanIn: number; fanOut: number }): string | Record<string, number | string> {
  switch (init.kind) {
    case 'variance_scaling': {
      const uncorrected = init.distribution === 'truncated_normal' && !init.corrected;
      if (fans) {
        const s = varianceOf(init, fans);
        if (init.distribution === 'uniform') return { scheme: 'uniform', low: -Math.sqrt(3 * s), high: Math.sqrt(3 * s) };
        if (init.distribution === 'untruncated_normal') return { scheme: 'normal', mean: 0, std: Math.sqrt(s) };
        const sigma = uncorrected ? Math.sqrt(s) : Math.sqrt(s) / KERAS_TRUNCATION_STD;
        return { scheme: 'truncated_normal', mean: 0, std: sigma, a: -2 * sigma, b: 2 * sigma };
      }
      const { scale, mode, distribution } = init;
      if (distribution === 'uniform' && scale === 1 && mode === 'fan_avg') return 'xavier_uniform';
      if (distribution === 'uniform' && scale === 2 && mode === 'fan_in') return 'kaiming_uniform';
      if (distribution === 'uniform' && scale === 1 && mode === 'fan_in') return 'lecun_uniform';
      if (distribution === 'truncated_normal' && scale === 1 && mode === 'fan_in' && !uncorrected) return 'lecun_normal';
      return { scheme: 'variance_scaling', scale, mode, distribution, ...(uncorrected ? { multiplier: KERAS_TRUNCATION_STD } : {}) };
    }
    case 'normal': return { scheme: 'normal', mean: init.mean, std: init.std };
    case 'uniform': return { scheme: 'uniform', low: init.low, high: init.high };
    case 'truncated': return { scheme: 'truncated_normal', mean: init.mean, std: init.std, a: init.mean - 2 * init.std, b: init.mean + 2 * init.std };
    case 'constant': return init.value === 0 ? 'zeros' : init.value === 1 ? 'ones' : { scheme: 'constant', value: init.value };
    case 'orthogonal': return { scheme: 'orthogonal', gain: init.gain };
  }
}

/** A short description of a Keras draw: "VarianceScaling(2, fan_in, truncated_normal)", "RandomNormal(0, 0.05)". */
export function describeKerasInit(r: ReadInit): string {
  const i = r.init;
  switch (i.kind) {
    case 'variance_scaling': return `${r.className}${r.className === 'VarianceScaling' ? `(${i.scale}, ${i.mode}, ${i.distribution})` : ''}`;
    case 'normal': return `RandomNormal(mean ${i.mean}, stddev ${i.std})`;
    case 'uniform': return `RandomUniform(${i.low}, ${i.high})`;
    case 'truncated': return `TruncatedNormal(mean ${i.mean}, stddev ${i.std})`;
    case 'constant': return r.className === 'Constant' ? `Constant(${i.value})` : r.className;
    case 'orthogonal': return `Orthogonal(gain ${i.gain})`;
  }
}
