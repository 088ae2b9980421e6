import type { Node } from 'jsonc-parser';
import { GAIN_NONLINEARITIES } from '../init/gain';
import { BIAS_SCHEMES, INIT_ALIASES, INIT_OPTIONS, INIT_SCHEMES, type InitOptions, type InitScheme, type InitSpec, OBJECT_ONLY_SCHEMES } from '../init/initSpec';
import { KERAS_TRUNCATION_STD } from '../init/resolveInit';
import type { Reader } from './reader';
import { childPointer } from './problem';

/** The largest finite float32, (2 − 2⁻²³)·2¹²⁷: weights and inputs are float32 tensors, so larger values overflow. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Whether `value` rounds to a finite float32 (|value| below the rounding midpoint past `FLOAT32_MAX`). */
export function fitsFloat32(value: number): boolean {
  return Number.isFinite(Math.fround(value));
}

/**
 * Reports `value` (read at `node`, pointer `path`) when its float32 rounding overflows; returns whether it fits.
 * `what` names the number for the message ("std", "std × multiplier").
 */
export function checkFloat32(r: Reader, node: Node | undefined, path: string, what: string, value: number, detail = ''): boolean {
  if (fitsFloat32(value)) return true;
  r.report(node, path, `${what} at ${path} must fit in float32 (magnitude at most ${FLOAT32_MAX}, the largest float32), got ${value}${detail}`);
  return false;
}

/**
 * The options whose value, times the multiplier, becomes a sampled number (a mean, a std, a bound, a constant), with
 * the defaults `resolveInit` uses, and for `gain` and `scale` the largest weight magnitude they imply per unit:
 * √3·gain (xavier_uniform's bound with fanIn + fanOut ≥ 2), 2√scale/0.8796 (variance_scaling's truncation bound).
 */
const SCALED_OPTIONS: readonly { key: keyof InitOptions; fallback: number; factor: (v: number) => number; what: string }[] = [
  { key: 'mean', fallback: 0, factor: (v) => v, what: 'mean × multiplier' },
  { key: 'std', fallback: 1, factor: (v) => v, what: 'std × multiplier' },
  { key: 'low', fallback: 0, factor: (v) => v, what: 'low × multiplier' },
  { key: 'high', fallback: 1, factor: (v) => v, what: 'high × multiplier' },
  { key: 'a', fallback: -2, factor: (v) => v, what: 'a × multiplier' },
  { key: 'b', fallback: 2, factor: (v) => v, what: 'b × multiplier' },
  { key: 'value', fallback: 0, factor: (v) => v, what: 'value × multiplier' },
  { key: 'gain', fallback: 1, factor: (v) => Math.sqrt(3) * v, what: 'the weight bound √3·gain × multiplier' },
  { key: 'scale', fallback: 1, factor: (v) => (2 * Math.sqrt(v)) / KERAS_TRUNCATION_STD, what: 'the weight bound 2√scale/0.8796 × multiplier' },
];

/** Reads a `bias`: false for none, true for zeros, or an init restricted to the schemes a 1-D tensor can take. */
export function readBias(r: Reader, node: Node, path: string, source: InitSpec['source']): InitSpec | null | undefined {
  if (node.type === 'boolean') {
    if (node.value === false) return null;
    return { scheme: 'zeros', options: {}, multiplier: 1, path, source };
  }
  return readInit(r, node, path, source, 'bias');
}

