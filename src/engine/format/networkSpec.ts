import type { Activation } from '../math/activation';
import type { InitSpec } from '../init/initSpec';

/** The network description after parsing: defaults applied, nothing left implicit. Shapes are NCHW without N. */
export interface NetworkSpec {
  name: string;
  input: InputSpec;
  batchSize: number;
  seed: number;
  layers: LayerSpec[];
}

export interface InputSpec {
  shape: number[];
  distribution: 'normal' | 'uniform';
  mean: number;
  std: number;
}

/** Fields every layer has: its JSON pointer and the pointers of the properties diagnostics point at. */
interface LayerCommon {
  path: string;
  name?: string;
}

export interface ActivationRef extends Activation {
  /** Pointer of the `activation` value that set it, or of the layer when it came from a default. */
  path: string;
}

export interface DenseSpec extends LayerCommon {
  type: 'dense';
  units: number;
  activation: ActivationRef;
  init: InitSpec;
  bias: InitSpec | null;
}

export interface Conv2dSpec extends LayerCommon {
  type: 'conv2d';
  filters: number;
  kernelSize: [number, number];
  stride: [number, number];
  padding: 'same' | 'valid' | [number, number];
  activation: ActivationRef;
  init: InitSpec;
  bias: InitSpec | null;
}

export interface ActivationLayerSpec extends LayerCommon {
  type: 'activation';
  activation: ActivationRef;
}

export interface NormSpec extends LayerCommon {
  type: 'batchnorm' | 'layernorm';
  eps: number;
}

export interface PoolSpec extends LayerCommon {
  type: 'maxpool2d' | 'avgpool2d';
  size: [number, number];
  stride: [number, number];
}

export interface ShapeOnlySpec extends LayerCommon {
  type: 'flatten' | 'global_avg_pool';
}

export interface DropoutSpec extends LayerCommon {
  type: 'dropout';
  rate: number;
}

export interface ProjectionSpec {
  path: string;
  init: InitSpec;
  bias: InitSpec | null;
}

export interface ResidualSpec extends LayerCommon {
  type: 'residual';
  layers: LayerSpec[];
  /** null is the identity shortcut. */
  shortcut: ProjectionSpec | null;
  activation: ActivationRef;
}

export interface RepeatSpec extends LayerCommon {
  type: 'repeat';
  times: number;
  layers: LayerSpec[];
}

export type WeightLayerSpec = DenseSpec | Conv2dSpec;
export type LayerSpec = DenseSpec | Conv2dSpec | ActivationLayerSpec | NormSpec | PoolSpec | ShapeOnlySpec | DropoutSpec | ResidualSpec | RepeatSpec;
export type LayerType = LayerSpec['type'];

export const LAYER_TYPES: readonly LayerType[] = [
  'dense', 'conv2d', 'residual', 'repeat', 'activation', 'batchnorm', 'layernorm', 'flatten', 'maxpool2d', 'avgpool2d',
  'global_avg_pool', 'dropout',
];
