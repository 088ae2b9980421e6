import type { Node as JsonNode } from 'jsonc-parser';
import type { ComputeBackend } from '../backend/computeBackend';
import type { Defaults } from '../format/layerFields';
import type { LayerSpec } from '../format/networkSpec';
import type { Reader } from '../format/reader';
import type { Finding, LayerReport } from '../report/report';
import type { Activation } from '../math/activation';
import type { PredictedLayer, Signal } from '../meanField/signal';
import type { OutputStats } from '../sampled/layerStats';
import type { WeightSource } from '../sampled/streamedWeight';
import type { PlanNode } from './plan';
import type { WeightNode } from './ops/weightLayer';
import type { ResolvedInit } from '../init/resolveInit';

/** A JSON Schema (draft-07) fragment, as VS Code's JSON language service reads it. */
export type JsonSchema = Record<string, unknown>;

/**
 * A layer type of the file format: how its JSON object is read (and described by the schema) and how it is planned
 * into nodes. Every op lives in one module under `graph/ops/` and is listed in `graph/registry.ts`; the parser, the
 * planner and the walkers (`meanField/`, `sampled/`, `findings/`) know ops only through this interface.
 */
export interface SpecOp<S extends LayerSpec = LayerSpec> {
  /** The `type` value in the file format. */
  readonly type: string;
  /** Other spellings accepted for `type` (PyTorch's and Keras' names), mapped to it. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Properties the layer object may have besides `type`, `name` and `description`. */
  readonly keys: readonly string[];
  /** True for the op that reads token ids (`embedding`); every other op refuses them at plan time. */
  readonly readsTokenIds?: boolean;
  /** The layer object's JSON Schema: `properties` (without the common ones), `required` and a `description`. */
  readonly schema: { description: string; properties: Record<string, JsonSchema>; required?: string[] };
  /** Reads the layer object; reports every problem through `ctx.r` and returns undefined when it is unusable. */
  parse(ctx: LayerParseContext): S | undefined;
  /** Infers shapes, fans and weights; returns the planned nodes (in `ctx`'s order) or null after `ctx.fail`. */
  plan(spec: S, inShape: number[], ctx: PlanContext): PlannedLayers | null;
}

/**
 * What a planned node does: its mean-field prediction, its sampled forward and backward pass, its cost and its part
 * in the findings. Keyed by the node's `op`.
 */
export interface NodeOp<N extends PlanNode = PlanNode> {
  /** The node's `op`. */
  readonly op: string;
  /**
   * Mean field, forward: maps the input signal's moments to the output's, calling `ctx.record` once for the node.
   * Backward is `ctx`'s default (Var(dx) = backwardFactor·Var(dy)) unless `predictBackward` is given.
   */
  predict(node: N, signal: Signal, ctx: PredictContext): Signal;
  /** Mean field, backward, for nodes whose gradient is not a single factor (residual blocks): Var(dx) from Var(dy). */
  predictBackward?(node: N, gradientVariance: number, ctx: PredictContext): number;
  /** Sampled forward pass: returns the output and calls `run.record` once for the node. */
  forward(node: N, x: Float32Array, run: SampledContext): Float32Array;
  /**
   * Sampled backward pass: the gradient at the node's input from `dy` at its output and what the forward pass kept
   * (`tape`); an empty array when `needInput` is false and the op can skip it.
   */
  backward(node: N, dy: Float32Array, tape: TapeEntry, run: SampledContext, needInput: boolean): Float32Array;
  /**
   * The fields of its tape entry (`x`, `pre`, `out`) that `backward` reads, directly or through `saved` (default:
   * all three). The sampled run hands a forward tensor's memory back once the forward pass is done with it and no
   * backward pass will read it, so an op that reads less lets the run hold less.
   */
  backwardReads?(node: N): readonly TapeField[];
  /**
   * Writes the node's output again into `out` from its tape entry, bit for bit as the forward pass made it (e.g. an
   * elementwise nonlinearity of the kept pre-activation). When given, the run lets go of the output once the forward
   * pass is done with it and remakes it for the backward passes that read it, instead of holding it in between.
   */
  rematerialize?(node: N, tape: TapeEntry, out: Float32Array, run: SampledContext): void;
  /** Adds the node's own costs (weights, GEMM FLOPs, extra kept tensors) to the tally; outputs are counted for it. */
  cost?(node: N, tally: CostTally, batch: number): void;
  /**
   * Floats the node holds at once beyond the tape and its weights, forward or backward, whichever is more (its
   * temporaries), for ops the cost estimate's generic rule does not describe (`sampled/cost.ts`).
   */
  transientFloats?(node: N, batch: number): number;
  /**
   * The node's own trainable parameters as its framework counts them (weights, biases, norm gains and shifts; a tied
   * weight once, by its owner). Absent: a weight node's weight and bias (`graph/parameterCount.ts`), else 0.
   */
  parameters?(node: N): number;
  /** The nonlinearity at the node's output (judged for saturation and dead units), or null when it applies none. */
  outputActivation?(node: N): Activation | null;
  /** Nested node lists (a residual block's branch), for walkers that look at the structure. */
  subgraphs?(node: N): PlanNode[][];
  /** The node's part in the findings. */
  readonly findings: FindingsRole;
}