/** Reads an init: a scheme name, or `{ "scheme": S, …options }` with only the options S accepts. */
export function readInit(r: Reader, node: Node, path: string, source: InitSpec['source'], role: 'weight' | 'bias'): InitSpec | undefined {
  const validFor = role === 'bias' ? BIAS_SCHEMES : INIT_SCHEMES;
  const stringSchemes = validFor.filter((s) => !OBJECT_ONLY_SCHEMES.includes(s));
  if (node.type === 'string') {
    const scheme = r.oneOf<InitScheme>(node, path, `${role} init`, stringSchemes, role === 'weight' ? INIT_ALIASES : {});
    if (scheme === undefined) return undefined;
    return { scheme, options: {}, multiplier: 1, path, source };
  }
  if (node.type !== 'object') {
    r.report(node, path, `${role} init at ${path} must be a scheme name or an object { "scheme": … }; expected one of: ${stringSchemes.join(', ')}`);
    return undefined;
  }
  const schemeNode = r.prop(node, 'scheme');
  if (!schemeNode) {
    r.report(node, path, `missing required property "scheme" in the init at ${path}; expected one of: ${validFor.join(', ')}`);
    return undefined;
  }
  const scheme = r.oneOf<InitScheme>(schemeNode, childPointer(path, 'scheme'), `${role} init scheme`, validFor, role === 'weight' ? INIT_ALIASES : {});
  if (scheme === undefined) return undefined;
  const allowed = INIT_OPTIONS[scheme];
  r.checkKeys(node, path, ['scheme', 'multiplier', ...allowed], `${scheme} init`);
  const at = (k: string): string => childPointer(path, k);
  const num = (k: keyof InitOptions, bounds = {}): number | undefined =>
    allowed.includes(k) ? r.number(r.prop(node, k), at(k), k, bounds) : undefined;
  const options: InitOptions = {};
  const set = <K extends keyof InitOptions>(k: K, v: InitOptions[K] | undefined): void => { if (v !== undefined) options[k] = v; };
  // Every number must fit in float32 (the tensors' type); kaiming's `a` is a slope, any finite value is harmless.
  const numF32 = (k: keyof InitOptions, bounds = {}): number | undefined => {
    const v = num(k, bounds);
    return v === undefined || (k === 'a' && scheme !== 'truncated_normal') || checkFloat32(r, r.prop(node, k), at(k), k, v) ? v : undefined;
  };
  set('mean', numF32('mean'));
  set('std', numF32('std', { min: 0 }));
  set('low', numF32('low'));
  set('high', numF32('high'));
  set('a', numF32('a'));
  set('b', numF32('b'));
  set('value', numF32('value'));
  set('gain', numF32('gain', { min: 0 }));
  set('scale', num('scale', { min: 0, exclusiveMin: true }));
  if (allowed.includes('mode')) {
    const modes = scheme === 'variance_scaling' ? (['fan_in', 'fan_out', 'fan_avg'] as const) : (['fan_in', 'fan_out'] as const);
    set('mode', r.oneOf(r.prop(node, 'mode'), at('mode'), 'mode', modes));
  }
  if (allowed.includes('nonlinearity')) set('nonlinearity', r.oneOf(r.prop(node, 'nonlinearity'), at('nonlinearity'), 'nonlinearity', GAIN_NONLINEARITIES, { conv1d: 'conv2d', conv3d: 'conv2d' }));
  if (allowed.includes('distribution')) set('distribution', r.oneOf(r.prop(node, 'distribution'), at('distribution'), 'distribution', ['truncated_normal', 'untruncated_normal', 'uniform'] as const));
  const multiplierNode = r.prop(node, 'multiplier');
  const declared = r.number(multiplierNode, at('multiplier'), 'multiplier');
  const multiplier = declared !== undefined && checkFloat32(r, multiplierNode, at('multiplier'), 'multiplier', declared) ? declared : 1;
  // The sampled values are option × multiplier (or a bound implied by gain or scale): each must fit in float32 too,
  // blamed on the option when declared, else on the multiplier that pushes its default over.
  for (const o of SCALED_OPTIONS) {
    if (!allowed.includes(o.key) || (o.key === 'a' && scheme !== 'truncated_normal')) continue;
    const own = options[o.key];
    const v = typeof own === 'number' ? own : o.fallback;
    const blamed = typeof own === 'number' ? o.key : 'multiplier';
    if (!checkFloat32(r, r.prop(node, blamed) ?? node, r.prop(node, blamed) ? at(blamed) : path, o.what, o.factor(v) * multiplier, ` (${o.key}=${v}, multiplier=${multiplier})`)) break;
  }
  if (scheme === 'constant' && !r.prop(node, 'value')) r.report(node, path, `missing required property "value" in the constant init at ${path}`);
  if (scheme === 'uniform' && (options.low ?? 0) > (options.high ?? 1)) {
    r.report(node, path, `uniform init at ${path} needs low <= high, got low=${options.low ?? 0}, high=${options.high ?? 1}`);
  }
  if (scheme === 'truncated_normal') {
    const a = options.a ?? -2;
    const b = options.b ?? 2;
    if (a >= b) r.report(node, path, `truncated_normal init at ${path} needs a < b, got a=${a}, b=${b}`);
  }
  return { scheme, options, multiplier, path, source };
}
