import type { ComputeBackend } from '../backend/computeBackend';
import type { AttentionStats, SampledContext, SampledLayer, TapeEntry } from '../graph/layerOp';
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

export interface SampledOptions {
  input: { mean: number; std: number; distribution: 'normal' | 'uniform' };
  /** Keep every layer's weights for the backward pass instead of regenerating them from their seed. */
  cacheWeights: boolean;
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
 * layer's weights at a time.
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
  /** Tensors from the backend's `allocate` that live until the run ends (the forward pass's, kept for the backward). */
  private readonly owned: Float32Array[] = [];
  private done = 0;
  private readonly totalSteps: number;

  constructor(private readonly plan: Plan, readonly backend: ComputeBackend, private readonly options: SampledOptions) {
    this.batch = plan.batchSize;
    this.seed = plan.seed;
    this.totalSteps = 2 * plan.ordered.length;
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
      this.backwardNodes(this.plan.nodes, upstream, false);
    } finally {
      for (const { w } of this.weightCache.values()) this.backend.release(w);
      this.weightCache.clear();
      for (const t of this.owned) this.backend.release(t);
      this.owned.length = 0;
    }
    return this.results;
  }

  tensor(length: number): Float32Array {
    const t = this.backend.allocate(length);
    this.owned.push(t);
    return t;
  }

  private step(): void {
    this.done++;
    if (this.options.onProgress?.(this.done / this.totalSteps)) throw new CancelledError();
  }

  forwardNodes(nodes: PlanNode[], x: Float32Array): Float32Array {
    let h = x;
    for (const node of nodes) h = this.forwardNode(node, h);
    return h;
  }

  forwardNode(node: PlanNode, x: Float32Array): Float32Array {
    return nodeOp(node.op).forward(node, x, this);
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
    for (let i = nodes.length - 1; i >= 0; i--) g = this.backwardNode(nodes[i], g, needInput || i > 0);
    return g;
  }

  /** Records the gradient std at the node's output, runs its op's backward, and drops its tape. */
  backwardNode(node: PlanNode, dy: Float32Array, needInput: boolean): Float32Array {
    this.results[node.index].gradientStd = momentsStd(this.backend.moments(dy));
    const dx = nodeOp(node.op).backward(node, dy, this.tape[node.index]!, this, needInput);
    this.tape[node.index] = undefined;
    this.step();
    return dx;
  }
}

