import { applyEdits, findNodeAtLocation, modify, parseTree } from 'jsonc-parser';
import { pointerSegments } from '../format/pointer';
import type { Fix } from '../report/report';

/** A text replacement: `length` characters at `offset` become `content`. */
export interface TextEdit {
  offset: number;
  length: number;
  content: string;
}

/** JSON on one line with a space after `:` and `,` and inside braces: { "scheme": "kaiming_normal", "nonlinearity": "relu" }. */
export function inlineJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(inlineJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inlineJson(v)}`).join(', ')} }`;
}

/**
 * The edits that apply a fix to a document: an existing value is replaced in place (inline JSON, comments elsewhere
 * kept); a missing property (an inherited init made explicit) is inserted with jsonc-parser's `modify`, formatted to
 * the document's indentation.
 */
export function fixEdits(text: string, fix: Fix, indent = { tabSize: 2, insertSpaces: true }): TextEdit[] {
  if (fix.also && fix.also.length > 0) {
    // Several values: applied one after the other, then given as the one edit that spans every change.
    let out = text;
    for (const part of [{ path: fix.path, value: fix.value }, ...fix.also]) out = applyEdits(out, valueEdits(out, part.path, part.value, indent));
    return [spanningEdit(text, out)];
  }
  return valueEdits(text, fix.path, fix.value, indent);
}

/** The edits that set one JSON value (see `fixEdits`). */
function valueEdits(text: string, path: string, value: unknown, indent: { tabSize: number; insertSpaces: boolean }): TextEdit[] {
  const fix = { path, value };
  const segments = pointerSegments(fix.path).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const root = parseTree(text, [], { allowTrailingComma: true });
  const node = root ? findNodeAtLocation(root, segments) : undefined;
  if (node) return [{ offset: node.offset, length: node.length, content: inlineJson(fix.value) }];
  return modify(text, segments, fix.value, { formattingOptions: { ...indent, eol: text.includes('\r\n') ? '\r\n' : '\n' } })
    .map((e) => ({ offset: e.offset, length: e.length, content: e.content }));
}

/**
 * Applies several fixes one after the other (each on the text the previous one produced); fixes to the same path apply
 * once. `edits` gives one fix's edits (`fixEdits` for JSON; `sourceFixEdits` for any format the engine reads).
 */
export function applyFixes(text: string, fixes: Fix[], edits: (text: string, fix: Fix) => TextEdit[] = fixEdits): string {
  const seen = new Set<string>();
  let out = text;
  for (const fix of fixes) {
    if (seen.has(fix.path)) continue;
    seen.add(fix.path);
    out = applyEdits(out, edits(out, fix));
  }
  return out;
}

/** The single edit that turns `before` into `after`: what lies between their common prefix and common suffix. */
export function spanningEdit(before: string, after: string): TextEdit {
  let start = 0;
  const limit = Math.min(before.length, after.length);
  while (start < limit && before[start] === after[start]) start++;
  let end = 0;
  while (end < limit - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  return { offset: start, length: before.length - start - end, content: after.slice(start, after.length - end) };
}
