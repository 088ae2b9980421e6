// The validators of every message that crosses a thread or process boundary are tables keyed by message type:
// `MessageValidators<M>` needs one entry per member of the union M, so a new message type does not compile until it
// has a validator, and each entry must return that member.

/** A plain object (not null, not an array): what every message and every field object must be. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `record[key]` when the record has it as its own property, else undefined: a field is never read from the
 * prototype chain (`constructor`, `toString`, `__proto__`), whatever the message claims.
 */
export function ownField(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** One validator per message type: takes the raw message (its `type` already matched) and returns it rebuilt, or null. */
export type MessageValidators<M extends { type: string }> = {
  readonly [K in M['type']]: (message: Record<string, unknown>) => Extract<M, { type: K }> | null;
};

/**
 * Checks a raw message against the table: it must be a plain object whose own `type` is an own key of the table
 * (so `constructor` or `__proto__` is no type), and the validator of that type must accept it. Returns the message
 * rebuilt from its checked fields only, or null.
 */
export function validateMessage<M extends { type: string }>(validators: MessageValidators<M>, raw: unknown): M | null {
  if (!isRecord(raw)) return null;
  const type = ownField(raw, 'type');
  if (typeof type !== 'string' || !Object.hasOwn(validators, type)) return null;
  const validate: (message: Record<string, unknown>) => M | null = validators[type as M['type']];
  return validate(raw);
}

/** A run id: both the panel and the engine runner number their runs 1, 2, 3, … */
export function isRunId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

/** A duration in milliseconds: a finite number ≥ 0. */
export function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Whether `value` has an engine report's shape: an object with its layers, findings and problems as arrays. Reports
 * come from our own engine build, so their shape is checked, not every number in them.
 */
export function hasReportShape(value: unknown): value is Record<string, unknown> & Record<'layers' | 'findings' | 'problems', unknown[]> {
  return isRecord(value) && ['layers', 'findings', 'problems'].every((key) => Array.isArray(ownField(value, key)));
}
