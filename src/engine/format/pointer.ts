import { createScanner, findNodeAtLocation, type JSONScanner, type Node, parseTree, SyntaxKind } from 'jsonc-parser';
import { childPointer, LineIndex } from './problem';

/**
 * Deepest nesting of arrays and objects a document may have. jsonc-parser's `parseTree` (and every recursive walk over
 * its tree) recurses once per level and overflows V8's default stack past a few thousand levels; a network description
 * needs about 2 levels per nested layer list (64 at most, `MAX_LAYER_NESTING`) plus a few, so 256 leaves room.
 */
export const MAX_JSON_DEPTH = 256;

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
 * Returns a function that maps JSON pointers of `text` to their location, parsing the text once, at the first lookup.
 * A pointer that does not exist resolves to its nearest existing ancestor (so a fix that adds `init` to a layer points
 * at the layer).
 * Never throws: a text nested deeper than `MAX_JSON_DEPTH` is not parsed into a tree (that would overflow the stack);
 * its pointers are resolved by an iterative scan instead, O(text length) per lookup.
 */
export function pointerLocator(text: string): (pointer: string) => Location {
  // Built on the first lookup, not before: analyze asks for a locator on every run but uses it only when something
  // is wrong, and parsing a large text again costs as much as the analysis of a small network.
  let locate: ((pointer: string) => Location) | undefined;
  return (pointer: string): Location => (locate ??= buildLocator(text))(pointer);
}

function buildLocator(text: string): (pointer: string) => Location {
  const lines = new LineIndex(text);
  const at = (offset: number, length: number, segments: string[], used: number): Location => {
    const { line, column } = lines.position(offset);
    return { offset, length, line, column, foundPath: segments.slice(0, Math.max(used, 0)).reduce(childPointer, '') };
  };
  if (findTooDeep(text)) {
    return (pointer: string): Location => {
      const segments = pointerSegments(pointer);
      const found = locateByScan(text, segments);
      return at(found.offset, found.length, segments, found.used);
    };
  }
  const root = parseTree(text, [], { allowTrailingComma: true });
  return (pointer: string): Location => {
    const segments = pointerSegments(pointer);
    let node: Node | undefined;
    let used = segments.length;
    for (; used >= 0 && root; used--) {
      const path = segments.slice(0, used).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      node = findNodeAtLocation(root, path);
      if (node) break;
    }
    return at(node?.offset ?? 0, node?.length ?? 0, segments, used);
  };
}

/** The first bracket of a text nested deeper than a limit: its offset and the JSON pointer of the value it opens. */
export interface TooDeep {
  offset: number;
  pointer: string;
}

/**
 * The first `[` or `{` of `text` that opens level `maxDepth + 1` (the root value is level 1), or null when the text
 * nests no deeper than `maxDepth`. Iterative (jsonc-parser's scanner, comments allowed), O(text length), so it is
 * safe on any text; it decides whether `parseTree` may run.
 */
export function findTooDeep(text: string, maxDepth = MAX_JSON_DEPTH): TooDeep | null {
  const walker = new JsonWalker(text);
  for (let step = walker.next(); step !== 'end'; step = walker.next()) {
    if ((step === 'object' || step === 'array') && walker.depth >= maxDepth) return { offset: walker.offset, pointer: walker.pointer() };
  }
  return null;
}

/** What `JsonWalker.next` met: the start of a value (of which kind), the end of an object or array, or the end. */
export type JsonStep = 'object' | 'array' | 'scalar' | 'close' | 'end';

/** An open object or array: where the walk is inside it. */
interface Frame {
  isArray: boolean;
  /** The index of the current item (arrays). */
  index: number;
  /** The key of the current property (objects); undefined before the first key. */
  key: string | undefined;
  /** Whether the next string is a property name (objects). */
  expectKey: boolean;
  start: number;
}

/**
 * Walks the values of a JSON (with comments) text in document order without building a tree and without recursion,
 * so any nesting depth is safe; it keeps the path to the current value, so each step can name its JSON pointer.
 * Tolerant like jsonc-parser: on malformed text it goes on with its best guess (the parser reports the syntax errors).
 */
