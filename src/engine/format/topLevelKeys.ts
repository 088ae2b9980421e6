import { JsonWalker, type JsonStep } from './pointer';

/**
 * The kind of each top-level key of a JSON object text (an empty map when the text is not an object): one iterative
 * scan, O(text length), building no tree (so a huge or deeply nested file costs little and cannot overflow the
 * stack), tolerant of errors elsewhere. What deciding a file's format by content reads.
 */
export function topLevelKeys(text: string): Map<string, JsonStep> {
  const walker = new JsonWalker(text);
  const kinds = new Map<string, JsonStep>();
  let step = walker.next();
  if (step !== 'object') return kinds;
  for (step = walker.next(); step !== 'end'; step = walker.next()) {
    if (step === 'close' && walker.depth === 0) break;
    if (step !== 'close' && walker.depth === 1) kinds.set(String(walker.segment(0)), step);
  }
  return kinds;
}
