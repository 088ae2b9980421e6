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
  const segments = pointerSegments(fix.path).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const root = parseTree(text, [], { allowTrailingComma: true });
  const node = root ? findNodeAtLocation(root, segments) : undefined;
  if (node) return [{ offset: node.offset, length: node.length, content: inlineJson(fix.value) }];
  return modify(text, segments, fix.value, { formattingOptions: { ...indent, eol: text.includes('\r\n') ? '\r\n' : '\n' } })
    .map((e) => ({ offset: e.offset, length: e.length, content: e.content }));
}

/** Applies several fixes one after the other (each on the text the previous one produced); fixes to the same path apply once. */
export function applyFixes(text: string, fixes: Fix[]): string {
  const seen = new Set<string>();
  let out = text;
  for (const fix of fixes) {
    if (seen.has(fix.path)) continue;
    seen.add(fix.path);
    out = applyEdits(out, fixEdits(out, fix));
  }
  return out;
}
