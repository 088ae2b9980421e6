import type { ActivationName } from '../../math/activation';
import type { ConfigReader, ConfigValue } from './configReader';

/**
 * Hugging Face's activation names (`ACT2FN` in `transformers/activations.py`) and the engine's activation for each:
 * exact where the function is the same (`gelu_pytorch_tanh` is the tanh approximation GPT-2's `gelu_new` computes),
 * approximate (with what differs) where the engine has only a close one.
 */
const ACTIVATIONS: Readonly<Record<string, { name: ActivationName; approximation?: string }>> = {
  gelu: { name: 'gelu' },
  gelu_new: { name: 'gelu_new' },
  gelu_pytorch_tanh: { name: 'gelu_new' },
  gelu_fast: { name: 'gelu_new', approximation: 'gelu_fast is 0.5·x·(1 + tanh(0.7978845608·x·(1 + 0.044715·x²))), computed as gelu_new (the same function up to rounding)' },
  quick_gelu: { name: 'gelu', approximation: 'quick_gelu, x·sigmoid(1.702·x), is computed as the exact gelu (they differ by a few hundredths)' },
  gelu_accurate: { name: 'gelu_new', approximation: 'gelu_accurate is computed as gelu_new (the same tanh approximation)' },
  relu: { name: 'relu' },
  silu: { name: 'silu' },
  swish: { name: 'silu' },
  tanh: { name: 'tanh' },
  sigmoid: { name: 'sigmoid' },
  linear: { name: 'linear' },
  leaky_relu: { name: 'leaky_relu' },
};

/** The names `readActivation` accepts, for messages. */
export const HF_ACTIVATION_NAMES = Object.keys(ACTIVATIONS);

/**
 * Reads an activation key (`hidden_act`, `activation_function`) with its class default: the engine's activation, or
 * an error at the key naming the supported ones; an approximate mapping adds a note.
 */
export function readActivation(config: ConfigReader, keys: string | readonly string[], fallback: string, notes: string[]): ConfigValue<ActivationName> {
  return mapActivation(config, config.string(keys, fallback), notes);
}

/** The engine's activation for a Hugging Face activation name read at `raw.pointer` (see `readActivation`). */
export function mapActivation(config: ConfigReader, raw: ConfigValue<string>, notes: string[]): ConfigValue<ActivationName> {
  const found = Object.hasOwn(ACTIVATIONS, raw.value) ? ACTIVATIONS[raw.value] : undefined;
  if (!found) {
    config.report(raw.pointer, `unsupported activation '${raw.value}' at ${raw.pointer}; Init Inspector computes: ${HF_ACTIVATION_NAMES.join(', ')}`);
    return { ...raw, value: 'linear' };
  }
  if (found.approximation) notes.push(`${raw.pointer.slice(1)}: ${found.approximation}`);
  return { ...raw, value: found.name };
}
