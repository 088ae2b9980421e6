import { isStreamable, STREAM_BLOCK_FLOATS, STREAM_MIN_FLOATS, type WeightSource } from './streamedWeight';
import type { ComputeBackend } from '../backend/computeBackend';
import type { AttentionStats, SampledContext, SampledLayer, TapeEntry, TapeField } from '../graph/layerOp';
import type { ResolvedInit } from '../init/resolveInit';
import type { WeightNode } from '../graph/ops/weightLayer';
import { type Plan, type PlanNode, rowsPerSample, sizeOf } from '../graph/plan';
import { nodeOp } from '../graph/registry';
import { sampleInit } from '../init/sampleInit';
import type { Activation } from '../math/activation';
import { streamKey } from '../random/fill';
import { Stream } from '../random/rng';
import { momentsStd } from '../backend/tensorMoments';
import { fillTokenIds } from '../random/tokenIds';
import { outputStats } from './layerStats';

export type { SampledLayer } from '../graph/layerOp';

/** What a backward pass reads when its op does not say (`NodeOp.backwardReads`). */
const ALL_TAPE_FIELDS: readonly TapeField[] = ['x', 'pre', 'out'];

export interface SampledOptions {
  input: { mean: number; std: number; distribution: 'normal' | 'uniform' };
  /** Keep every layer's weights for the backward pass instead of regenerating them from their seed. */
  cacheWeights: boolean;
  /**
   * Without the cache, weights whose init is drawn value by value are streamed (`streamedWeight.ts`): drawn in blocks
   * of this many floats and used at once. Default STREAM_BLOCK_FLOATS, for weights above STREAM_MIN_FLOATS; tests set
   * small blocks, and then every weight larger than one block is streamed.
   */
  streamBlockFloats?: number;
  /** Called between layers with the fraction done; returning true cancels the run. */
  onProgress?: (fraction: number) => boolean;
}

/** Thrown (and caught by `analyze`) when `onProgress` asks to stop. */
export class CancelledError extends Error {
  constructor() {
    super('the sampled run was cancelled');
  }
}

/**
 * Pushes a seeded random batch through the network and back, each node by its op's `forward` and `backward`.
 * Forward, every layer's pre-activation and output statistics; backward, from standard normal noise at the output,
 * the std of the gradient with respect to every layer's output and of every weight gradient. Deterministic: each
 * tensor's values come from its own stream (`Stream`), so the same plan and seed give the same numbers bit for bit.
 * Weights are generated per layer and, unless `cacheWeights`, regenerated for the backward pass, so memory holds one
 * layer's weights at a time. Forward tensors belong to the node that made them and go back to the backend after its
 * backward pass, or as soon as the forward pass is done with them when no backward pass reads them; gradients go back
 * once the next backward pass has read them. So the run holds what the backward passes need, not every activation.
 */
export function runSampled(plan: Plan, backend: ComputeBackend, options: SampledOptions): SampledLayer[] {
  return new SampledRun(plan, backend, options).run();
}

class SampledRun implements SampledContext {
  readonly batch: number;
  readonly seed: number;
  /** Forward tensors per layer, dropped as soon as the backward pass has used them. */
  private readonly tape: (TapeEntry | undefined)[] = [];
  private readonly results: SampledLayer[] = [];
  private readonly weightCache = new Map<number, { w: Float32Array; b: Float32Array | null }>();
  /** Forward tensors from the backend's `allocate`, by the index of the node that made them (−1: the run's own). */
  private readonly owned = new Map<number, Set<Float32Array>>();
  /** The node owning each forward tensor still held. */
  private readonly ownerOf = new Map<Float32Array, number>();
  /** How many tape entries a backward pass will read each forward tensor from. */
  private readonly readers = new Map<Float32Array, number>();
  /** The tensors each node's tape entry holds for its backward pass. */
  private readonly tapeReads: (Float32Array[] | undefined)[] = [];
  /** The nodes whose forward pass is running, innermost last (a residual block's branch inside the block). */
  private readonly running: PlanNode[] = [];
  /** Gradient tensors from `gradient` still held. */
  private readonly gradients = new Set<Float32Array>();
  /** Outputs let go of between the passes (`NodeOp.rematerialize`), by the node that remakes them; then what it remade. */
  private readonly dropped = new Map<Float32Array, PlanNode>();
  private readonly remade = new Map<Float32Array, Float32Array>();
  /** Every node by its index. */
  private readonly nodeAt = new Map<number, PlanNode>();
  private done = 0;
  private readonly totalSteps: number;

  constructor(private readonly plan: Plan, readonly backend: ComputeBackend, private readonly options: SampledOptions) {
    this.batch = plan.batchSize;
    this.seed = plan.seed;
    this.totalSteps = 2 * plan.ordered.length;
    for (const node of plan.ordered) this.nodeAt.set(node.index, node);
  }