/** An op that both reads a layer and runs as a node (all but `repeat`, which only expands at plan time). */
export type LayerOp<S extends LayerSpec, N extends PlanNode> = SpecOp<S> & NodeOp<N>;

/** How a node takes part in the findings (`findings/diagnose.ts`). */
export interface FindingsRole {
  /**
   * Along the main path, vanishing and exploding are judged over chains: `link` nodes are judged (weight layers,
   * residual blocks), `transparent` ones are skipped (activations, reshapes, dropout), `cut` ends the chain
   * (normalization and pooling rescale the signal for reasons that have nothing to do with the init).
   */
  readonly chain: 'link' | 'transparent' | 'cut';
  /** True for an op that only applies a nonlinearity: a linear weight layer right before it takes its activation. */
  readonly activationOnly?: boolean;
  /** True for a normalization: a weight layer right before it has its scale reset, so its init scale is moot. */
  readonly normalizes?: boolean;
  /** Findings on a list of sibling nodes of this op (residual variance growth over consecutive blocks). */
  diagnoseSiblings?(siblings: PlanNode[], stats: DiagnoseStats): FindingDraft[];
}

/** What findings read about every layer: its report (sampled where measured, else predicted) and the input std. */
export interface DiagnoseStats {
  layers: LayerReport[];
  inputStd: number;
  /** The output std of a node as the findings judge it (sampled where measured, else predicted). */
  outputStd(node: PlanNode): number;
  /** The last weight layer of a node list, looking into nested lists. */
  lastWeightOf(nodes: PlanNode[]): WeightNode | null;
}

export type FindingDraft = Omit<Finding, 'copies'>;

/** A run of planned nodes and the shape they end with. */
export interface PlannedLayers {
  nodes: PlanNode[];
  outShape: number[];
  /** Set when they end on token ids (an `encoder` passes its input of token ids on to the decoder): their vocabulary. */
  outVocab?: number | null;
}

/** What an op's `parse` gets: the layer object, its pointer and name, the defaults and the readers of its fields. */
export interface LayerParseContext {
  readonly r: Reader;
  readonly obj: JsonNode;
  readonly path: string;
  readonly type: string;
  readonly name: string | undefined;
  readonly defaults: Defaults;
  /** The pointer of one of the layer's properties. */
  at(key: string): string;
  /** The property's node, reporting it as missing (with `what` it should be) when absent. */
  required(key: string, what: string): JsonNode | undefined;
  /** A required positive integer property, at most `MAX_DIMENSION`. */
  positive(key: string, what: string): number | undefined;
  /** Reads a nested list of layers (a residual branch, a repeat's body). */
  readLayers(node: JsonNode | undefined, path: string): LayerSpec[] | undefined;
}

