import type { Activation } from '../math/activation';

/** The network description after parsing: defaults applied, nothing left implicit. Shapes are NCHW without N; sequences are [tokens, features]. */
export interface NetworkSpec {
  name: string;
  input: InputSpec;
  batchSize: number;
  seed: number;
  layers: LayerSpec[];
}

/**
 * The input batch: features `[F]`, a sequence of feature vectors `[T, F]`, images `[C, H, W]`, or (with `vocab`) a
 * sequence of T token ids `[T]` drawn uniformly from the vocabulary.
 */
export interface InputSpec {
  shape: number[];
  /** The vocabulary of an input of token ids, else null. */
  vocab: number | null;
  distribution: 'normal' | 'uniform';
  mean: number;
  std: number;
}

/**
 * What every parsed layer has; each op (`graph/ops/*.ts`) extends it with its own fields. A layer that holds other
 * layers (a residual branch, a repeat's body) keeps them in `layers`, so edits such as the what-if can reach them
 * without knowing the op.
 */
export interface LayerSpec {
  /** The op's `type` in the file format (aliases resolved). */
  type: string;
  /** JSON pointer of the layer object. */
  path: string;
  name?: string;
  layers?: LayerSpec[];
}

export interface ActivationRef extends Activation {
  /** Pointer of the `activation` value that set it, or of the layer when it came from a default. */
  path: string;
}
