import type { FindingCode, Severity } from './report';

// The report's repeated blocks (`Report.blocks`), as `blocks.ts` finds them; the CLI's table, the panel and the JSON
// export read them. Types and the view rule only, so that the panel's bundle takes no op code with them.

/** A sampled statistic beside its mean-field prediction (null where the mode did not compute it). */
export interface SampledPredicted {
  sampled: number | null;
  predicted: number | null;
}

/** One copy of a repeated block: its layers (a contiguous range of report rows) and their summary. */
export interface BlockReport {
  /** Position in its group, from 0. */
  index: number;
  /** `h.3`, `layers.3` for an imported model (its layers' names), else `block 3`. */
  name: string;
  /** Report index of its first and last layer (inclusive); the block is every row in between. */
  firstLayer: number;
  lastLayer: number;
  /** Std of the block's output: the residual stream after it (its last layer's output). */
  outputStd: SampledPredicted;
  /** Std of the gradient at the block's input (dL/d(output) of the layer before it); null for a block at the input. */
  gradientStd: SampledPredicted;
  /**
   * Its attention layers' scores: the lowest mean entropy over ln(visible keys) and the largest logit std (sampled,
   * and the largest predicted), the layer nearest collapse; null for a block without attention.
   */
  attention: { entropy: number | null; logitStd: number | null; predictedLogitStd: number | null } | null;
  /** The worst severity of the findings on its layers (null for none), and their codes. */
  severity: Severity | null;
  findings: FindingCode[];
}

/** Consecutive copies of one block of layers. */
export interface BlockGroup {
  /** What repeats, as op names: `residual(rmsnorm, attention) + residual(rmsnorm, gated_mlp)`. */
  pattern: string;
  /** Layers per block. */
  layersPerBlock: number;
  blocks: BlockReport[];
}

/** The fewest blocks the CLI's table and the panel show one row or point per block for (fewer: every layer). */
export const GROUPED_VIEW_MIN_BLOCKS = 4;

/** Whether a group is shown block by block by default: at least `GROUPED_VIEW_MIN_BLOCKS` blocks. */
export function groupedView(group: BlockGroup): boolean {
  return group.blocks.length >= GROUPED_VIEW_MIN_BLOCKS;
}

