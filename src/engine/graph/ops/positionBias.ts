import type { Node } from 'jsonc-parser';
import { readInit } from '../../format/parseInit';
import type { InitSpec } from '../../init/initSpec';
import { type ResolvedInit, resolveInit } from '../../init/resolveInit';
import { relativePositionBucket } from '../../math/relativePosition';
import type { LayerParseContext, PlanContext, SampledContext } from '../layerOp';
import type { PlanNode } from '../plan';

/** An attention layer's `position_bias` as declared: its own table, or "shared" (the preceding attention's). */
export type PositionBiasSpec = { buckets: number; maxDistance: number; bidirectional: boolean; init: InitSpec } | 'shared';

/**
 * A relative position bias as planned: the table [buckets, heads] of `owner` (the attention that declared it; the
 * layers that share it read the same values), added to the scores of head h as table[bucket(j − i), h].
 */
export interface PositionBias {
  owner: PlanNode;
  buckets: number;
  maxDistance: number;
  bidirectional: boolean;
  initSpec: InitSpec;
  init: ResolvedInit;
}

/** The table's random stream: part 4 of its owner (attention's q, k, v, o are parts 0 to 3). */
export const POSITION_BIAS_PART = 4;

/** The schema of `position_bias`. */
export const POSITION_BIAS_SCHEMA = {
  description: 'A learned relative position bias added to the scores (T5): { "buckets", "max_distance", "bidirectional", "init" } for an own table [buckets, heads], or "shared" for the preceding attention\'s (T5\'s later blocks reuse the first block\'s).',
  oneOf: [
    { enum: ['shared'] },
    { type: 'object', additionalProperties: false, properties: {
      buckets: { type: 'integer', minimum: 2, description: 'relative_attention_num_buckets (default 32).' },
      max_distance: { type: 'integer', minimum: 1, description: 'relative_attention_max_distance (default 128).' },
      bidirectional: { type: 'boolean', description: 'Keys after the query get their own buckets (an encoder; default true). False for a causal decoder.' },
      init: { $ref: '#/definitions/init', description: 'Init of the table (default N(0, 1), nn.Embedding\'s).' },
    } },
  ],
};

/** Reads `position_bias` (absent: null). */
export function readPositionBias(ctx: LayerParseContext, node: Node | undefined): PositionBiasSpec | null | undefined {
  if (!node) return null;
  const path = ctx.at('position_bias');
  if (node.type === 'string') return ctx.r.oneOf(node, path, 'position_bias', ['shared'] as const);
  const obj = ctx.r.object(node, path, 'position_bias');
  if (!obj) return undefined;
  ctx.r.checkKeys(obj, path, ['buckets', 'max_distance', 'bidirectional', 'init'], 'position_bias');
  const buckets = ctx.r.number(ctx.r.prop(obj, 'buckets'), `${path}/buckets`, 'buckets', { integer: true, min: 2, max: 1 << 16 }) ?? 32;
  const maxDistance = ctx.r.number(ctx.r.prop(obj, 'max_distance'), `${path}/max_distance`, 'max_distance', { integer: true, min: 1, max: 1 << 24 }) ?? 128;
  const bidirectional = ctx.r.boolean(ctx.r.prop(obj, 'bidirectional'), `${path}/bidirectional`, 'bidirectional') ?? true;
  const initNode = ctx.r.prop(obj, 'init');
  const init = initNode ? readInit(ctx.r, initNode, `${path}/init`, 'layer', 'weight') : { scheme: 'pytorch_default' as const, options: {}, multiplier: 1, path, source: 'assumed' as const };
  return init ? { buckets, maxDistance, bidirectional, init } : undefined;
}

/**
 * Plans an attention layer's position bias: its own table, or the one of the attention before it that has one (null
 * after `ctx.fail` when "shared" finds none, or one with another number of heads).
 */
export function planPositionBias(spec: PositionBiasSpec | null, owner: PlanNode, heads: number, ctx: PlanContext, path: string): PositionBias | null | undefined {
  if (spec === null) return null;
  if (spec === 'shared') {
    const before = ctx.preceding('attention') as (PlanNode & { positionBias?: PositionBias | null; heads: number }) | null;
    if (!before?.positionBias) return ctx.fail(`the attention at ${path} shares a position bias, but no attention before it has one; give the first one { "buckets": …, "init": … }`) ?? undefined;
    if (before.heads !== heads) return ctx.fail(`the attention at ${path} has ${heads} heads but shares the position bias of ${before.path} with ${before.heads}`) ?? undefined;
    return before.positionBias;
  }
  return { owner, buckets: spec.buckets, maxDistance: spec.maxDistance, bidirectional: spec.bidirectional, initSpec: spec.init,
    init: resolveInit(spec.init, [spec.buckets, heads], 'embedding') };
}

/** Adds head h's bias to a [queries, keys] block of scores: s_ij += table[bucket(j − i), h] (queries and keys at positions 0, 1, …). */
export function addPositionBias(scores: Float32Array, table: Float32Array, bias: PositionBias, heads: number, h: number, queries: number, keys: number): void {
  for (let i = 0; i < queries; i++) for (let j = 0; j < keys; j++) {
    scores[i * keys + j] += table[relativePositionBucket(j - i, bias.bidirectional, bias.buckets, bias.maxDistance) * heads + h];
  }
}

/** The bias table [buckets, heads] as the run draws it (regenerated from its owner's stream; hand it back with `backend.release`). */
export function positionBiasTable(bias: PositionBias, heads: number, run: SampledContext): Float32Array {
  return run.partWeight(bias.owner, POSITION_BIAS_PART, bias.init, bias.buckets, heads);
}
