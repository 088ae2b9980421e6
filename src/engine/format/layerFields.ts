import type { Node } from 'jsonc-parser';
import { ACTIVATION_NAMES, type ActivationName } from '../math/activation';
import type { InitSpec } from '../init/initSpec';
import type { ActivationRef } from './networkSpec';
import { childPointer } from './problem';
import type { Reader } from './reader';

/** The network's `defaults`: what dense and conv2d layers (and projection shortcuts) take when they set nothing. */
export interface Defaults {
  init?: InitSpec;
  bias?: InitSpec | null;
  activation?: ActivationRef;
}

/** PyTorch's default init (`kaiming_uniform_(a=√5)`), assumed where nothing was declared; `path` is the layer's. */
export function assumedInit(path: string): InitSpec {
  return { scheme: 'pytorch_default', options: {}, multiplier: 1, path, source: 'assumed' };
}

/**
 * Reads `activation` and `negative_slope` of an object (aliases: identity and none for linear, swish for silu);
 * undefined when `activation` is absent or wrong (wrong is reported).
 */
export function readActivation(r: Reader, obj: Node, path: string): ActivationRef | undefined {
  const actPath = childPointer(path, 'activation');
  const name = r.oneOf<ActivationName>(r.prop(obj, 'activation'), actPath, 'activation', ACTIVATION_NAMES, { identity: 'linear', none: 'linear', swish: 'silu' });
  const negativeSlope = r.number(r.prop(obj, 'negative_slope'), childPointer(path, 'negative_slope'), 'negative_slope') ?? 0.01;
  return name ? { name, negativeSlope, path: actPath } : undefined;
}

/** Reads a window or kernel size: a number, or [height, width], each an integer in [1, 4096]. */
export function readPair(r: Reader, node: Node | undefined, path: string, what: string): [number, number] | undefined {
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
