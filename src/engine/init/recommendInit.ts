import type { Activation } from '../math/activation';
import { computeFans } from './fan';
import type { InitSpec } from './initSpec';
import { resolveInit } from './resolveInit';
import { formatSignificant } from '../report/formatNumber';

/** A recommended init as JSON to write into the file, with the std it implies and a readable label. */
export interface Recommendation {
  value: string | Record<string, string | number>;
  std: number;
  label: string;
}

/**
 * The init that keeps the signal's variance for a layer followed by `act`: Kaiming (He et al., 2015) for the ReLU
 * family and ReLU-like activations (gelu, silu, elu, softplus), with the leaky slope as `a`; Xavier (Glorot & Bengio,
 * 2010) for tanh, sigmoid and linear; LeCun normal for selu (Klambauer et al., 2017). The std is computed by the same
 * formulas the engine samples with, for the layer's weight shape.
 */
export function recommendInit(act: Activation, weightShape: readonly number[]): Recommendation {
  let value: Recommendation['value'];
  switch (act.name) {
    case 'relu': case 'gelu': case 'gelu_new': case 'silu': case 'elu': case 'softplus':
      value = { scheme: 'kaiming_normal', nonlinearity: 'relu' };
      break;
    case 'leaky_relu':
      value = { scheme: 'kaiming_normal', nonlinearity: 'leaky_relu', a: act.negativeSlope };
      break;
    case 'selu':
      value = 'lecun_normal';
      break;
    default:
      value = 'xavier_normal';
  }
  const spec: InitSpec = typeof value === 'string'
    ? { scheme: value as InitSpec['scheme'], options: {}, multiplier: 1, path: '', source: 'layer' }
    : { scheme: 'kaiming_normal', options: { nonlinearity: value.nonlinearity as 'relu' | 'leaky_relu', a: value.a as number | undefined }, multiplier: 1, path: '', source: 'layer' };
  const std = resolveInit(spec, weightShape).std;
  const { fanIn, fanOut } = computeFans(weightShape);
  const fanText = typeof value === 'string' && value === 'xavier_normal' ? `fanIn + fanOut = ${fanIn + fanOut}` : `fanIn = ${fanIn}`;
  const name = typeof value === 'string' ? value : `${value.scheme}(${value.nonlinearity}${value.a !== undefined ? `, a=${value.a}` : ''})`;
  return { value, std, label: `${name}: std ${formatSignificant(std)} for ${fanText}` };
}

/** The std value a fix writes into a `std` field: four significant digits. */
export function roundStd(std: number): number {
  return Number(std.toPrecision(4));
}
