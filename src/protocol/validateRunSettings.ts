// The checks of a run's knobs, shared by the webview → host and host → worker validators. The bounds are the
// engine's (RUN_BOUNDS); each check rebuilds the value from its own, checked fields.
import { isValidBatchSize, isValidSeed, isWhatIfScheme, type Mode, type WhatIf } from '../engine';
import type { RunSettings } from './panelProtocol';
import { isRecord, ownField } from './validateMessage';

/** The engine's modes, as a table so that a new Mode does not compile until it is listed here. */
const MODES: Record<Mode, true> = { sampled: true, analytic: true, both: true };

/** The largest what-if multiplier accepted: far past any useful scale (the panel's field has no upper bound). */
export const MAX_WHAT_IF_MULTIPLIER = 1e6;

/** The longest JSON pointer accepted (a what-if target, a path to reveal): far past any network file's nesting. */
export const MAX_POINTER_LENGTH = 2000;

/** Whether `name` is a property every object inherits (`constructor`, `toString`, `__proto__`, …), never a name of ours. */
export function isInheritedName(name: string): boolean {
  return Object.hasOwn(Object.prototype, name);
}

export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && Object.hasOwn(MODES, value);
}

/** Whether `value` is '' (the whole document) or a JSON pointer ('/layers/0'), of at most MAX_POINTER_LENGTH characters. */
export function isPointer(value: unknown): value is string {
  return typeof value === 'string' && (value === '' || value.startsWith('/')) && value.length <= MAX_POINTER_LENGTH;
}

/** A run's seed, batch size and mode, each within the engine's bounds, or null. */
export function validateRunSettings(value: unknown): RunSettings | null {
  if (!isRecord(value)) return null;
  const seed = ownField(value, 'seed');
  const batchSize = ownField(value, 'batchSize');
  const mode = ownField(value, 'mode');
  return isValidSeed(seed) && isValidBatchSize(batchSize) && isMode(mode) ? { seed, batchSize, mode } : null;
}

/**
 * A what-if, or null: its target is "all" or a layer's JSON pointer, its scheme one the engine can set (and no
 * inherited name: the engine looks aliases up with `in`), its multiplier finite in [0, MAX_WHAT_IF_MULTIPLIER].
 */
export function validateWhatIf(value: unknown): WhatIf | null {
  if (!isRecord(value)) return null;
  const target = ownField(value, 'target');
  const scheme = ownField(value, 'scheme');
  const multiplier = ownField(value, 'multiplier');
  if (typeof target !== 'string' || (target !== 'all' && (target === '' || !isPointer(target)))) return null;
  if (typeof scheme !== 'string' || isInheritedName(scheme) || !isWhatIfScheme(scheme)) return null;
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 0 || multiplier > MAX_WHAT_IF_MULTIPLIER) return null;
  return { target, scheme, multiplier };
}
