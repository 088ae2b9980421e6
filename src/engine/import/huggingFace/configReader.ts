import type { Node } from 'jsonc-parser';
import { childPointer } from '../../format/problem';
import type { NumberBounds, Reader } from '../../format/reader';
import { MAX_DIMENSION } from '../../format/parseNetwork';

/** A config value as read: the value (the config class's default when the key is absent or null), and its key's pointer. */
export interface ConfigValue<T> {
  value: T;
  /** JSON pointer of the key that holds it (of the canonical key when absent: where a fix would add it). */
  pointer: string;
  /** Whether the file gives it (false: the config class's default). */
  given: boolean;
}

/** Bounds of a dimension (a width, a count of layers or heads): a whole number from 1 to `MAX_DIMENSION`. */
export const DIMENSION: NumberBounds = { integer: true, min: 1, max: MAX_DIMENSION };

/**
 * Reads a Hugging Face `config.json` as its `PretrainedConfig` subclass does: each key with the class's default when
 * absent or null, aliases (`attribute_map`, e.g. GPT-2's `hidden_size` for `n_embd`) after the canonical name, every
 * wrong value reported at its key (and replaced by the default, so that the rest is still read). Records which keys
 * came from defaults, for the report.
 */
export class ConfigReader {
  readonly defaulted: string[] = [];

  constructor(readonly r: Reader, readonly root: Node) {}

  /** The first of `keys` the file gives a non-null value for, with its node. */
  find(keys: string | readonly string[]): { key: string; node: Node } | null {
    for (const key of typeof keys === 'string' ? [keys] : keys) {
      const node = this.r.prop(this.root, key);
      if (node && node.type !== 'null') return { key, node };
    }
    return null;
  }

  /** Whether the file gives any of `keys` a non-null value. */
  has(keys: string | readonly string[]): boolean {
    return this.find(keys) !== null;
  }

  private read<T>(keys: string | readonly string[], fallback: T, parse: (node: Node, pointer: string, key: string) => T | undefined): ConfigValue<T> {
    const found = this.find(keys);
    const canonical = typeof keys === 'string' ? keys : keys[0];
    if (!found) {
      this.defaulted.push(canonical);
      return { value: fallback, pointer: childPointer('', canonical), given: false };
    }
    const pointer = childPointer('', found.key);
    const value = parse(found.node, pointer, found.key);
    return { value: value === undefined ? fallback : value, pointer, given: value !== undefined };
  }

  int(keys: string | readonly string[], fallback: number, bounds: NumberBounds = DIMENSION): ConfigValue<number> {
    return this.read(keys, fallback, (node, pointer, key) => this.r.number(node, pointer, key, { integer: true, ...bounds }));
  }

  number(keys: string | readonly string[], fallback: number, bounds: NumberBounds = {}): ConfigValue<number> {
    return this.read(keys, fallback, (node, pointer, key) => this.r.number(node, pointer, key, bounds));
  }

  boolean(keys: string | readonly string[], fallback: boolean): ConfigValue<boolean> {
    return this.read(keys, fallback, (node, pointer, key) => this.r.boolean(node, pointer, key));
  }

  string(keys: string | readonly string[], fallback: string): ConfigValue<string> {
    return this.read(keys, fallback, (node, pointer, key) => this.r.string(node, pointer, key));
  }

  /** A whole number whose absence (or null) means "derived from others" (GPT-2's `n_inner`, Llama's `head_dim`). */
  optionalInt(keys: string | readonly string[], bounds: NumberBounds = DIMENSION): ConfigValue<number | null> {
    return this.read<number | null>(keys, null, (node, pointer, key) => this.r.number(node, pointer, key, { integer: true, ...bounds }));
  }

  /** Reports a problem at a key (or at the root when the key is absent). */
  report(pointer: string, message: string, severity: 'error' | 'warning' = 'error'): void {
    const key = pointer.slice(1);
    this.r.report(this.r.prop(this.root, key) ?? this.root, pointer, message, severity);
  }

  /** The number of labels of a classification head: `num_labels`, else the size of `id2label`, else 2 (PretrainedConfig's default). */
  numLabels(): ConfigValue<number> {
    if (this.has('num_labels')) return this.int('num_labels', 2);
    const map = this.find('id2label');
    if (map?.node.type === 'object') return { value: Math.max(1, map.node.children?.length ?? 0), pointer: '/id2label', given: true };
    this.defaulted.push('num_labels');
    return { value: 2, pointer: '/num_labels', given: false };
  }
}
