import type { Activation } from '../math/activation';
import type { ComputeBackend } from '../backend/computeBackend';
import { type OutputStats, outputStats } from './layerStats';
import type { Plan, PlanNode, WeightNode } from '../graph/plan';
import { sizeOf } from '../graph/plan';
import { normalize, normalizeBackward } from '../graph/ops/normalization';
import { poolBackward, poolForward } from '../graph/ops/pooling';
import { streamKey } from '../random/fill';
import { Rng, Stream } from '../random/rng';
import { sampleInit } from '../init/sampleInit';
import { EMPTY_MOMENTS, momentsStd, type TensorMoments } from '../backend/tensorMoments';

/** What the sampled run measured on one layer. */
export interface SampledLayer {
  preActivation: { mean: number; std: number };
  activation: OutputStats & { distinctUnits: number | null };
  /** Std of the gradient with respect to the layer's output. */
  gradientStd: number;
  /** Std of the sampled weights, of the weight gradient, and their ratio std(dW)/std(W); null without weights. */
  weightStd: number | null;
  weightGradientStd: number | null;
}

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

interface TapeEntry {
  x: Float32Array;
  pre: Float32Array;
  out: Float32Array;
  /** Dropout keep-mask, max-pool argmax, or per-group 1/σ of a norm layer. */
  mask?: Uint8Array;
  argmax?: Int32Array;
  invStd?: Float64Array;
}

/**
 * Pushes a seeded random batch through the network and back. Forward, every layer's pre-activation and output
 * statistics; backward, from standard normal noise at the output, the std of the gradient with respect to every
 * layer's output and of every weight gradient. Deterministic: each tensor's values come from its own stream
 * (`Stream`), so the same plan and seed give the same numbers bit for bit. Weights are generated per layer and, unless
 * `cacheWeights`, regenerated for the backward pass, so memory holds one layer's weights at a time.
 */
export function runSampled(plan: Plan, backend: ComputeBackend, options: SampledOptions): SampledLayer[] {
  return new SampledRun(plan, backend, options).run();
}

class SampledRun {
  private readonly batch: number;
  /** Forward tensors per layer, dropped as soon as the backward pass has used them. */
  private readonly tape: (TapeEntry | undefined)[] = [];
  private readonly results: SampledLayer[] = [];
  private readonly weightCache = new Map<number, { w: Float32Array; b: Float32Array | null }>();
  /** Tensors from the backend's `allocate` that live until the run ends (the forward pass's, kept for the backward). */
  private readonly owned: Float32Array[] = [];
  private done = 0;
  private readonly totalSteps: number;

  constructor(private readonly plan: Plan, private readonly backend: ComputeBackend, private readonly options: SampledOptions) {
    this.batch = plan.batchSize;
    this.totalSteps = 2 * plan.ordered.length;
  }

