import type { InitOptions, InitScheme, InitSpec } from '../init/initSpec';
import { INIT_ALIASES, INIT_SCHEMES } from '../init/initSpec';
import type { LayerSpec, NetworkSpec } from '../format/networkSpec';
import { isWeightLayerSpec, type WeightLayerSpec } from '../graph/ops/weightLayer';
import { childPointer } from '../format/problem';
import type { Fix } from '../report/report';

/** A hypothetical init for one layer (its JSON pointer) or every layer with a weight, not yet written to the file. */
export interface WhatIf {
  /** "all", or the JSON pointer of a layer with a weight (a repeat's template changes every copy). */
  target: string;
  /** A scheme name, as in the file format ("xavier_normal", "kaiming_normal", …), or "keep" for the layer's own. */
  scheme: string;
  /** Scales the weights (the init's `multiplier`). */
  multiplier: number;
}

/** Whether `scheme` is something a what-if can set. */
export function isWhatIfScheme(scheme: string): boolean {
  return scheme === 'keep' || (INIT_SCHEMES as readonly string[]).includes(scheme) || Object.hasOwn(INIT_ALIASES, scheme);
}

/**
 * The init a what-if gives one layer with a weight: "keep" multiplies the layer's own multiplier; a new scheme comes
 * with its default options, except Kaiming, which takes the layer's activation as its nonlinearity when that is relu
 * or leaky_relu (with the leaky slope as `a`).
 */
function whatIfInit(layer: WeightLayerSpec, whatIf: WhatIf): InitSpec {
  const old = layer.init;
  if (whatIf.scheme === 'keep') return { ...old, multiplier: old.multiplier * whatIf.multiplier };
  const scheme = (INIT_ALIASES[whatIf.scheme] ?? whatIf.scheme) as InitScheme;
  const act = layer.activation;
  const options: InitOptions = scheme.startsWith('kaiming') && (act.name === 'relu' || act.name === 'leaky_relu')
    ? { nonlinearity: act.name, ...(act.name === 'leaky_relu' ? { a: act.negativeSlope } : {}) }
    : {};
  return { scheme, options, multiplier: whatIf.multiplier, path: childPointer(layer.path, 'init'), source: 'layer' };
}

/** The network with the what-if applied to every targeted layer with a weight (see `whatIfInit`). */
export function applyWhatIf(network: NetworkSpec, whatIf: WhatIf): NetworkSpec {
  const visit = (layers: LayerSpec[]): LayerSpec[] => layers.map((layer) => {
    if (layer.layers) return { ...layer, layers: visit(layer.layers) };
    if (!isWeightLayerSpec(layer)) return layer;
    if (whatIf.target !== 'all' && whatIf.target !== layer.path) return layer;
    return { ...layer, init: whatIfInit(layer, whatIf) };
  });
  return { ...network, layers: visit(network.layers) };
}

/** The edits that write a what-if into the file: one `init` per targeted layer, as the file format spells it. */
export function whatIfFixes(network: NetworkSpec, whatIf: WhatIf): Fix[] {
  const fixes: Fix[] = [];
  const applied = applyWhatIf(network, whatIf);
  const visit = (layers: LayerSpec[]): void => {
    for (const layer of layers) {
      if (layer.layers) visit(layer.layers);
      else if (isWeightLayerSpec(layer) && (whatIf.target === 'all' || whatIf.target === layer.path)) {
        fixes.push({ description: `set the init of ${layer.path}`, path: childPointer(layer.path, 'init'), value: initJson(layer.init) });
      }
    }
  };
  visit(applied.layers);
  return fixes;
}

/** An init spec as the file format writes it: a bare name when it has no options and multiplier 1. */
export function initJson(spec: InitSpec): string | Record<string, unknown> {
  const options = Object.fromEntries(Object.entries(spec.options).filter(([, v]) => v !== undefined));
  if (Object.keys(options).length === 0 && spec.multiplier === 1) return spec.scheme;
  return { scheme: spec.scheme, ...options, ...(spec.multiplier !== 1 ? { multiplier: Number(spec.multiplier.toPrecision(6)) } : {}) };
}