export class JsonWalker {
  private readonly scanner: JSONScanner;
  private readonly frames: Frame[] = [];
  /** Offset and length of the last step's token (for 'close', of the closing bracket). */
  offset = 0;
  length = 0;
  /** How many objects and arrays enclose the last step's value (for 'close', the closed one's). */
  depth = 0;
  /** For 'close': the offset of the bracket that opened the closed object or array. */
  openedAt = 0;

  constructor(text: string) {
    this.scanner = createScanner(text, true);
  }

  /** Advances to the next value start or container end. */
  next(): JsonStep {
    const s = this.scanner;
    for (;;) {
      const kind = s.scan();
      const top = this.frames.length > 0 ? this.frames[this.frames.length - 1] : undefined;
      this.offset = s.getTokenOffset();
      this.length = s.getTokenLength();
      switch (kind) {
        case SyntaxKind.EOF:
          return 'end';
        case SyntaxKind.OpenBraceToken:
        case SyntaxKind.OpenBracketToken: {
          if (top && !top.isArray) top.expectKey = false;
          this.depth = this.frames.length;
          const isArray = kind === SyntaxKind.OpenBracketToken;
          this.frames.push({ isArray, index: 0, key: undefined, expectKey: !isArray, start: this.offset });
          return isArray ? 'array' : 'object';
        }
        case SyntaxKind.CloseBraceToken:
        case SyntaxKind.CloseBracketToken: {
          const closed = this.frames.pop();
          if (!closed) continue;
          this.depth = this.frames.length;
          this.openedAt = closed.start;
          return 'close';
        }
        case SyntaxKind.CommaToken:
          if (top?.isArray) top.index++;
          else if (top) top.expectKey = true;
          continue;
        case SyntaxKind.ColonToken:
          if (top && !top.isArray) top.expectKey = false;
          continue;
        case SyntaxKind.StringLiteral:
          if (top && !top.isArray && top.expectKey) {
            top.key = s.getTokenValue();
            top.expectKey = false;
            continue;
          }
          this.depth = this.frames.length;
          return 'scalar';
        case SyntaxKind.NumericLiteral:
        case SyntaxKind.TrueKeyword:
        case SyntaxKind.FalseKeyword:
        case SyntaxKind.NullKeyword:
          if (top && !top.isArray) top.expectKey = false;
          this.depth = this.frames.length;
          return 'scalar';
        default:
          continue;
      }
    }
  }

  /** The path segment of the current value inside enclosing container `level` (0 is the root): a key or an index. */
  segment(level: number): string | number {
    const f = this.frames[level];
    return f.isArray ? f.index : (f.key ?? '');
  }

  /** Whether enclosing container `level` is an array. */
  isArrayAt(level: number): boolean {
    return this.frames[level].isArray;
  }

  /** The JSON pointer of the last step's value (for 'close', of the closed object or array). */
  pointer(): string {
    let p = '';
    for (let i = 0; i < this.depth; i++) p = childPointer(p, this.segment(i));
    return p;
  }
}

/**
 * The deepest value on the way to `segments` (how many segments it matches) and its range, by one scan that stops
 * when that value ends. O(text length · segments): values deeper than the pointer are skipped without comparing.
 */
function locateByScan(text: string, segments: string[]): { offset: number; length: number; used: number } {
  const walker = new JsonWalker(text);
  const best = { offset: 0, length: 0, used: 0 };
  let found = false;
  const matches = (depth: number): boolean => {
    for (let i = 0; i < depth; i++) if (String(walker.segment(i)) !== segments[i]) return false;
    return true;
  };
  for (let step = walker.next(); step !== 'end'; step = walker.next()) {
    if (step === 'close') {
      // The best value so far closes: nothing deeper on the pointer's way can follow.
      if (found && walker.depth === best.used && walker.openedAt === best.offset) {
        best.length = walker.offset + walker.length - best.offset;
        break;
      }
      continue;
    }
    const depth = walker.depth;
    if (depth > segments.length || (found && depth <= best.used) || !matches(depth)) continue;
    Object.assign(best, { offset: walker.offset, length: walker.length, used: depth });
    found = true;
    if (step === 'scalar') break; // a container's length is known when it closes
  }
  return best;
}
