import { findNodeAtLocation, type Node } from 'jsonc-parser';
import { pointerSegments } from '../../format/pointer';
import { KERAS_TRUNCATION_STD } from '../../init/resolveInit';
import type { Finding, Fix } from '../../report/report';
import type { PointerMap } from '../nativeDocument';
import type { KerasContext } from './kerasLayers';
import type { KerasWriter } from './kerasWriter';

/** A Keras initializer to write: its class and config (`seed` added for the random ones). */
interface KerasValue {
  className: string;
  config: Record<string, number | string | null>;
}

const RANDOM = new Set(['GlorotUniform', 'GlorotNormal', 'HeUniform', 'HeNormal', 'LecunUniform', 'LecunNormal', 'VarianceScaling', 'RandomNormal', 'RandomUniform', 'TruncatedNormal', 'Orthogonal']);

/** The variance scaling each named class is: (scale, mode, distribution). */
const SCALINGS: Readonly<Record<string, [number, string, string]>> = {
  GlorotUniform: [1, 'fan_avg', 'uniform'], GlorotNormal: [1, 'fan_avg', 'truncated_normal'], HeUniform: [2, 'fan_in', 'uniform'],
  HeNormal: [2, 'fan_in', 'truncated_normal'], LecunUniform: [1, 'fan_in', 'uniform'], LecunNormal: [1, 'fan_in', 'truncated_normal'],
};

/**
 * The Keras initializer that draws what an init in the engine's format asks for, with Keras' fans (which equal the
 * engine's for Dense and Conv2D): kaiming_normal(relu) → HeNormal (Keras' truncated normal has the same std), a
 * leaky slope a → VarianceScaling(2/(1 + a²), fan_in), xavier_* → Glorot*, lecun_* → Lecun*, normal → RandomNormal,
 * uniform → RandomUniform, zeros/ones/constant, orthogonal, variance_scaling; a multiplier m scales `scale` by m² or
 * `stddev` by m. Null for an init Keras cannot write.
 */
export function kerasValueOf(value: unknown): KerasValue | null {
  const v: Record<string, unknown> = typeof value === 'string' ? { scheme: value } : typeof value === 'object' && value !== null ? value as Record<string, unknown> : {};
  const m = typeof v.multiplier === 'number' ? v.multiplier : 1;
  const num = (k: string, d: number): number => (typeof v[k] === 'number' ? v[k] as number : d);
  const scaled = (scale: number, mode: string, distribution: string): KerasValue => {
    const named = Object.entries(SCALINGS).find(([, s]) => s[0] === scale * m * m && s[1] === mode && s[2] === distribution);
    return named ? { className: named[0], config: {} } : { className: 'VarianceScaling', config: { scale: Number((scale * m * m).toPrecision(6)), mode, distribution } };
  };
  switch (v.scheme) {
    case 'kaiming_normal':
    case 'kaiming_uniform': {
      const leaky = v.nonlinearity === 'leaky_relu' || v.nonlinearity === undefined ? num('a', 0) : 0;
      const linear = v.nonlinearity !== undefined && v.nonlinearity !== 'relu' && v.nonlinearity !== 'leaky_relu';
      if (linear) return null;
      return scaled(2 / (1 + leaky * leaky), v.mode === 'fan_out' ? 'fan_out' : 'fan_in', v.scheme === 'kaiming_normal' ? 'truncated_normal' : 'uniform');
    }
    case 'xavier_normal': case 'xavier_uniform': {
      const g = num('gain', 1);
      return scaled(g * g, 'fan_avg', v.scheme === 'xavier_normal' ? 'truncated_normal' : 'uniform');
    }
    case 'lecun_normal': return scaled(1, 'fan_in', 'truncated_normal');
    case 'lecun_uniform': return scaled(1, 'fan_in', 'uniform');
    case 'variance_scaling': return scaled(num('scale', 1), String(v.mode ?? 'fan_in'), String(v.distribution ?? 'truncated_normal'));
    case 'normal': return { className: 'RandomNormal', config: { mean: num('mean', 0) * m, stddev: Number((num('std', 1) * Math.abs(m)).toPrecision(6)) } };
    case 'uniform': return { className: 'RandomUniform', config: { minval: num('low', 0) * m, maxval: num('high', 1) * m } };
    case 'zeros': return { className: 'Zeros', config: {} };
    case 'ones': return m === 1 ? { className: 'Ones', config: {} } : { className: 'Constant', config: { value: m } };
    case 'constant': return { className: 'Constant', config: { value: num('value', 0) * m } };
    case 'orthogonal': return { className: 'Orthogonal', config: { gain: num('gain', 1) * Math.abs(m) } };
    default: return null;
  }
}

