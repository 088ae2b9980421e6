import type { Finding, Fix } from '../../report/report';
import type { InitRole, PointerMap } from '../nativeDocument';
import { type Change, changesOf } from '../huggingFace/translateFinding';
import { fmt } from '../huggingFace/gpt2';
import { type InitContext, methodDraw, type NeoxInitMethod } from './initMethods';

/** The config's init keys as the file spells them, and what they hold. */
export interface NeoxInitKeys {
  init: { pointer: string; spelling: string; method: NeoxInitMethod };
  output: { pointer: string; spelling: string; method: NeoxInitMethod };
  std: { pointer: string; spelling: string; value: number };
  initCtx: InitContext;
  /** Every init role of the document (`PointerMap.roles`). */
  roles(): InitRole[];
}

/** Methods whose std does not depend on a weight's fans, in the order a fix offers them (Pythia's two first). */
const BY_STD: readonly NeoxInitMethod[] = ['small_init', 'wang_init', 'scaled_normal', 'normal'];

/** How far past the std a fix asks for (as a ratio) a method's std may be and still be offered in its place. */
export const METHOD_TOLERANCE = 1.25;

/**
 * A finding made on the network generated from a GPT-NeoX config, in the config's terms: its pointers are the keys
 * that decide the layers, and a fix that re-draws weights becomes a change of the key that draws them — the first
 * init method of `BY_STD` whose std is near the asked one (at most ×`METHOD_TOLERANCE` past it, at most half of it the other way:
 * a smaller init also fixes a too-large one; e.g. `init_method: small_init`), or
 * `normal` with `init_method_std` set to the asked std when the other key does not read `init_method_std`. When no
 * key can make the change (weights of both keys asked at different stds, an attention scale), the message gives the
 * exact change: the parameters and the std to draw them with.
 */
export function translateNeoxFinding(finding: Finding, map: PointerMap, keys: NeoxInitKeys): Finding {
  const candidates = [finding.fix, ...finding.alternatives].filter((f): f is Fix => f !== null);
  const fixes: Fix[] = [];
  let exact: string | null = null;
  for (const fix of candidates) {
    const changes = changesOf(fix, map);
    if (!changes || changes.some((c) => c.std === null)) continue;
    // An attention's score scale is fixed in gpt-neox's code (1/√head_dim): the same logits come from the q and k weights.
    const described = map.originAt(fix.path)?.property === 'scale' ? { ...fix, description: 'bring the attention logits\' std to 1 with the query and key weights (the fused query_key_value holds the values too)' } : fix;
    const fixed = keyFix(changes, described, keys);
    if (fixed && !fixes.some((f) => f.path === fixed.path && f.value === fixed.value)) fixes.push(fixed);
    exact ??= describeChange(changes, described);
  }
  const message = fixes.length === 0 && exact ? `${finding.message}. ${exact}` : finding.message;
  // The key that decides the problem: the one the fix changes, else the one that draws every weight it is about.
  const drawnBy = new Set(candidates.flatMap((f) => changesOf(f, map) ?? []).map((c) => c.role.key));
  const decided = fixes[0]?.path ?? (drawnBy.size === 1 ? [...drawnBy][0] : null);
  return {
    ...finding,
    path: decided ?? map.toSource(finding.path),
    related: finding.related.map((r) => ({ ...r, path: map.toSource(r.path) })),
    message, fix: fixes[0] ?? null, alternatives: fixes.slice(1),
  };
}

/** The key change that makes a fix (see `translateNeoxFinding`), or null. */
function keyFix(changes: Change[], fix: Fix, keys: NeoxInitKeys): Fix | null {
  const key = changes[0].role.key;
  const std = changes[0].std!;
  if (!(std > 0) || changes.some((c) => c.role.key !== key || Math.abs(c.std! - std) > 1e-9 * std)) return null;
  const [mine, other] = key === keys.init.pointer ? [keys.init, keys.output] : key === keys.output.pointer ? [keys.output, keys.init] : [null, null];
  if (!mine || !other) return null;
  const drawn = changes.map((c) => c.role.parameters.join(', ')).join(', ');
  const changed = new Set(changes.flatMap((c) => c.role.parameters));
  const others = [...new Set(keys.roles().filter((r) => r.key === key).flatMap((r) => r.parameters).filter((n) => !changed.has(n)))];
  const scope = others.length > 0 ? `; it draws ${others.join(', ')} too` : '';
  // A smaller std than asked also fixes a too-large init (a larger one a too-small init), up to a factor 2.
  const [low, high] = std < changes[0].role.std ? [std / 2, std * METHOD_TOLERANCE] : [std / METHOD_TOLERANCE, std * 2];
  let best: { method: NeoxInitMethod; std: number } | null = null;
  for (const method of BY_STD) {
    // normal and scaled_normal read init_method_std as it stands (the other key may read it too).
    const s = methodDraw(method, keys.initCtx, 1, 1).std;
    if (method === mine.method || s < low || s > high) continue;
    best = { method, std: s };
    break;
  }
  if (best) {
    return { description: `set ${mine.spelling} to ${best.method} (std ${fmt(best.std)} for ${drawn}: ${fix.description})${scope}`, path: mine.pointer, value: best.method, std: best.std };
  }
  if (other.method === 'normal' || other.method === 'scaled_normal') return null;
  const value = Number(std.toPrecision(4));
  return mine.method === 'normal'
    ? { description: `set ${keys.std.spelling} to ${value} (from ${keys.std.value}: ${fix.description})${scope}`, path: keys.std.pointer, value, std: value }
    : { description: `set ${mine.spelling} to normal and ${keys.std.spelling} to ${value} (${fix.description})${scope}`, path: mine.pointer, value: 'normal', std: value, also: [{ path: keys.std.pointer, value }] };
}

/** The exact change a fix asks for, in gpt-neox's parameter names, for a message. */
function describeChange(changes: Change[], fix: Fix): string {
  const parts = changes.map((c) => `${c.role.parameters.join(', ')} (drawn by ${c.role.keyName}) with std ${fmt(c.std!)}`);
  return `No one gpt-neox key makes this change: to ${fix.description}, draw ${parts.join('; ')}`;
}
