import { findNodeAtLocation, type Node, parseTree } from 'jsonc-parser';
import { childPointer, LineIndex } from './problem';

/** Where a JSON pointer lands in a text: character range and 1-based line and column. */
export interface Location {
  offset: number;
  length: number;
  line: number;
  column: number;
  /** The pointer actually found (an ancestor when the full pointer does not exist yet, like a missing `init`). */
  foundPath: string;
}

/** Splits an RFC 6901 pointer into segments, unescaping ~1 and ~0. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Returns a function that maps JSON pointers of `text` to their location, parsing the text once. A pointer that does
 * not exist resolves to its nearest existing ancestor (so a fix that adds `init` to a layer points at the layer).
 */
export function pointerLocator(text: string): (pointer: string) => Location {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const lines = new LineIndex(text);
  return (pointer: string): Location => {
    const segments = pointerSegments(pointer);
    let node: Node | undefined;
    let used = segments.length;
    for (; used >= 0 && root; used--) {
      const path = segments.slice(0, used).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      node = findNodeAtLocation(root, path);
      if (node) break;
    }
    const offset = node?.offset ?? 0;
    const length = node?.length ?? 0;
    const { line, column } = lines.position(offset);
    const foundPath = segments.slice(0, Math.max(used, 0)).reduce(childPointer, '');
    return { offset, length, line, column, foundPath };
  };
}
