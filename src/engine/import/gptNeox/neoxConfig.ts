import { isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap } from 'yaml';
import { abbreviate, suggestion } from '../../format/reader';
import { childPointer, type LineIndex, type Problem } from '../../format/problem';
import { MAX_DIMENSION } from '../../format/parseNetwork';
import type { ConfigValue } from '../huggingFace/configReader';

/** Bounds of a number read from the config. */
export interface Bounds {
  integer?: boolean;
  min?: number;
  exclusiveMin?: boolean;
  max?: number;
}

/** A dimension (a width, a count of layers or heads): a whole number from 1 to `MAX_DIMENSION`. */
const DIMENSION: Bounds = { integer: true, min: 1, max: MAX_DIMENSION };

/**
 * Reads a GPT-NeoX YAML config's top-level keys as gpt-neox does (`NeoXArgs.from_ymls`,
 * `megatron/neox_arguments/arguments.py`): a key is spelled with dashes or underscores (`hidden-size` is
 * `hidden_size`), and an absent key takes NeoXArgs' default (`megatron/neox_arguments/neox_args.py`). Every wrong
 * value is reported at its key (and replaced by the default, so that the rest is still read); keys NeoXArgs has no
 * default for are reported as missing. Records which keys came from defaults, for the report. Pointers use the key
 * as the file writes it; an absent key's pointer is spelled as most of the file's multi-word keys are (dashes or
 * underscores), where a fix would add it.
 */
export class NeoxConfig {
  readonly defaulted: string[] = [];
  private readonly entries = new Map<string, { written: string; key: YamlNode; value: YamlNode | null }>();
  private readonly dashes: boolean;

  constructor(private readonly root: YAMLMap, private readonly lines: LineIndex, readonly problems: Problem[]) {
    let dashed = 0;
    let underscored = 0;
    for (const item of root.items) {
      if (!isScalar(item.key)) continue;
      const written = String(item.key.value);
      if (written.includes('-')) dashed++;
      else if (written.includes('_')) underscored++;
      const name = written.replace(/-/g, '_');
      if (this.entries.has(name)) this.report(item.key as YamlNode, childPointer('', written), `'${written}' repeats '${this.entries.get(name)!.written}' (gpt-neox reads dashes as underscores): keep one`);
      else this.entries.set(name, { written, key: item.key as YamlNode, value: (item.value as YamlNode | null) ?? null });
    }
    this.dashes = dashed > underscored;
  }

  /** The key as the file writes it, or as it would (see the class comment). */
  spelling(name: string): string {
    return this.entries.get(name)?.written ?? (this.dashes ? name.replace(/_/g, '-') : name);
  }

  /** The pointer of a key (`name` with underscores). */
  pointer(name: string): string {
    return childPointer('', this.spelling(name));
  }

  /** Whether the file gives a key a non-null value. */
  has(name: string): boolean {
    const v = this.entries.get(name)?.value;
    return !!v && !(isScalar(v) && v.value === null);
  }

  /** The value node of a key the file gives, else null. */
  node(name: string): YamlNode | null {
    return this.has(name) ? this.entries.get(name)!.value : null;
  }

  private read<T>(name: string, fallback: T | null, parse: (node: YamlNode, pointer: string, key: string) => T | undefined): ConfigValue<T> {
    const pointer = this.pointer(name);
    const node = this.node(name);
    if (!node) {
      if (fallback === null) {
        this.report(this.root, pointer, `'${this.spelling(name)}' is not set, and gpt-neox has no default for it: add it (gpt-neox merges several YAML files; this one is analyzed alone)`);
        return { value: undefined as T, pointer, given: false };
      }
      this.defaulted.push(`${this.spelling(name)}: ${JSON.stringify(fallback)}`);
      return { value: fallback, pointer, given: false };
    }
    const value = parse(node, pointer, this.spelling(name));
    return { value: value === undefined ? (fallback as T) : value, pointer, given: value !== undefined };
  }

  /** A whole number, a dimension unless `bounds` says otherwise; `fallback` null: required. */
  int(name: string, fallback: number | null, bounds: Bounds = DIMENSION): ConfigValue<number> {
    return this.read(name, fallback, (node, pointer, key) => this.number(node, pointer, key, { integer: true, ...bounds }));
  }