  run(): SampledLayer[] {
    const { input } = this.options;
    try {
      const x = this.tensor(this.batch * sizeOf(this.plan.inputShape));
      const key = streamKey(this.plan.seed, Stream.input);
      if (this.plan.inputVocab !== null) {
        fillTokenIds(this.backend, key, x, this.plan.inputVocab);
      } else if (input.distribution === 'uniform') {
        const half = Math.sqrt(3) * input.std;
        this.backend.fillUniform(key, x, input.mean - half, input.mean + half);
      } else {
        this.backend.fillNormal(key, x, input.mean, input.std);
      }
      const out = this.forwardNodes(this.plan.nodes, x);
      const upstream = this.tensor(out.length);
      this.backend.fillNormal(streamKey(this.plan.seed, Stream.upstreamGradient), upstream, 0, 1);
      this.dropGradient(this.backwardNodes(this.plan.nodes, upstream, false));
    } finally {
      for (const { w } of this.weightCache.values()) this.backend.release(w);
      this.weightCache.clear();
      for (const t of this.ownerOf.keys()) this.backend.release(t);
      this.ownerOf.clear();
      this.owned.clear();
      for (const t of this.gradients) this.backend.release(t);
      this.gradients.clear();
    }
    return this.results;
  }

  tensor(length: number): Float32Array {
    return this.ownedTensor(length, this.running.length > 0 ? this.running[this.running.length - 1].index : -1);
  }

  /** A forward tensor owned by node `owner` (−1: the run). */
  private ownedTensor(length: number, owner: number): Float32Array {
    const t = this.backend.allocate(length);
    if (!this.owned.has(owner)) this.owned.set(owner, new Set());
    this.owned.get(owner)!.add(t);
    this.ownerOf.set(t, owner);
    return t;
  }

  forwardDone(t: Float32Array): void {
    const owner = this.ownerOf.get(t);
    if (owner === undefined) return;
    if (!this.readers.get(t)) {
      this.releaseTensor(t);
      return;
    }
    // An output its node can remake is let go of until a backward pass reads it.
    const node = this.nodeAt.get(owner);
    const tape = node ? this.tape[node.index] : undefined;
    if (node && tape && tape.out === t && tape.pre !== t && nodeOp(node.op).rematerialize) {
      this.releaseTensor(t);
      this.dropped.set(t, node);
    }
  }

  /** Hands a forward tensor back to the backend (once). */
  private releaseTensor(t: Float32Array): void {
    const owner = this.ownerOf.get(t);
    if (owner === undefined) return;
    this.ownerOf.delete(t);
    this.owned.get(owner)?.delete(t);
    this.readers.delete(t);
    this.backend.release(t);
  }

  gradient(length: number): Float32Array {
    const t = this.backend.allocate(length);
    this.gradients.add(t);
    return t;
  }

  dropGradient(t: Float32Array): void {
    if (this.gradients.delete(t)) this.backend.release(t);
  }

  private step(): void {
    this.done++;
    if (this.options.onProgress?.(this.done / this.totalSteps)) throw new CancelledError();
  }

  forwardNodes(nodes: PlanNode[], x: Float32Array): Float32Array {
    let h = x;
    for (const node of nodes) {
      const next = this.forwardNode(node, h);
      // An output made inside this list is read by the next node only (the caller's x may be read again).
      if (h !== x && next !== h) this.forwardDone(h);
      h = next;
    }
    return h;
  }

  forwardNode(node: PlanNode, x: Float32Array): Float32Array {
    this.running.push(node);
    try {
      return nodeOp(node.op).forward(node, x, this);
    } finally {
      this.running.pop();
    }
  }

  weights(node: WeightNode): { w: Float32Array; b: Float32Array | null } {
    const cached = this.weightCache.get(node.index);
    if (cached) return cached;
    const rows = node.weightShape[0];
    const w = this.backend.allocate(sizeOf(node.weightShape));
    sampleInit(node.init, this.plan.seed, Stream.weight(node.index), this.backend, w, rows, node.fanIn);
    let b: Float32Array | null = null;
    if (node.bias) {
      b = new Float32Array(rows);
      sampleInit(node.bias, this.plan.seed, Stream.bias(node.index), this.backend, b, 1, rows);
    }
    const result = { w, b };
    if (this.options.cacheWeights) this.weightCache.set(node.index, result);
    return result;
  }