  run(): SampledLayer[] {
    const { input } = this.options;
    try {
      const x = this.tensor(this.batch * sizeOf(this.plan.inputShape));
      const key = streamKey(this.plan.seed, Stream.input);
      if (input.distribution === 'uniform') {
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

  /** A tensor in the backend's memory (used in place by its kernels), released when the run ends; contents unset. */
  private tensor(length: number): Float32Array {
    const t = this.backend.allocate(length);
    this.owned.push(t);
    return t;
  }

  private step(): void {
    this.done++;
    if (this.options.onProgress?.(this.done / this.totalSteps)) throw new CancelledError();
  }

  private forwardNodes(nodes: PlanNode[], x: Float32Array): Float32Array {
    let h = x;
    for (const node of nodes) h = this.forwardNode(node, h);
    return h;
  }

  private weights(node: WeightNode): { w: Float32Array; b: Float32Array | null } {
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

  /**
   * Hands a layer's weights back to the backend unless they are cached. After the forward pass the network's last
   * layer, when it is a weight layer, keeps its weights: the backward pass starts with it, so it needs no
   * regeneration and the peak stays at one layer's weights.
   */
  private dropWeights(node: WeightNode, weights: { w: Float32Array; b: Float32Array | null }, phase: 'forward' | 'backward'): void {
    if (this.options.cacheWeights) return;
    const last = this.plan.nodes[this.plan.nodes.length - 1];
    if (phase === 'forward' && node === last) {
      this.weightCache.set(node.index, weights);
      return;
    }
    this.weightCache.delete(node.index);
    this.backend.release(weights.w);
  }

  private record(node: PlanNode, entry: TapeEntry, act: Activation, extra: { distinctUnits?: number; weightStd?: number } = {}): void {
    this.tape[node.index] = entry;
    const pre = this.backend.moments(entry.pre);
    this.results[node.index] = {
      preActivation: { mean: pre.mean, std: momentsStd(pre) },
      activation: { ...outputStats(this.backend, act, entry.pre, entry.out, this.batch), distinctUnits: extra.distinctUnits ?? null },
      gradientStd: NaN,
      weightStd: extra.weightStd ?? null,
      weightGradientStd: null,
    };
    this.step();
  }

  private forwardNode(node: PlanNode, x: Float32Array): Float32Array {
    const B = this.batch;
    const linear: Activation = { name: 'linear', negativeSlope: 0.01 };
    switch (node.op) {
      case 'dense':
      case 'conv2d': {
        const { w, b } = this.weights(node);
        const pre = this.weightForward(node, x, w, b);
        const out = node.activation.name === 'linear' ? pre : this.tensor(pre.length);
        if (out !== pre) this.backend.activate(node.activation, pre, out);
        const distinctUnits = this.backend.distinctRows(w, node.weightShape[0], node.fanIn, b);
        const weightStd = momentsStd(this.backend.moments(w));
        this.dropWeights(node, { w, b }, 'forward');
        this.record(node, { x, pre, out }, node.activation, { distinctUnits, weightStd });
        return out;
      }
      case 'activation': {
        const out = this.tensor(x.length);
        this.backend.activate(node.activation, x, out);
        this.record(node, { x, pre: x, out }, node.activation);
        return out;
      }
      case 'flatten':
        this.record(node, { x, pre: x, out: x }, linear);
        return x;
      case 'dropout': {
        const rng = new Rng(this.plan.seed, Stream.dropout(node.index));
        const keep = 1 - node.rate;
        const mask = new Uint8Array(x.length);
        const out = this.tensor(x.length);
        for (let i = 0; i < x.length; i++) {
          mask[i] = rng.uniform() < keep ? 1 : 0;
          out[i] = mask[i] ? x[i] / keep : 0;
        }
        this.record(node, { x, pre: out, out, mask }, linear);
        return out;
      }
      case 'batchnorm':
      case 'layernorm': {
        const out = this.tensor(x.length);
        const invStd = normalize(node.op, x, out, B, node.inShape, node.eps);
        this.record(node, { x, pre: out, out, invStd }, linear);
        return out;
      }
      case 'maxpool2d':
      case 'avgpool2d':
      case 'global_avg_pool': {
        const { out, argmax } = poolForward(node, x, B);
        this.record(node, { x, pre: out, out, argmax }, linear);
        return out;
      }
      case 'residual': {
        const branch = this.forwardNodes(node.branch, x);
        const shortcut = node.shortcut ? this.forwardNode(node.shortcut, x) : x;
        const sum = this.tensor(branch.length);
        for (let i = 0; i < sum.length; i++) sum[i] = shortcut[i] + branch[i];
        const out = node.activation.name === 'linear' ? sum : this.tensor(sum.length);
        if (out !== sum) this.backend.activate(node.activation, sum, out);
        this.record(node, { x, pre: sum, out }, node.activation);
        return out;
      }
    }
  }

  /** pre = x·Wᵀ + b for dense; per sample pre_b = W·im2col(x_b) + b for conv2d. */
  private weightForward(node: WeightNode, x: Float32Array, w: Float32Array, b: Float32Array | null): Float32Array {
    const B = this.batch;
    const units = node.weightShape[0];
    const outSize = sizeOf(node.outShape);
    const pre = this.tensor(B * outSize);
    if (node.op === 'dense') {
      this.backend.gemm(false, true, B, units, node.fanIn, x, w, pre, false);
    } else {
      const g = node.geometry!;
      const spatial = g.outHeight * g.outWidth;
      const inSize = sizeOf(node.inShape);
      const cols = this.backend.allocate(node.fanIn * spatial);
      try {
        for (let s = 0; s < B; s++) {
          this.backend.im2col(x.subarray(s * inSize, (s + 1) * inSize), g, cols);
          this.backend.gemm(false, false, units, spatial, node.fanIn, w, cols, pre.subarray(s * outSize, (s + 1) * outSize), false);
        }
      } finally {
        this.backend.release(cols);
      }
    }
    if (b) {
      const per = outSize / units;
      for (let s = 0; s < B; s++) for (let u = 0; u < units; u++) {
        const bias = b[u];
        if (bias === 0) continue;
        const base = s * outSize + u * per;
        for (let i = 0; i < per; i++) pre[base + i] += bias;
      }
    }
    return pre;
  }

  /** Back-propagates `dy` through `nodes` (last first); returns the gradient at their input (empty unless `needInput`). */
  private backwardNodes(nodes: PlanNode[], dy: Float32Array, needInput: boolean): Float32Array {
    let g = dy;
    for (let i = nodes.length - 1; i >= 0; i--) g = this.backwardNode(nodes[i], g, needInput || i > 0);
    return g;
  }

  private backwardNode(node: PlanNode, dy: Float32Array, needInput: boolean): Float32Array {
    const B = this.batch;
    const result = this.results[node.index];
    result.gradientStd = momentsStd(this.backend.moments(dy));
    const t = this.tape[node.index]!;
    let dx: Float32Array;
    switch (node.op) {
      case 'dense':
      case 'conv2d': {
        const dpre = this.backend.allocate(dy.length);
        try {
          dpre.set(dy);
          this.backend.multiplyByDerivative(node.activation, t.pre, dpre);
          dx = this.weightBackward(node, t.x, dpre, needInput);
        } finally {
          this.backend.release(dpre);
        }
        break;
      }
      case 'activation':
        dx = new Float32Array(dy);
        this.backend.multiplyByDerivative(node.activation, t.x, dx);
        break;
      case 'flatten':
        dx = dy;
        break;
      case 'dropout': {
        const keep = 1 - node.rate;
        dx = new Float32Array(dy.length);
        for (let i = 0; i < dy.length; i++) dx[i] = t.mask![i] ? dy[i] / keep : 0;
        break;
      }
      case 'batchnorm':
      case 'layernorm':
        dx = normalizeBackward(node.op, t.out, dy, t.invStd!, B, node.inShape);
        break;
      case 'maxpool2d':
      case 'avgpool2d':
      case 'global_avg_pool':
        dx = poolBackward(node, dy, t.argmax, B);
        break;
      case 'residual': {
        const dsum = new Float32Array(dy);
        this.backend.multiplyByDerivative(node.activation, t.pre, dsum);
        const branch = this.backwardNodes(node.branch, dsum, true);
        const shortcut = node.shortcut ? this.backwardNode(node.shortcut, dsum, true) : dsum;
        dx = new Float32Array(branch.length);
        for (let i = 0; i < dx.length; i++) dx[i] = branch[i] + shortcut[i];
        break;
      }
    }
    this.tape[node.index] = undefined;
    this.step();
    return dx;
  }

  /**
   * dx = dpre·W (dense) or col2im(Wᵀ·dpre_b) (conv2d); dW = dpreᵀ·x, reduced to its moments without ever being held
   * (dense, `gemmMoments`), or accumulated over the batch (conv2d, whose dW is small). W is
   * regenerated only when dx is needed (dW does not use it): not for the network's first layer.
   */
  private weightBackward(node: WeightNode, x: Float32Array, dpre: Float32Array, needInput: boolean): Float32Array {
    const B = this.batch;
    const w = needInput || this.weightCache.has(node.index) ? this.weights(node).w : null;
    const units = node.weightShape[0];
    const fanIn = node.fanIn;
    const dx = new Float32Array(needInput ? x.length : 0);
    let dwMoments: TensorMoments = EMPTY_MOMENTS;
    if (node.op === 'dense') {
      if (w && needInput) this.backend.gemm(false, false, B, fanIn, units, dpre, w, dx, false);
      const dpreT = new Float32Array(units * B);
      for (let s = 0; s < B; s++) for (let u = 0; u < units; u++) dpreT[u * B + s] = dpre[s * units + u];
      dwMoments = this.backend.gemmMoments(units, fanIn, B, dpreT, x);
    } else {
      const g = node.geometry!;
      const spatial = g.outHeight * g.outWidth;
      const inSize = sizeOf(node.inShape);
      const outSize = units * spatial;
      const cols = this.backend.allocate(fanIn * spatial);
      const dw = new Float32Array(units * fanIn);
      try {
        for (let s = 0; s < B; s++) {
          const dpreS = dpre.subarray(s * outSize, (s + 1) * outSize);
          this.backend.im2col(x.subarray(s * inSize, (s + 1) * inSize), g, cols);
          this.backend.gemm(false, true, units, fanIn, spatial, dpreS, cols, dw, true);
          if (w && needInput) {
            this.backend.gemm(true, false, fanIn, spatial, units, w, dpreS, cols, false);
            this.backend.col2im(cols, g, dx.subarray(s * inSize, (s + 1) * inSize));
          }
        }
      } finally {
        this.backend.release(cols);
      }
      dwMoments = this.backend.moments(dw);
    }
    if (w) this.dropWeights(node, { w, b: null }, 'backward');
    const result = this.results[node.index];
    result.weightGradientStd = momentsStd(dwMoments);
    return dx;
  }
}
