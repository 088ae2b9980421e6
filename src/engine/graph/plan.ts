import type { LayerSpec, NetworkSpec } from '../format/networkSpec';
import type { PlanContext, PlannedLayers } from './layerOp';
import { specOp } from './registry';

/** Largest number of layers after expanding `repeat`; beyond it the plan is refused. */
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
 * mismatches are errors at the offending layer; nothing is allocated here.
 */
export function buildPlan(network: NetworkSpec): { plan: Plan | null; errors: PlanError[] } {
  const errors: PlanError[] = [];
  const ordered: PlanNode[] = [];
  const counter = { next: 0, exceeded: false };
  const planLayers = (layers: LayerSpec[], inShape: number[]): PlannedLayers | null => {
    const nodes: PlanNode[] = [];
    let shape = inShape;
    for (const layer of layers) {
      if (counter.exceeded) return null;
      const ctx: PlanContext = {
        take: () => {
          if (counter.next >= MAX_EXPANDED_LAYERS) counter.exceeded = true;
          return counter.next++;
        },
        fail: (message) => { errors.push({ path: layer.path, message }); return null; },
        push: (node) => { ordered.push(node); return node; },
        label: layer.name ?? layer.type,
        planLayers,
      };
      const planned = specOp(layer.type).plan(layer, shape, ctx);
      if (!planned) return null;
      nodes.push(...planned.nodes);
      shape = planned.outShape;
    }
    return { nodes, outShape: shape };
  };
  const planned = planLayers(network.layers, network.input.shape);
  if (counter.exceeded) {
    errors.push({ path: '/layers', message: `the network expands to more than ${MAX_EXPANDED_LAYERS} layers; reduce "times" in its repeats` });
  }
  if (!planned || errors.length > 0) return { plan: null, errors };
  return { plan: { nodes: planned.nodes, ordered, inputShape: network.input.shape, batchSize: network.batchSize, seed: network.seed }, errors };
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
