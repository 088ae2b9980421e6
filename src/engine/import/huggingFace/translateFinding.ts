import type { Finding, FindingCode, Fix } from '../../report/report';
import type { InitRole, PointerMap } from '../nativeDocument';

/**
 * Findings whose fix is a change of the init's overall scale, which a config key that scales every weight
 * (`initializer_range`, T5's `initializer_factor`) can make. Others (the residual-stream and post-LN findings) ask for
 * some projections to be scaled relative to the rest, which only the modelling code can do.
 */
const GLOBAL_SCALE_CODES: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'attention-entropy-collapse', 'output-loss-above-uniform', 'vanishing-activations', 'exploding-activations',
  'vanishing-gradients', 'exploding-gradients', 'saturated-activations', 'dead-units',
]);

/** One init a native fix changes: its role and the std it asks for (null: not a std the fix states). */
export interface Change {
  role: InitRole;
  std: number | null;
}

/**
 * A finding made on the network generated from a Hugging Face config, in the config's terms: its pointers are the
 * config keys that decide the layers (`map.toSource`), and its fix, which names inits of the generated network, becomes
 * a change of the config key that scales them (`initializer_range`, `initializer_factor`) when one key scales every
 * init it changes by the same factor and the finding is one an overall scale fixes; otherwise (Hugging Face draws its
 * weights in the model's code) the message gives the code that makes the exact change after the model is built.
 */
export function translateFinding(finding: Finding, map: PointerMap, family: string): Finding {
  const candidates = [finding.fix, ...finding.alternatives].filter((f): f is Fix => f !== null);
  const configFixes: Fix[] = [];
  let code: string | null = null;
  for (const fix of candidates) {
    const changes = changesOf(fix, map);
    if (!changes) continue;
    // The score scale is fixed in the modelling code: the same logits come from the query and key weights.
    const described = scaleEdit(fix, map) ? { ...fix, description: 'bring the attention logits\' std to 1 with the query and key weights (a fused qkv weight holds the values too)' } : fix;
    const configFix = GLOBAL_SCALE_CODES.has(finding.code) ? keyFix(changes, described, map, family) : null;
    if (configFix && !configFixes.some((f) => f.path === configFix.path && f.value === configFix.value)) configFixes.push(configFix);
    code ??= codeChange(changes, described, family);
  }
  const coversAll = configFixes.length > 0 && code === null;
  const message = code && !coversAll ? `${finding.message}. ${code}` : finding.message;
  return {
    ...finding,
    path: map.toSource(finding.path),
    related: finding.related.map((r) => ({ ...r, path: map.toSource(r.path) })),
    message,
    fix: configFixes[0] ?? null,
    alternatives: configFixes.slice(1),
  };
}

/**
 * The inits a native fix changes and the std it asks of each: an init (`{ "scheme": "normal", "std": s }`, "zeros",
 * a multiplier of the same scheme, a scheme with the fix's own `std`), a bare `std`, or an attention's score `scale`
 * (the same logit std as q and k each scaled by √(new/old)). Null when some part has no Hugging Face role.
 */
export function changesOf(fix: Fix, map: PointerMap): Change[] | null {
  const edits = [{ path: fix.path, value: fix.value }, ...(fix.also ?? [])];
  const changes: Change[] = [];
  for (const edit of edits) {
    const at = map.originAt(edit.path);
    if (!at || at.property === null) return null;
    const { origin, property } = at;
    if (property === 'scale') {
      const old = origin.values?.scale;
      const q = origin.inits?.q_init ?? origin.inits?.init;
      const k = origin.inits?.k_init ?? origin.inits?.init;
      if (old === undefined || typeof edit.value !== 'number' || !q || !k) return null;
      const ratio = Math.sqrt(edit.value / old);
      for (const r of q === k ? [q] : [q, k]) changes.push({ role: r, std: r.std * ratio });
      continue;
    }
    const role = origin.inits?.[property];
    if (!role) return null;
    changes.push({ role, std: stdOf(edit.value, role, edits.length === 1 ? fix.std : undefined) });
  }
  return changes;
}

