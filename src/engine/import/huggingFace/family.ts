import type { InitRole, NativeDocument, Origin } from '../nativeDocument';
import type { ConfigReader, ConfigValue } from './configReader';

/** What a family module gets: the config, the document it writes layers into, the run's options and where notes go. */
export interface FamilyContext {
  config: ConfigReader;
  doc: NativeDocument;
  /** The first of `architectures` (what the model's class is), or null when the file names none. */
  architecture: ConfigValue<string | null>;
  /** The sequence length asked for (else the family's default, `defaultTokens`). */
  tokens: number | undefined;
  notes: string[];
}

/** What a family module builds: the network in the engine's format and what the report says about it. */
export interface FamilyNetwork {
  input: object;
  layers: object[];
  /** The model class built (the head included). */
  architecture: string;
  /** Whose init, with the version, and the rule that differs from the default N(0, initializer_range²). */
  initRules: string;
  tokens: number | null;
}

/** A family of Hugging Face models (one modelling file): the `model_type` values it reads and its builder. */
export interface Family {
  modelTypes: readonly string[];
  build(ctx: FamilyContext): FamilyNetwork;
}

/** The sequence length of a run unless asked otherwise: 32 tokens, at most the model's positions. */
export const DEFAULT_TOKENS = 32;

/** The batch of a run of an imported model unless asked otherwise (`AnalyzeOptions.batchSize`): one sequence. */
export const DEFAULT_IMPORT_BATCH = 1;

/** The tokens of a run: the asked number (else `DEFAULT_TOKENS`), capped by the model's position table, noted when capped. */
export function runTokens(ctx: FamilyContext, positions: ConfigValue<number> | null): number {
  const asked = ctx.tokens ?? DEFAULT_TOKENS;
  if (positions && asked > positions.value) {
    ctx.notes.push(`${asked} tokens asked, ${positions.value} used: the model has ${positions.value} positions (${positions.pointer.slice(1)})`);
    return positions.value;
  }
  return asked;
}

/** The config key that scales a family's init: `initializer_range` (std) or T5's `initializer_factor`. */
export interface ScaleKey {
  name: string;
  value: number;
  pointer: string;
}

/** Reads `initializer_range` (default 0.02, as every config class here has it). */
export function initializerRange(config: ConfigReader): ScaleKey {
  const v = config.number('initializer_range', 0.02, { min: 0 });
  return { name: 'initializer_range', value: v.value, pointer: v.pointer };
}

/** `module.weight.data.normal_(mean=0.0, std=s)`: what Hugging Face's `_init_weights` draws (nn.init.normal_). */
export function normal(std: number): { scheme: 'normal'; std: number } {
  return { scheme: 'normal', std };
}

/**
 * `nn.init.trunc_normal_(w, mean=0, std=s)` with PyTorch's default bounds a = −2, b = 2, which are absolute (±100σ
 * for s = 0.02): ViT's init, in effect an untruncated normal.
 */
export function truncatedNormal(std: number): { scheme: 'truncated_normal'; std: number } {
  return { scheme: 'truncated_normal', std };
}

/** The role of an init drawn with std = factor × the scale key's value, for the parameters named. */
export function role(parameters: string[], key: ScaleKey, factor: number): InitRole {
  return { parameters, std: factor * key.value, key: key.pointer, keyName: key.name, keyValue: key.value, factor };
}

/** An origin: the layer's deciding key, the keys behind its properties and its inits' roles. */
export function origin(pointer: string, keys: Record<string, string> = {}, inits: Record<string, InitRole> = {}, values: Record<string, number> = {}): Origin {
  return { pointer, keys, inits, values };
}

/**
 * A causal LM's output head: tied to the embedding `table` (the same weight, `tie_word_embeddings`), or its own
 * Linear without bias, `parameter`, N(0, initializer_range²). Both report at the tie key.
 */
export function causalLmHead(doc: NativeDocument, tied: ConfigValue<boolean>, vocab: ConfigValue<number>, range: ScaleKey, parameter: string, table: string): object {
  return tied.value
    ? doc.layer({ type: 'lm_head', name: `${parameter} (tied to ${table})`, vocab: vocab.value, tied: true }, origin(tied.pointer, { vocab: vocab.pointer }))
    : doc.layer({ type: 'lm_head', name: parameter, vocab: vocab.value, init: normal(range.value) },
      origin(tied.pointer, { vocab: vocab.pointer, init: range.pointer }, { init: role([`${parameter}.weight`], range, 1) }));
}