  real(name: string, fallback: number, bounds: Bounds = {}): ConfigValue<number> {
    return this.read(name, fallback, (node, pointer, key) => this.number(node, pointer, key, bounds));
  }

  boolean(name: string, fallback: boolean): ConfigValue<boolean> {
    return this.read(name, fallback, (node, pointer, key) => {
      if (isScalar(node) && typeof node.value === 'boolean') return node.value;
      this.report(node, pointer, `'${key}' at ${pointer} must be true or false, got ${describe(node)}`);
      return undefined;
    });
  }

  /** A string that must be one of `options` (a did-you-mean when it is close to one). */
  oneOf<T extends string>(name: string, fallback: T, options: readonly T[]): ConfigValue<T> {
    return this.read(name, fallback, (node, pointer, key) => {
      if (!isScalar(node) || typeof node.value !== 'string') {
        this.report(node, pointer, `'${key}' at ${pointer} must be a string (one of: ${options.join(', ')}), got ${describe(node)}`);
        return undefined;
      }
      const s = node.value;
      if ((options as readonly string[]).includes(s)) return s as T;
      const hint = suggestion(s, options);
      this.report(node, pointer, `unknown ${key} '${abbreviate(s)}' at ${pointer}${hint ? ` (did you mean '${hint}'?)` : ''}; gpt-neox accepts: ${options.join(', ')}`);
      return undefined;
    });
  }

  /** A string of any value. */
  string(name: string, fallback: string): ConfigValue<string> {
    return this.read(name, fallback, (node, pointer, key) => {
      if (isScalar(node) && typeof node.value === 'string') return node.value;
      this.report(node, pointer, `'${key}' at ${pointer} must be a string, got ${describe(node)}`);
      return undefined;
    });
  }

  private number(node: YamlNode, pointer: string, key: string, bounds: Bounds): number | undefined {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.report(node, pointer, `'${key}' at ${pointer} must be a ${bounds.integer ? 'whole number' : 'number'}, got ${describe(node)}`);
      return undefined;
    }
    if (bounds.integer && !Number.isInteger(v)) {
      this.report(node, pointer, `'${key}' at ${pointer} must be a whole number, got ${v}`);
      return undefined;
    }
    if (bounds.min !== undefined && (bounds.exclusiveMin ? v <= bounds.min : v < bounds.min)) {
      this.report(node, pointer, `'${key}' at ${pointer} must be ${bounds.exclusiveMin ? '>' : '>='} ${bounds.min}, got ${v}`);
      return undefined;
    }
    if (bounds.max !== undefined && v > bounds.max) {
      this.report(node, pointer, `'${key}' at ${pointer} must be <= ${bounds.max}, got ${v}`);
      return undefined;
    }
    return v;
  }

  /** Reports a problem at a key's entry (key and value), or at a node. */
  report(at: YamlNode | string, pointer: string, message: string, severity: 'error' | 'warning' = 'error'): void {
    let start: number;
    let end: number;
    if (typeof at === 'string') {
      const entry = this.entries.get(at);
      const node = entry?.key ?? this.root;
      start = node.range?.[0] ?? 0;
      end = entry?.value?.range?.[1] ?? node.range?.[1] ?? start;
    } else {
      const entry = [...this.entries.values()].find((e) => e.value === at);
      start = (entry?.key ?? at).range?.[0] ?? 0;
      end = at === this.root ? Math.min(start + 1, at.range?.[1] ?? start) : at.range?.[1] ?? start;
    }
    this.problems.push({ path: pointer, ...this.lines.position(start), offset: start, length: end - start, severity, message });
  }

  /** Reports a problem at a key (underscored name), or at the start of the file when it is absent. */
  reportAt(name: string, message: string, severity: 'error' | 'warning' = 'error'): void {
    this.report(this.entries.has(name) ? name : this.root, this.pointer(name), message, severity);
  }
}

/** A YAML value's kind for messages. */
function describe(node: YamlNode): string {
  if (isScalar(node)) return node.value === null ? 'null' : typeof node.value === 'string' ? `a string ('${abbreviate(node.value, 40)}')` : String(node.value);
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  return 'a value';
}
