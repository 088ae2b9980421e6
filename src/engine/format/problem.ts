/** A problem found in a network description: where it is and what was expected. */
export interface Problem {
  /** JSON pointer (RFC 6901) of the offending value, "" for the document. */
  path: string;
  /** 1-based line and column of the offending value, as editors and `file:line:col` show them. */
  line: number;
  column: number;
  /** Character offset and length of the offending value in the text (for editor ranges). */
  offset: number;
  length: number;
  severity: 'error' | 'warning';
  message: string;
}

/**
 * Maps character offsets of a text to 1-based line and column numbers.
 * Built once per text in O(n); each lookup is a binary search over line starts.
 */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  /** The 1-based line and column of `offset`. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
}

/** Appends one path segment to a JSON pointer, escaping `~` and `/` as RFC 6901 requires. */
export function childPointer(pointer: string, key: string | number): string {
  return `${pointer}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}