  streamed(node: PlanNode, init: ResolvedInit, rows: number, cols: number, part?: number, zeroRow: number | null = null): WeightSource | null {
    const blockFloats = this.options.streamBlockFloats ?? STREAM_BLOCK_FLOATS;
    if (this.options.cacheWeights || !isStreamable(init, rows, cols, this.options.streamBlockFloats ?? STREAM_MIN_FLOATS)) return null;
    return { stream: part === undefined ? Stream.weight(node.index) : Stream.partWeight(node.index, part), init, rows, cols, zeroRow, blockFloats };
  }

  partWeight(node: PlanNode, part: number, init: ResolvedInit, rows: number, cols: number): Float32Array {
    const w = this.backend.allocate(rows * cols);
    sampleInit(init, this.plan.seed, Stream.partWeight(node.index, part), this.backend, w, rows, cols);
    return w;
  }

  partBias(node: PlanNode, part: number, init: ResolvedInit, rows: number): Float32Array {
    const b = new Float32Array(rows);
    sampleInit(init, this.plan.seed, Stream.partBias(node.index, part), this.backend, b, 1, rows);
    return b;
  }

  holdsWeights(node: WeightNode): boolean {
    return this.weightCache.has(node.index);
  }

  /**
   * Hands a layer's weights back to the backend unless they are cached. After the forward pass the network's last
   * layer, when it is a weight layer, keeps its weights: the backward pass starts with it, so it needs no
   * regeneration and the peak stays at one layer's weights.
   */
  dropWeights(node: WeightNode, weights: { w: Float32Array; b: Float32Array | null }, phase: 'forward' | 'backward'): void {
    if (this.options.cacheWeights) return;
    const last = this.plan.nodes[this.plan.nodes.length - 1];
    if (phase === 'forward' && node === last) {
      this.weightCache.set(node.index, weights);
      return;
    }
    this.weightCache.delete(node.index);
    this.backend.release(weights.w);
  }

  record(node: PlanNode, entry: TapeEntry, act: Activation, extra: { distinctUnits?: number; weightStd?: number; attention?: AttentionStats; loss?: number } = {}): void {
    this.tape[node.index] = entry;
    const reads = new Set((nodeOp(node.op).backwardReads?.(node) ?? ALL_TAPE_FIELDS).map((f) => entry[f]));
    this.tapeReads[node.index] = [...reads];
    for (const t of reads) this.readers.set(t, (this.readers.get(t) ?? 0) + 1);
    const pre = this.backend.moments(entry.pre);
    this.results[node.index] = {
      preActivation: { mean: pre.mean, std: momentsStd(pre) },
      // A unit of a sequence is dead when it is ≤ 0 for every token of every sample.
      activation: { ...outputStats(this.backend, act, entry.pre, entry.out, this.batch * rowsPerSample(node.outShape)), distinctUnits: extra.distinctUnits ?? null },
      gradientStd: NaN,
      weightStd: extra.weightStd ?? null,
      weightGradientStd: null,
      ...(extra.attention ? { attention: extra.attention } : {}),
      ...(extra.loss !== undefined ? { loss: extra.loss } : {}),
    };
    this.step();
  }

  result(node: PlanNode): SampledLayer {
    return this.results[node.index];
  }

  backwardNodes(nodes: PlanNode[], dy: Float32Array, needInput: boolean): Float32Array {
    let g = dy;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const next = this.backwardNode(nodes[i], g, needInput || i > 0);
      if (g !== dy && next !== g) this.dropGradient(g);
      g = next;
    }
    return g;
  }

  /**
   * Records the gradient std at the node's output, runs its op's backward, drops its tape and hands back the forward
   * tensors the node made: every backward pass that reads them (its own and those of the nodes after it) is done.
   */
  backwardNode(node: PlanNode, dy: Float32Array, needInput: boolean): Float32Array {
    this.results[node.index].gradientStd = momentsStd(this.backend.moments(dy));
    const tape = this.tape[node.index]!;
    for (const field of ALL_TAPE_FIELDS) {
      const producer = this.dropped.get(tape[field]);
      if (!producer) continue;
      // Remade once (owned by its producer, whose backward pass comes after every reader's) and shared by the readers.
      let again = this.remade.get(tape[field]);
      if (!again) {
        again = this.ownedTensor(tape[field].length, producer.index);
        nodeOp(producer.op).rematerialize!(producer, this.tape[producer.index]!, again, this);
        this.remade.set(tape[field], again);
      }
      tape[field] = again;
    }
    const dx = nodeOp(node.op).backward(node, dy, tape, this, needInput);
    this.tape[node.index] = undefined;
    for (const t of this.tapeReads[node.index] ?? []) {
      const n = this.readers.get(t);
      if (n !== undefined) this.readers.set(t, n - 1);
    }
    this.tapeReads[node.index] = undefined;
    for (const t of [...(this.owned.get(node.index) ?? [])]) this.releaseTensor(t);
    this.owned.delete(node.index);
    this.step();
    return dx;
  }
}

