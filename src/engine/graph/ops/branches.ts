import type { LayerSpec } from '../../format/networkSpec';
import { childPointer } from '../../format/problem';
import type { LayerParseContext, PlanContext, PlannedLayers } from '../layerOp';

/** Branches as a spec keeps them: every branch's layers in one list, and each branch's length. */
export interface BranchLayers {
  layers: LayerSpec[];
  branchSizes: number[];
}

/**
 * Reads `branches`, an array of layer arrays (a concatenate's, a parallel residual's): at least `minBranches` of
 * them, each read by `readLayers`; an empty branch is allowed only with `emptyBranch` (a concatenate's identity
 * input). `what` names the op in the messages ("the concatenate"). Undefined after located problems.
 */
export function readBranches(ctx: LayerParseContext, what: string, options: { minBranches: number; emptyBranch: boolean }): BranchLayers | undefined {
  const path = ctx.at('branches');
  const items = ctx.r.array(ctx.required('branches', 'the branches as an array of layer arrays'), path, 'branches');
  if (!items) return undefined;
  if (items.length < options.minBranches) {
    const message = items.length === 0 && options.minBranches === 1 ? `${what} at ${ctx.path} has no branch` : `${what} at ${ctx.path} needs at least ${options.minBranches} branches, got ${items.length}`;
    ctx.r.report(ctx.r.prop(ctx.obj, 'branches'), path, message);
    return undefined;
  }
  const layers: LayerSpec[] = [];
  const branchSizes: number[] = [];
  let ok = true;
  items.forEach((item, k) => {
    const branch = ctx.readLayers(item, childPointer(path, k));
    if (!branch) { ok = false; return; }
    if (branch.length === 0 && !options.emptyBranch) {
      ctx.r.report(item, childPointer(path, k), `branch ${k} of ${what} at ${ctx.path} is empty`);
      ok = false;
      return;
    }
    for (const layer of branch) layers.push(layer);
    branchSizes.push(branch.length);
  });
  return ok ? { layers, branchSizes } : undefined;
}

/**
 * Plans the branches of `spec` on the same input, in order (an empty branch is the input itself), each checked by
 * `accept` as soon as it is planned, beside the branches before it (`accept` calls `ctx.fail` and returns false to
 * refuse it). Null after a failure.
 */
export function planBranches(spec: BranchLayers, inShape: number[], ctx: PlanContext,
  accept: (branch: PlannedLayers, k: number, earlier: readonly PlannedLayers[]) => boolean = () => true): PlannedLayers[] | null {
  const planned: PlannedLayers[] = [];
  let start = 0;
  for (const [k, size] of spec.branchSizes.entries()) {
    const branch = size === 0 ? { nodes: [], outShape: inShape } : ctx.planLayers(spec.layers.slice(start, start + size), inShape);
    if (!branch || !accept(branch, k, planned)) return null;
    planned.push(branch);
    start += size;
  }
  return planned;
}