/** What an op's `plan` gets from the planner. */
export interface PlanContext {
  /** The next index in execution order (a node's index in the report). */
  take(): number;
  /** Records a shape or structure error at the layer; returns null for `return ctx.fail(…)`. */
  fail(message: string): null;
  /** Appends a node to the execution order (a residual block comes after its branch and shortcut). */
  push<T extends PlanNode>(node: T): T;
  /** The layer's display name: its `name`, else its type. */
  readonly label: string;
  /** The vocabulary when the layer's input is token ids (the network's input), else null. */
  readonly inVocab: number | null;
  /** Plans a nested list of layers from `inShape` (token ids of vocabulary `inVocab`, when given), appending to the execution order. */
  planLayers(layers: LayerSpec[], inShape: number[], inVocab?: number | null): PlannedLayers | null;
  /** The latest node of op `op` planned so far (the embedding a tied output head shares), or null. */
  preceding(op: string): PlanNode | null;
}

/** What an op's mean-field prediction gets from the walker (`meanField/predictMeanField.ts`). */
export interface PredictContext {
  readonly batch: number;
  /** Stores the node's prediction and the factors of its backward pass: Var(dx) = backwardFactor·Var(dy). */
  record(node: PlanNode, p: Omit<PredictedLayer, 'gradientStd'>, backwardFactor: number, postDerivative?: number): void;
  /** Predicts a nested list (approximation marks propagate downstream). */
  predictNodes(nodes: PlanNode[], signal: Signal): Signal;
  /** Predicts one node directly (a projection shortcut). */
  predictNode(node: PlanNode, signal: Signal): Signal;
  /** Walks a nested list backwards from gradient variance `g` at its output; returns the variance at its input. */
  backwardNodes(nodes: PlanNode[], g: number): number;
  /** Sets a node's predicted gradient std from the gradient variance at its output. */
  setGradientVariance(node: PlanNode, g: number): void;
  /** The factors `record` stored for a node. */
  factors(node: PlanNode): { backwardFactor: number; postDerivative: number };
  /**
   * How a window pooling of dependent elements (`Signal.dependentNeighbours`) pools: `independent` windows (the rules
   * for independent elements), or fully `correlated` ones, each window's max or average the element itself. The walker
   * predicts the second only when the first met such a pooling (`dependentWindows`), and bounds every layer by the
   * distance between the two (`predictMeanField`).
   */
  readonly windows: 'independent' | 'correlated';
  /** Tells the walker that a window pooling of dependent elements was predicted. */
  dependentWindows(): void;
}

/** The tensors of a tape entry that a backward pass may read (see `NodeOp.backwardReads`). */
export type TapeField = 'x' | 'pre' | 'out';

/** What the forward pass keeps of a node for its backward pass; `saved` is the op's own (mask, argmax, 1/σ). */
export interface TapeEntry {
  x: Float32Array;
  pre: Float32Array;
  out: Float32Array;
  saved?: unknown;
}

/** What the sampled run measured on one layer. */
export interface SampledLayer {
  preActivation: { mean: number; std: number };
  activation: OutputStats & { distinctUnits: number | null };
  /** Std of the gradient with respect to the layer's output. */
  gradientStd: number;
  /** Std of the sampled weights, of the weight gradient, and their ratio std(dW)/std(W); null without weights. */
  weightStd: number | null;
  weightGradientStd: number | null;
  /** An attention layer's logits and weights. */
  attention?: AttentionStats;
  /** An output head's mean cross-entropy against random target tokens. */
  loss?: number;
}

/** What an attention layer measures of its scores at init. */
export interface AttentionStats {
  /** Std of the scaled logits q·k·scale over every visible (query, key) pair. */
  logitStd: number;
  /** Mean over heads and queries (with more than one visible key) of the attention entropy over ln(visible keys). */
  entropy: number;
}