/** Whether a Keras version has the initializer classes (`HeNormal`…): tf.keras (2.4+, or "-tf") and Keras 3; standalone Keras ≤ 2.3.1 had functions. */
function hasClasses(writer: KerasWriter): boolean {
  if (writer.flavour === 'keras3') return true;
  if (writer.flavour === 'tfjs' || writer.version === null) return writer.flavour !== 'tfjs';
  const m = /^2\.(\d+)/.exec(writer.version);
  return writer.version.includes('-tf') || (m !== null && Number(m[1]) >= 4);
}

/**
 * A Keras value written as the file's writer reads it: Keras 3 and tf.keras 2.13+ as `{module, class_name, config,
 * registered_name}`; tf.keras as `{class_name, config}`; standalone Keras ≤ 2.3.1 and TF.js through the classes
 * every version has (`VarianceScaling` with distribution "normal", whose scale is divided by 0.8796² where the writer
 * does not correct the truncation, so the std is the one asked); a snake_case name where the file wrote a name.
 */
export function writeKerasValue(k: KerasValue, writer: KerasWriter, current: Node | null): unknown {
  let { className, config } = k;
  if (!hasClasses(writer) && SCALINGS[className]) {
    const [scale, mode, distribution] = SCALINGS[className];
    config = { scale, mode, distribution };
    className = 'VarianceScaling';
  }
  if (className === 'VarianceScaling' && (writer.flavour === 'tfjs' || !hasClasses(writer)) && config.distribution !== 'uniform') {
    // These writers know "normal" (truncated) and "uniform"; "normal" is uncorrected in TF.js and Keras ≤ 2.1.6.
    const scale = Number(config.scale ?? 1);
    config = { ...config, distribution: 'normal', scale: writer.truncationCorrected ? scale : Number((scale / (KERAS_TRUNCATION_STD * KERAS_TRUNCATION_STD)).toPrecision(6)) };
  }
  if (current?.type === 'string' && Object.keys(config).length === 0 && hasClasses(writer)) return className.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  const full = RANDOM.has(className) ? { ...config, seed: null } : config;
  return writer.moduleKeys ? { module: 'keras.initializers', class_name: className, config: full, registered_name: null } : { class_name: className, config: full };
}

/**
 * A finding made on the network generated from a Keras file, in the file's terms: its pointers are the Keras layers'
 * keys (a kernel initializer for an init), and its fix, which names inits of the generated network, becomes the
 * Keras initializer that draws the same std in the file's own version (`writeKerasValue`); a std alone becomes the
 * initializer's `stddev` when the file has one. A fix with no Keras equivalent is given in words.
 */
