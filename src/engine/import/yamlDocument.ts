import { isMap, isPair, isScalar, isSeq, type Node as YamlNode, parseAllDocuments, Scalar, type YAMLMap } from 'yaml';
import type { Fix } from '../report/report';
import { spanningEdit, type TextEdit } from '../edit/applyFix';
import { pointerSegments, type Location } from '../format/pointer';
import { childPointer, LineIndex, type Problem } from '../format/problem';

/**
 * A YAML text read with eemeli/yaml (`parseAllDocuments`, YAML 1.1 as PyYAML reads it: `yes`/`on` are booleans):
 * its single document's root node (null when the text has none or is broken) and its problems, each located at its
 * character range. A stream of several documents is refused at the second one, as `yaml.load` refuses it.
 * Never throws.
 */
export interface YamlText {
  root: YamlNode | null;
  problems: Problem[];
  lines: LineIndex;
}

/** Parses a YAML text (see `YamlText`). */
export function parseYaml(text: string): YamlText {
  const lines = new LineIndex(text);
  const problems: Problem[] = [];
  const at = (offset: number, length: number, message: string): void => {
    problems.push({ path: '', ...lines.position(offset), offset, length, severity: 'error', message });
  };
  try {
    const docs = parseAllDocuments(text, { prettyErrors: false, version: '1.1' });
    if (!Array.isArray(docs) || docs.length === 0) return { root: null, problems, lines };
    for (const e of docs[0].errors) at(e.pos[0], Math.max(0, e.pos[1] - e.pos[0]), `YAML syntax error at line ${lines.position(e.pos[0]).line}: ${e.message}`);
    if (docs.length > 1) {
      const start = docs[1].range[0];
      at(start, Math.max(0, docs[1].range[1] - start), `this file holds ${docs.length} YAML documents (separated by '---'); a config is one document (yaml.load reads one): split them into files`);
    }
    return { root: problems.length === 0 ? (docs[0].contents as YamlNode | null) : null, problems, lines };
  } catch (err) {
    at(0, 0, `the YAML parser failed on this text: ${err instanceof Error ? err.message : String(err)}`);
    return { root: null, problems, lines };
  }
}

/** The pair of a map whose key (a scalar) reads `key`. */
export function mapEntry(map: YAMLMap, key: string): { key: YamlNode; value: YamlNode | null } | null {
  for (const item of map.items) {
    if (isPair(item) && isScalar(item.key) && String(item.key.value) === key) return { key: item.key, value: (item.value as YamlNode | null) ?? null };
  }
  return null;
}

/**
 * The node a JSON pointer names in a YAML tree (map keys as written, sequence indices), with its key when it is a map
 * entry, or its nearest existing ancestor (`used` segments found).
 */
function nodeAt(root: YamlNode, pointer: string): { node: YamlNode; key: YamlNode | null; used: number } {
  const segments = pointerSegments(pointer);
  let node = root;
  let key: YamlNode | null = null;
  for (let used = 0; used < segments.length; used++) {
    const s = segments[used];
    let next: { key: YamlNode | null; value: YamlNode | null } | null = null;
    if (isMap(node)) next = mapEntry(node, s);
    else if (isSeq(node) && /^\d+$/.test(s)) next = { key: null, value: (node.items[Number(s)] as YamlNode | undefined) ?? null };
    if (!next) return { node, key, used };
    // A key with no value (`key:`) is located at its key.
    if (!next.value?.range) return { node: next.key ?? node, key: next.key, used: used + 1 };
    node = next.value;
    key = next.key;
  }
  return { node, key, used: segments.length };
}

/**
 * Maps JSON pointers of a YAML text to their location: a map entry spans its key and its value (`init_method:
 * small_init`), so an editor marks the key that decides it; a missing pointer resolves to where its nearest ancestor
 * starts.
 */
export function yamlPointerLocator(text: string): (pointer: string) => Location {
  const { root, lines } = parseYaml(text);
  return (pointer: string): Location => {
    const segments = pointerSegments(pointer);
    const found = root ? nodeAt(root, pointer) : null;
    const start = found ? (found.key?.range ?? found.node.range)?.[0] ?? 0 : 0;
    // A missing key resolves to the start of its nearest ancestor (not the whole map, which may be the whole file).
    const end = found && found.used === segments.length ? found.node.range?.[1] ?? start : start;
    return { offset: start, length: end - start, ...lines.position(start), foundPath: segments.slice(0, found?.used ?? 0).reduce(childPointer, '') };
  };
}

