import type { Node } from 'jsonc-parser';
import { GAIN_NONLINEARITIES } from '../init/gain';
import { BIAS_SCHEMES, INIT_ALIASES, INIT_OPTIONS, INIT_SCHEMES, type InitOptions, type InitScheme, type InitSpec, OBJECT_ONLY_SCHEMES } from '../init/initSpec';
import type { Reader } from './reader';
import { childPointer } from './problem';

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
  set('mean', num('mean'));
  set('std', num('std', { min: 0 }));
  set('low', num('low'));
  set('high', num('high'));
  set('a', num('a'));
  set('b', num('b'));
  set('value', num('value'));
  set('gain', num('gain', { min: 0 }));
  set('scale', num('scale', { min: 0, exclusiveMin: true }));
  if (allowed.includes('mode')) {
    const modes = scheme === 'variance_scaling' ? (['fan_in', 'fan_out', 'fan_avg'] as const) : (['fan_in', 'fan_out'] as const);
    set('mode', r.oneOf(r.prop(node, 'mode'), at('mode'), 'mode', modes));
  }
  if (allowed.includes('nonlinearity')) set('nonlinearity', r.oneOf(r.prop(node, 'nonlinearity'), at('nonlinearity'), 'nonlinearity', GAIN_NONLINEARITIES, { conv1d: 'conv2d', conv3d: 'conv2d' }));
  if (allowed.includes('distribution')) set('distribution', r.oneOf(r.prop(node, 'distribution'), at('distribution'), 'distribution', ['truncated_normal', 'untruncated_normal', 'uniform'] as const));
  const multiplier = r.number(r.prop(node, 'multiplier'), at('multiplier'), 'multiplier') ?? 1;
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
