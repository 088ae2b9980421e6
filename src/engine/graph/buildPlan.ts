import type { LayerSpec, NetworkSpec } from '../format/networkSpec';
import type { PlanContext, PlannedLayers } from './layerOp';
import { describeShape, MAX_EXPANDED_LAYERS, type Plan, type PlanError, type PlanNode } from './plan';
import { specOp } from './registry';

// The planner apart from plan.ts, which the ops import for its types and helpers: plan.ts → registry → ops → plan.ts
// was a load-order cycle that left an op undefined in the registry when a module imported an op first.

/**
 * Infers every layer's input and output shape, expands `repeat`, makes each init concrete for its fans and numbers
 * the layers in execution order (a residual block after its branch and shortcut), each op by its own `plan`. Shape
 * mismatches are errors at the offending layer; more than `MAX_EXPANDED_LAYERS` layers is an error at the layer that
 * goes past it, found as soon as it is planned. Nothing is allocated here; work and memory are linear in the number
 * of planned layers. Recursion goes one level per nested layer list, which the parser bounds (`MAX_LAYER_NESTING`).
 */
export function buildPlan(network: NetworkSpec): { plan: Plan | null; errors: PlanError[] } {
  const errors: PlanError[] = [];
  const ordered: PlanNode[] = [];
  const counter = { next: 0, exceeded: false, at: '/layers' };
  const planLayers = (layers: LayerSpec[], inShape: number[], inVocab: number | null = null): PlannedLayers | null => {
    const nodes: PlanNode[] = [];
    let shape = inShape;
    let vocab = inVocab;
    for (const layer of layers) {
      if (counter.exceeded) return null;
      const op = specOp(layer.type);
      if (vocab !== null && !op.readsTokenIds) {
        errors.push({ path: layer.path, message: `the ${layer.type} layer at ${layer.path} gets token ids (${describeShape(shape)}, vocabulary ${vocab}); put an { "type": "embedding" } layer before it` });
        return null;
      }
      const ctx: PlanContext = {
        take: () => {
          if (counter.next >= MAX_EXPANDED_LAYERS && !counter.exceeded) {
            counter.exceeded = true;
            counter.at = layer.path;
          }
          return counter.next++;
        },
        fail: (message) => { errors.push({ path: layer.path, message }); return null; },
        push: (node) => { ordered.push(node); return node; },
        label: layer.name ?? layer.type,
        inVocab: vocab,
        planLayers,
        preceding: (wanted) => {
          for (let i = ordered.length - 1; i >= 0; i--) if (ordered[i].op === wanted) return ordered[i];
          return null;
        },
      };
      const planned = op.plan(layer, shape, ctx);
      if (!planned) return null;
      // A loop, not push(...spread): spreading 100,000 nodes as arguments overflows V8's stack.
      for (const node of planned.nodes) nodes.push(node);
      shape = planned.outShape;
      vocab = planned.outVocab ?? null;
    }
    if (vocab !== null) {
      errors.push({ path: '/layers', message: `the network ends on token ids (vocabulary ${vocab}); add an { "type": "embedding" } layer` });
      return null;
    }
    return { nodes, outShape: shape };
  };
  const planned = planLayers(network.layers, network.input.shape, network.input.vocab);
  if (counter.exceeded) errors.push({ path: counter.at, message: tooManyLayersMessage(network.layers) });
  if (!planned || errors.length > 0) return { plan: null, errors };
  return { plan: { nodes: planned.nodes, ordered, inputShape: network.input.shape, inputVocab: network.input.vocab, batchSize: network.batchSize, seed: network.seed }, errors };
}

/**
 * Why a network has more than `MAX_EXPANDED_LAYERS` layers, from what its file lists: how many layer objects, and
 * whether repeats (with "times" above 1) multiply them; otherwise the projection shortcuts, which plan as layers too.
 */
function tooManyLayersMessage(layers: LayerSpec[]): string {
  let listed = 0;
  let repeats = false;
  // Iterative over the nested lists; the parser bounds their nesting anyway.
  const pending: LayerSpec[][] = [layers];
  for (let list = pending.pop(); list; list = pending.pop()) {
    for (const layer of list) {
      listed++;
      const nested = (layer as { layers?: unknown }).layers;
      if (Array.isArray(nested)) pending.push(nested as LayerSpec[]);
      const times = (layer as { times?: unknown }).times;
      if (layer.type === 'repeat' && typeof times === 'number' && times > 1) repeats = true;
    }
  }
  const head = `the network has more than ${MAX_EXPANDED_LAYERS} layers, the most a network may have: its file lists ${listed} layers`;
  if (repeats) return `${head} and its repeats copy them over; reduce "times" in its repeats`;
  if (listed > MAX_EXPANDED_LAYERS) return `${head}; split the network`;
  return `${head} and its projection shortcuts plan as one layer each; split the network`;
}