export function translateKerasFinding(finding: Finding, map: PointerMap, ctx: KerasContext, root: Node): Finding {
  const candidates = [finding.fix, ...finding.alternatives].filter((f): f is Fix => f !== null);
  const translated: Fix[] = [];
  const untranslated: string[] = [];
  for (const fix of candidates) {
    const edits = [{ path: fix.path, value: fix.value }, ...(fix.also ?? [])].map((e) => translateEdit(e.path, e.value, map, ctx, root));
    if (edits.every((e) => e !== null)) {
      const [first, ...also] = edits as { path: string; value: unknown }[];
      translated.push({ description: `${fix.description} (as ${describe(first.value)})`, path: first.path, value: first.value, ...(fix.std !== undefined ? { std: fix.std } : {}), ...(also.length > 0 ? { also } : {}) });
    } else untranslated.push(fix.description);
  }
  const message = translated.length === 0 && untranslated.length > 0 ? `${finding.message}. Not a Keras config value: ${untranslated.join('; or ')}` : finding.message;
  return {
    ...finding,
    path: map.toSource(finding.path),
    related: finding.related.map((r) => ({ ...r, path: map.toSource(r.path) })),
    message,
    fix: translated[0] ?? null,
    alternatives: translated.slice(1),
  };
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `"${value}"`;
  const v = value as { class_name?: string; config?: Record<string, unknown> };
  const cfg = Object.entries(v.config ?? {}).filter(([k]) => k !== 'seed').map(([k, x]) => `${k}=${JSON.stringify(x)}`).join(', ');
  return `${v.class_name}(${cfg})`;
}

/** One edit of a native fix as an edit of the Keras file, or null. */
function translateEdit(path: string, value: unknown, map: PointerMap, ctx: KerasContext, root: Node): { path: string; value: unknown } | null {
  const at = map.originAt(path);
  if (!at || at.property === null) return null;
  const rest = path.slice(at.layerPointer.length + 1 + at.property.length);
  let key: string | undefined;
  let sub: string;
  if (at.property === 'init') { key = at.origin.keys?.init; sub = rest; } else if (at.property === 'shortcut' && rest.startsWith('/init')) { key = at.origin.keys?.shortcut; sub = rest.slice('/init'.length); } else return null;
  if (!key) return null;
  const current = nodeAtPointer(root, key);
  if (sub === '/std' && typeof value === 'number') {
    const cls = current?.type === 'object' ? current.children?.find((p) => p.children?.[0]?.value === 'class_name')?.children?.[1]?.value : undefined;
    if (cls === 'RandomNormal' || cls === 'TruncatedNormal') return { path: `${key}/config/stddev`, value };
    return { path: key, value: writeKerasValue({ className: 'RandomNormal', config: { mean: 0, stddev: value } }, ctx.writer, current ?? null) };
  }
  if (sub !== '') return null;
  const k = kerasValueOf(value);
  const v = at.origin.values;
  return k ? { path: key, value: writeKerasValue(v?.keras_fan_in !== undefined ? withKerasFans(k, v) : k, ctx.writer, current ?? null) } : null;
}

/**
 * A variance scaling asked for with the engine's fans, rewritten for a kernel whose Keras fans differ (a depthwise
 * kernel (kh, kw, C, m): Keras' fan_in kh·kw·C, the engine's kh·kw): VarianceScaling with scale × n_keras/n_engine for
 * the mode's n, which draws the same std in Keras. Other draws do not depend on fans.
 */
function withKerasFans(k: KerasValue, v: Readonly<Record<string, number>>): KerasValue {
  const scaling = SCALINGS[k.className] ?? (k.className === 'VarianceScaling' ? [Number(k.config.scale ?? 1), String(k.config.mode ?? 'fan_in'), String(k.config.distribution ?? 'truncated_normal')] as const : null);
  if (!scaling) return k;
  const [scale, mode, distribution] = scaling;
  const n = (fanIn: number, fanOut: number): number => (mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2);
  const ratio = n(v.keras_fan_in, v.keras_fan_out) / n(v.fan_in, v.fan_out);
  return { className: 'VarianceScaling', config: { scale: Number((scale * ratio).toPrecision(6)), mode, distribution } };
}

/** The node at a JSON pointer of a parsed document, or undefined. */
export function nodeAtPointer(root: Node, pointer: string): Node | undefined {
  return findNodeAtLocation(root, pointerSegments(pointer).map((s) => (/^\d+$/.test(s) ? Number(s) : s)));
}
