import type { LayerSpec, NetworkSpec } from '../format/networkSpec';
import type { PlanContext, PlannedLayers } from './layerOp';
import { specOp } from './registry';

/**
 * Largest number of layers after expanding `repeat` (projection shortcuts count as layers); beyond it the plan is
 * refused. The parser also refuses a file that lists more layer objects than this, before building anything.
 */
export const MAX_EXPANDED_LAYERS = 100_000;

/** What every planned node has; each op (`graph/ops/*.ts`) extends it with what it needs to run. */
export interface PlanNode {
  /** The op that runs it (`registry.ts`), usually the layer's type. */
  op: string;
  /** Position in execution order, which is also the layer's index in the report. */
  index: number;
  /** JSON pointer of the layer object it comes from; copies made by `repeat` share it. */
  path: string;
  name: string;
  inShape: number[];
  outShape: number[];
}

/** The executable network: top-level nodes (residual nodes hold their branch) and all nodes in execution order. */
export interface Plan {
  nodes: PlanNode[];
  ordered: PlanNode[];
  inputShape: number[];
  /** The vocabulary of an input of token ids, else null. */
  inputVocab: number | null;
  batchSize: number;
  seed: number;
}

/** A shape or structure error at a layer. */
export interface PlanError {
  path: string;
  message: string;
}

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

/** A single planned node as a run (for ops that plan one node). */
export function single(node: PlanNode): PlannedLayers {
  return { nodes: [node], outShape: node.outShape };
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A shape as messages print it: [3, 32, 32]. */
export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Rows a sample contributes to ops on the last axis: T for a sequence [tokens, features], else 1. */
export function rowsPerSample(shape: readonly number[]): number {
  return shape.length === 2 ? shape[0] : 1;
}