/** Whether a fix sets an attention's score scale (which a Hugging Face model fixes in its code). */
function scaleEdit(fix: Fix, map: PointerMap): boolean {
  return map.originAt(fix.path)?.property === 'scale';
}

/** The std an init value in the engine's format asks for (see `changesOf`). */
function stdOf(value: unknown, role: InitRole, fixStd: number | undefined): number | null {
  if (typeof value === 'number') return value;
  if (value === 'zeros') return 0;
  if (typeof value === 'object' && value !== null) {
    const v = value as { scheme?: unknown; std?: unknown; multiplier?: unknown };
    const multiplier = typeof v.multiplier === 'number' ? v.multiplier : 1;
    if ((v.scheme === 'normal' || v.scheme === 'truncated_normal') && typeof v.std === 'number') return v.std * multiplier;
    if (typeof v.multiplier === 'number' && v.std === undefined && (v.scheme === 'normal' || v.scheme === 'truncated_normal')) return role.std * multiplier;
  }
  return fixStd ?? null;
}

/**
 * The config fix: one key scales every changed init (std = factor × key) and the changes agree on its new value,
 * which must be above 0.
 */
function keyFix(changes: Change[], fix: Fix, map: PointerMap, family: string): Fix | null {
  const key = changes[0].role.key;
  if (key === null || changes.some((c) => c.role.key !== key || c.std === null)) return null;
  const values = changes.map((c) => c.std! / c.role.factor);
  const value = values[0];
  if (!(value > 0) || values.some((v) => Math.abs(v - value) > 1e-9 * value)) return null;
  const { keyName, keyValue } = changes[0].role;
  const rounded = Number(value.toPrecision(4));
  const changed = new Set(changes.flatMap((c) => c.role.parameters));
  const others = map.roles().filter((r) => r.key === key && !r.parameters.every((p) => changed.has(p))).length;
  const scope = others > 0 ? `; it scales every weight ${family}'s init draws from it, not only the ones this fix is about` : '';
  return { description: `set ${keyName} to ${rounded} (from ${keyValue}: ${fix.description})${scope}`, path: key, value: rounded };
}

/**
 * The code that makes a fix's change after the model is built, as one line of Python: each changed parameter re-drawn
 * with its new std (`torch.nn.init` draws without autograd), matched by name (`model.named_parameters()`, a block
 * index `*` as any number, any prefix the model class adds).
 */
function codeChange(changes: Change[], fix: Fix, family: string): string {
  const groups = new Map<string, string[]>();
  for (const c of changes) {
    const draw = c.std === null ? null : c.std === 0 ? 'torch.nn.init.zeros_(p)' : `torch.nn.init.normal_(p, mean=0.0, std=${Number(c.std.toPrecision(5))})`;
    if (draw === null) return `Not a config.json setting: transformers draws these weights in the ${family} model's code (_init_weights); ${fix.description} there`;
    const names = groups.get(draw) ?? [];
    for (const p of c.role.parameters) if (!names.includes(p)) names.push(p);
    groups.set(draw, names);
  }
  const statements = [...groups.entries()].map(([draw, names]) => `[${draw} for name, p in model.named_parameters() if re.search(r'${namePattern(names)}', name)]`);
  return `Not a config.json setting: transformers draws these weights in the ${family} model's code (_init_weights). To ${fix.description}, after the model is built run: \`import re; ${statements.join('; ')}\``;
}

/**
 * A Python regular expression matching the named parameters: dots literal, `*` any block index, anchored at the end
 * and at a name boundary (so "transformer." or "model." before it does not matter). Names that a `*` pattern already
 * covers (block 0 of a stack beside blocks *) are left out.
 */
export function namePattern(names: readonly string[]): string {
  const toRegex = (n: string): string => n.split('*').map((part) => part.replace(/[.[\]()+?^$|\\]/g, '\\$&')).join('\\d+');
  const wild = names.filter((n) => n.includes('*')).map((n) => new RegExp(`^${toRegex(n)}$`));
  const kept = names.filter((n) => n.includes('*') || !wild.some((w) => w.test(n)));
  return `(^|\\.)(${kept.map(toRegex).join('|')})$`;
}