/** The JSON pointer of the map entry at a character offset of a YAML text (its key or its value), or null. */
export function yamlPointerAt(text: string, offset: number): string | null {
  const { root } = parseYaml(text);
  const visit = (node: YamlNode, pointer: string): string | null => {
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item) || !isScalar(item.key) || !item.key.range) continue;
        const value = item.value as YamlNode | null;
        const end = value?.range?.[1] ?? item.key.range[1];
        if (offset < item.key.range[0] || offset > end) continue;
        const here = childPointer(pointer, String(item.key.value));
        return (value && offset >= (value.range?.[0] ?? end) ? visit(value, here) : null) ?? here;
      }
    }
    return null;
  };
  return root ? visit(root, '') : null;
}

/** A value as YAML writes it beside a scalar of type `like`: a string keeps the quotes the file used, else plain when safe. */
function scalarText(value: unknown, like: string | undefined): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  if (like === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
  if (like === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(value) && !/^(y|yes|n|no|true|false|on|off|null)$/i.test(value) ? value : JSON.stringify(value);
}

/**
 * The edits that set the values of a fix in a YAML text: a value that exists is replaced in place (a string keeps its
 * quotes; comments and layout elsewhere are kept); a missing top-level key is written as a new entry before the first
 * one, quoted as that one is (`"key": value,` in a flow map `{ … }`, `key: value` in a block map). Several values
 * (`also`) are applied one after the other and given as the one edit that spans them. Empty when the text has no map.
 */
export function yamlFixEdits(text: string, fix: Fix): TextEdit[] {
  const parts = [{ path: fix.path, value: fix.value }, ...(fix.also ?? [])];
  let out = text;
  for (const part of parts) {
    const edit = yamlValueEdit(out, part.path, part.value);
    if (!edit) return [];
    out = out.slice(0, edit.offset) + edit.content + out.slice(edit.offset + edit.length);
  }
  return parts.length === 1 ? [yamlValueEdit(text, fix.path, fix.value)!] : [spanningEdit(text, out)];
}

function yamlValueEdit(text: string, pointer: string, value: unknown): TextEdit | null {
  const { root } = parseYaml(text);
  if (!root || !isMap(root)) return null;
  const segments = pointerSegments(pointer);
  const found = nodeAt(root, pointer);
  if (found.used === segments.length && found.node.range && found.node !== found.key) {
    const type = isScalar(found.node) ? found.node.type : undefined;
    return { offset: found.node.range[0], length: found.node.range[1] - found.node.range[0], content: scalarText(value, type) };
  }
  if (segments.length !== 1) return null;
  const first = root.items.find((i) => isPair(i) && isScalar(i.key) && i.key.range);
  const firstKey = first && isScalar(first.key) ? first.key : null;
  const key = firstKey?.type === Scalar.QUOTE_DOUBLE || firstKey?.type === Scalar.QUOTE_SINGLE || root.flow ? JSON.stringify(segments[0]) : segments[0];
  // A new string is quoted as the first key is (a flow map's keys are JSON-like: quoted).
  const entry = `${key}: ${scalarText(value, key.startsWith('"') ? Scalar.QUOTE_DOUBLE : Scalar.PLAIN)}`;
  if (!firstKey?.range) {
    const end = root.range?.[1] ?? text.length;
    return root.flow ? { offset: Math.max(0, end - 1), length: 0, content: ` ${entry} ` } : { offset: end, length: 0, content: `${text.endsWith('\n') || end === 0 ? '' : '\n'}${entry}\n` };
  }
  const offset = firstKey.range[0];
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const indent = text.slice(lineStart, offset);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  if (/^[ \t]*$/.test(indent)) return { offset: lineStart, length: 0, content: `${indent}${entry}${root.flow ? ',' : ''}${eol}` };
  return { offset, length: 0, content: `${entry}${root.flow ? ',' : ''} ` };
}
