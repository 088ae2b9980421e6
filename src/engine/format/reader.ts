import { type Node, findNodeAtLocation } from 'jsonc-parser';
import { childPointer, LineIndex, type Problem } from './problem';

/** Bounds a number must respect; a violated bound is reported with the bound. */
export interface NumberBounds {
  integer?: boolean;
  min?: number;
  max?: number;
  /** When set, the value must be strictly greater than `min`. */
  exclusiveMin?: boolean;
}

/**
 * Reads values out of a jsonc-parser syntax tree and records every problem with its pointer and position.
 * Each read returns `undefined` (after recording why) when the value is absent or wrong, and never throws.
 */
export class Reader {
  readonly problems: Problem[] = [];
  private readonly lines: LineIndex;

  constructor(text: string) {
    this.lines = new LineIndex(text);
  }

  report(node: Node | undefined, path: string, message: string, severity: Problem['severity'] = 'error', at?: { offset: number; length: number }): void {
    const offset = at?.offset ?? node?.offset ?? 0;
    const length = at?.length ?? node?.length ?? 0;
    const { line, column } = this.lines.position(offset);
    this.problems.push({ path, line, column, offset, length, severity, message });
  }

  /** Reports a problem at a character range (syntax errors have no node). */
  reportAt(offset: number, length: number, message: string): void {
    this.report(undefined, '', message, 'error', { offset, length });
  }

  /** The value node of property `key`, or undefined. */
  prop(obj: Node, key: string): Node | undefined {
    return findNodeAtLocation(obj, [key]);
  }

  /** Reports every property of `obj` not in `allowed`, listing the valid ones. */
  checkKeys(obj: Node, path: string, allowed: readonly string[], what: string): void {
    for (const p of obj.children ?? []) {
      const keyNode = p.children?.[0];
      const key = keyNode?.value as string;
      if (keyNode && !allowed.includes(key)) {
        this.report(keyNode, childPointer(path, key), `unknown property '${abbreviate(key)}' in ${what} at ${path || '/'}; expected one of: ${allowed.join(', ')}`);
      }
    }
  }

  object(node: Node | undefined, path: string, what: string): Node | undefined {
    if (!node) return undefined;
    if (node.type !== 'object') {
      this.report(node, path, `${what} at ${path} must be an object, got ${describe(node)}`);
      return undefined;
    }
    return node;
  }

  array(node: Node | undefined, path: string, what: string): Node[] | undefined {
    if (!node) return undefined;
    if (node.type !== 'array') {
      this.report(node, path, `${what} at ${path} must be an array, got ${describe(node)}`);
      return undefined;
    }
    return node.children ?? [];
  }

  string(node: Node | undefined, path: string, what: string): string | undefined {
    if (!node) return undefined;
    if (node.type !== 'string') {
      this.report(node, path, `${what} at ${path} must be a string, got ${describe(node)}`);
      return undefined;
    }
    return node.value as string;
  }

  boolean(node: Node | undefined, path: string, what: string): boolean | undefined {
    if (!node) return undefined;
    if (node.type !== 'boolean') {
      this.report(node, path, `${what} at ${path} must be true or false, got ${describe(node)}`);
      return undefined;
    }
    return node.value as boolean;
  }

  number(node: Node | undefined, path: string, what: string, bounds: NumberBounds = {}): number | undefined {
    if (!node) return undefined;
    if (node.type !== 'number' || !Number.isFinite(node.value)) {
      this.report(node, path, `${what} at ${path} must be a ${bounds.integer ? 'whole number' : 'number'}, got ${describe(node)}`);
      return undefined;
    }
    const v = node.value as number;
    if (bounds.integer && !Number.isInteger(v)) {
      this.report(node, path, `${what} at ${path} must be a whole number, got ${v}`);
      return undefined;
    }
    if (bounds.min !== undefined && (bounds.exclusiveMin ? v <= bounds.min : v < bounds.min)) {
      this.report(node, path, `${what} at ${path} must be ${bounds.exclusiveMin ? '>' : '>='} ${bounds.min}, got ${v}`);
      return undefined;
    }
    if (bounds.max !== undefined && v > bounds.max) {
      this.report(node, path, `${what} at ${path} must be <= ${bounds.max}, got ${v}`);
      return undefined;
    }
    return v;
  }

  /** A string that must be one of `options` (after mapping through `aliases`). */
  oneOf<T extends string>(node: Node | undefined, path: string, what: string, options: readonly T[], aliases: Readonly<Record<string, T>> = {}): T | undefined {
    const s = this.string(node, path, what);
    if (s === undefined) return undefined;
    if ((options as readonly string[]).includes(s)) return s as T;
    if (Object.prototype.hasOwnProperty.call(aliases, s)) return aliases[s];
    const hint = suggestion(s, [...options, ...Object.keys(aliases)]);
    this.report(node, path, `unknown ${what} '${abbreviate(s)}' at ${path}${hint ? ` (did you mean '${hint}'?)` : ''}; expected one of: ${options.join(', ')}`);
    return undefined;
  }
}

/** A short description of a JSON value's kind for messages: "a string ('relu')", "an array". */
export function describe(node: Node): string {
  switch (node.type) {
    case 'string': return `a string ('${abbreviate(String(node.value), 40)}')`;
    case 'number': return `the number ${node.value}`;
    case 'boolean': return String(node.value);
    case 'null': return 'null';
    case 'array': return 'an array';
    case 'object': return 'an object';
    default: return node.type;
  }
}

/** Longest text quoted whole in a message (names, pointers); longer ones are cut, with an ellipsis. */
export const MAX_QUOTED_LENGTH = 60;

/**
 * `s` as a message quotes it: whole when at most `max` characters, else its first `max - 1` and an ellipsis, so a
 * 100,000-character name does not make a 100,000-character message.
 */
export function abbreviate(s: string, max = MAX_QUOTED_LENGTH): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Longest name for which a did-you-mean is looked for; option names are far shorter, so no longer name is a typo. */
const MAX_SUGGESTED_LENGTH = 64;

/**
 * The option closest to `s` by edit distance, when it is close enough to be a likely typo (distance at most
 * max(2, ⌊|s|/3⌋)). Options whose length differs by more than that are skipped without computing the distance (it is
 * at least the length difference), and names longer than `MAX_SUGGESTED_LENGTH` get none, so the cost is bounded by
 * options × 64² whatever the text holds.
 */
export function suggestion(s: string, options: readonly string[]): string | undefined {
  if (s.length > MAX_SUGGESTED_LENGTH) return undefined;
  const lower = s.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(s.length / 3)) + 1;
  for (const o of options) {
    if (Math.abs(o.length - lower.length) >= bestDistance) continue;
    const d = editDistance(lower, o);
    if (d < bestDistance) { best = o; bestDistance = d; }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions and substitutions of one character each cost 1), O(|a|·|b|). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
