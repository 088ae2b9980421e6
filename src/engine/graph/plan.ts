import type { PlannedLayers } from './layerOp';

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
