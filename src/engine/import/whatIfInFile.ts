import { whatIfFixes, type WhatIf } from '../edit/whatIf';
import type { Finding, Fix } from '../report/report';
import type { ReadResult } from './importedNetwork';

/**
 * The edits that write a what-if into the file it was read from: for the engine's own format, `whatIfFixes`; for an
 * imported file, the same fixes on the generated layers that come from the what-if's target (a pointer of the file,
 * or "all"), each rewritten by the reader's `translateFinding` into the file's vocabulary (a Keras
 * `kernel_initializer`). Null when some change has no place in the file (a Hugging Face init, set in the model's
 * code) or the network could not be read.
 */
export function whatIfFixesInFile(read: ReadResult, whatIf: WhatIf): Fix[] | null {
  if (!read.network) return null;
  if (!read.source) return whatIfFixes(read.network, whatIf);
  if (!read.map || !read.translateFinding) return null;
  const targets = whatIf.target === 'all' ? ['all'] : read.map.fromSource(whatIf.target);
  const fixes = targets.flatMap((target) => whatIfFixes(read.network!, { ...whatIf, target }));
  const out: Fix[] = [];
  for (const fix of fixes) {
    // A what-if is not a finding; the translation only reads its fix (init-activation-mismatch asks for no overall scale).
    const described = { ...fix, description: fix.description.replace(/\/\S*/, (p) => read.map!.toSource(p) || p) };
    const carrier: Finding = { code: 'init-activation-mismatch', severity: 'info', path: fix.path, layer: null, copies: 1, message: described.description, fix: described, alternatives: [], related: [] };
    const translated = read.translateFinding(carrier).fix;
    if (!translated) return null;
    out.push(translated);
  }
  return out.length > 0 ? out : null;
}