/** What an op's sampled passes get from the walker (`sampled/runSampled.ts`). */
export interface SampledContext {
  readonly batch: number;
  readonly seed: number;
  readonly backend: ComputeBackend;
  /**
   * A tensor in the backend's memory for the node whose forward pass is running; contents unset. The run hands it
   * back after that node's backward pass, or earlier once the forward pass is done with it (`forwardDone`) and no
   * backward pass reads it (`NodeOp.backwardReads`).
   */
  tensor(length: number): Float32Array;
  /** Tells the run that the forward pass no longer reads `t` (a branch's output, once added into a block's sum). */
  forwardDone(t: Float32Array): void;
  /**
   * A tensor in the backend's memory for a gradient that `backward` returns (or passes to `backwardNodes`); the
   * run hands it back once the next backward pass has read it. Contents unset.
   */
  gradient(length: number): Float32Array;
  /** Hands back a tensor from `gradient` that is no longer needed (a no-op for any other array, and when repeated). */
  dropGradient(t: Float32Array): void;
  /** Records the node's forward tensors and statistics (of `entry.pre` and `entry.out`, judged for `act`). */
  record(node: PlanNode, entry: TapeEntry, act: Activation, extra?: { distinctUnits?: number; weightStd?: number; attention?: AttentionStats; loss?: number }): void;
  /** The node's weights, generated from their own stream (or cached). */
  weights(node: WeightNode): { w: Float32Array; b: Float32Array | null };
  /**
   * Weight `part` of a node with several (attention q, k, v, o; a gated MLP's gate, up, down): a rows × cols tensor
   * drawn from `init` on stream `Stream.partWeight(index, part)`, regenerated on every call; hand it back with
   * `backend.release`.
   */
  /**
   * The weight of `node` (part `part` of a node with several; its Stream.weight without) as a source to draw block by
   * block (`sampled/streamedWeight.ts`), or null when the op uses it whole: the run caches its weights, or its init
   * needs the whole matrix, or it fits in a block. `zeroRow`: a row drawn as zeros (an embedding's padding_idx).
   */
  streamed(node: PlanNode, init: ResolvedInit, rows: number, cols: number, part?: number, zeroRow?: number | null): WeightSource | null;
  partWeight(node: PlanNode, part: number, init: ResolvedInit, rows: number, cols: number): Float32Array;
  /** The bias of weight `part` (`Stream.partBias(index, part)`), `rows` values. */
  partBias(node: PlanNode, part: number, init: ResolvedInit, rows: number): Float32Array;
  /** Whether the node's weights are held (cached, or kept from the forward pass for the backward). */
  holdsWeights(node: WeightNode): boolean;
  /** Hands the weights back unless cached (the network's last layer keeps them after the forward pass). */
  dropWeights(node: WeightNode, weights: { w: Float32Array; b: Float32Array | null }, phase: 'forward' | 'backward'): void;
  /** The sampled statistics recorded for a node (to add the weight gradient's std in the backward pass). */
  result(node: PlanNode): SampledLayer;
  forwardNodes(nodes: PlanNode[], x: Float32Array): Float32Array;
  forwardNode(node: PlanNode, x: Float32Array): Float32Array;
  /**
   * The backward pass of a list of nodes from dy at its output (dy stays the caller's); returns the gradient at its
   * input, which the caller drops (`dropGradient`) once read.
   */
  backwardNodes(nodes: PlanNode[], dy: Float32Array, needInput: boolean): Float32Array;
  backwardNode(node: PlanNode, dy: Float32Array, needInput: boolean): Float32Array;
}

/** The running totals of `sampled/cost.ts`; ops add what they hold beyond their kept outputs. */
export interface CostTally {
  gemmFlops: number;
  initFlops: number;
  weightCount: number;
  largestWeight: number;
  keptFloats: number;
  /** The largest scratch a layer holds while it runs, in floats (conv2d's im2col buffer, attention's workspaces). */
  largestCols: number;
}
