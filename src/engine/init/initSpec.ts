import type { GainNonlinearity } from './gain';

/** Every init scheme, canonical names. The first eleven can be written as a bare string. */
export const INIT_SCHEMES = [
  'zeros', 'ones', 'xavier_uniform', 'xavier_normal', 'kaiming_uniform', 'kaiming_normal', 'lecun_uniform',
  'lecun_normal', 'orthogonal', 'pytorch_default', 'keras_default',
  'normal', 'uniform', 'truncated_normal', 'constant', 'variance_scaling',
] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

/** Schemes that need parameters and so only exist in object form. */
export const OBJECT_ONLY_SCHEMES: readonly InitScheme[] = ['normal', 'uniform', 'truncated_normal', 'constant', 'variance_scaling'];

/** Other spellings (Keras' and the He et al. paper's names) and the canonical scheme they mean. */
export const INIT_ALIASES: Readonly<Record<string, InitScheme>> = {
  glorot_uniform: 'xavier_uniform',
  glorot_normal: 'xavier_normal',
  he_uniform: 'kaiming_uniform',
  he_normal: 'kaiming_normal',
  msra: 'kaiming_normal',
};

export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
export type VarianceScalingDistribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';

/** Scheme options, named as the PyTorch / Keras functions name their arguments. */
export interface InitOptions {
  mean?: number;
  std?: number;
  low?: number;
  high?: number;
  /** kaiming_*: negative slope of the following leaky_relu; truncated_normal: lower bound (absolute). */
  a?: number;
  /** truncated_normal: upper bound (absolute). */
  b?: number;
  value?: number;
  gain?: number;
  mode?: FanMode;
  nonlinearity?: GainNonlinearity;
  scale?: number;
  distribution?: VarianceScalingDistribution;
}

/** The options each scheme accepts besides `scheme` and `multiplier`. */
export const INIT_OPTIONS: Readonly<Record<InitScheme, readonly (keyof InitOptions)[]>> = {
  zeros: [],
  ones: [],
  constant: ['value'],
  normal: ['mean', 'std'],
  uniform: ['low', 'high'],
  truncated_normal: ['mean', 'std', 'a', 'b'],
  xavier_uniform: ['gain'],
  xavier_normal: ['gain'],
  kaiming_uniform: ['a', 'mode', 'nonlinearity'],
  kaiming_normal: ['a', 'mode', 'nonlinearity'],
  lecun_uniform: [],
  lecun_normal: [],
  orthogonal: ['gain'],
  pytorch_default: [],
  keras_default: [],
  variance_scaling: ['scale', 'mode', 'distribution'],
};

/** Schemes that a 1-D bias can take (the others need fans of a 2-D weight, as in PyTorch). */
export const BIAS_SCHEMES: readonly InitScheme[] = ['zeros', 'ones', 'constant', 'normal', 'uniform', 'truncated_normal', 'pytorch_default', 'keras_default'];

/** An init as declared (or assumed) for one tensor. */
export interface InitSpec {
  scheme: InitScheme;
  options: InitOptions;
  /** Scales the sampled values (Fixup-style); 1 when absent. */
  multiplier: number;
  /** JSON pointer of the declaration it came from ("" when nothing was declared). */
  path: string;
  /** Where it came from: written on the layer, taken from `defaults`, or assumed (PyTorch's default). */
  source: 'layer' | 'defaults' | 'assumed';
}
