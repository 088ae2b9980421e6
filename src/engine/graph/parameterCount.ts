import { isWeightNode } from './ops/weightLayer';
import type { Plan, PlanNode } from './plan';
import { sizeOf } from './plan';
import { nodeOp } from './registry';

/**
 * The number of trainable parameters of a planned network as PyTorch counts them
 * (`sum(p.numel() for p in model.parameters())`, which lists a shared tensor once): each node's own
 * (`NodeOp.parameters`), else a weight node's weight and bias, else none. Tied weights (an output head sharing the
 * embedding's table) are counted once, by their owner; repeat copies each count (each has its own weights). Shapes
 * only, O(nodes), nothing allocated.
 */
export function countParameters(plan: Plan): number {
  let total = 0;
  for (const node of plan.ordered) total += nodeParameters(node);
  return total;
}

/** One node's parameters (see `countParameters`). */
export function nodeParameters(node: PlanNode): number {
  const own = nodeOp(node.op).parameters;
  if (own) return own(node);
  if (!isWeightNode(node)) return 0;
  return sizeOf(node.weightShape) + (node.bias ? node.weightShape[0] : 0);
}
