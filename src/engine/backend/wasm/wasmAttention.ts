import { referenceBackend } from '../reference/referenceBackend';
import type { AttentionShape, ComputeBackend, HeadsView } from '../computeBackend';
import { type Rotary, rotaryAngles } from '../../math/rotary';
import { ATTENTION_GEOMETRY_FIELDS, attentionWorkspaceBytes, f32Bits } from './kernelAbi';
import type { KernelRunner } from './kernelRunner';

/** Below this many multiply-adds (pairs · tokens² · head_dim) an attention pass stays on one thread. */
const PARALLEL_MIN_WORK = 1 << 20;
/** At most this many bytes of workspaces at once (fewer parts for long sequences: each holds [tokens, tokens] matrices). */
const WORKSPACE_BUDGET = 256 * 2 ** 20;

/**
 * The WebAssembly backend's attention (attention_forward, attention_backward and rotary in wat/attentionWat.ts):
 * the tensors are read and written in place when they live in the kernels' memory (copied in and out otherwise),
 * the shape and the tensors' places written once as the kernels' geometry, and the (batch, head) pairs (forward) or
 * (batch, kv head) groups (backward) split over the threads, each part with its own workspace.
 */
export function createWasmAttention(runner: KernelRunner): Pick<ComputeBackend, 'attentionForward' | 'attentionBackward' | 'rotary'> {
  const { heap, view, own, runParts, split, inMemory } = runner;

  /** Runs `kernel` over `count` pairs or groups, with the tensors in memory (written ones copied back) and the geometry filled. */
  function run(kernel: 'attention_forward' | 'attention_backward', shape: AttentionShape, count: number, inputs: Float32Array[], outputs: Float32Array[],
    fields: (at: (data: Float32Array) => number) => Partial<Record<(typeof ATTENTION_GEOMETRY_FIELDS)[number], number>>): void {
    const placed = new Map<Float32Array, { at: number; done(): void }>();
    const geometry = heap.allocate(4 * ATTENTION_GEOMETRY_FIELDS.length);
    let workspace = -1;
    try {
      // Outputs are copied in too when they do not live in memory: the kernels write only their heads' columns.
      for (const data of [...inputs, ...outputs]) if (!placed.has(data)) placed.set(data, inMemory(data));
      const values = fields((data) => placed.get(data)!.at);
      const all: Record<string, number> = {
        tokens: shape.tokens, headDim: shape.headDim, heads: shape.heads, kvHeads: shape.kvHeads, causal: shape.causal ? 1 : 0, scaleBits: f32Bits(shape.scale), ...values,
      };
      new Int32Array(runner.memory.buffer, geometry, ATTENTION_GEOMETRY_FIELDS.length).set(ATTENTION_GEOMETRY_FIELDS.map((f) => all[f] ?? 0));
      const bytes = attentionWorkspaceBytes(shape.tokens, shape.headDim, kernel === 'attention_forward' ? 'forward' : 'backward');
      const work = count * (shape.heads / (kernel === 'attention_forward' ? 1 : shape.kvHeads)) * shape.tokens ** 2 * shape.headDim;
      let ranges = work >= PARALLEL_MIN_WORK ? split(count, 1, 2) : [[0, count] as [number, number]];
      const fit = Math.max(1, Math.floor(WORKSPACE_BUDGET / bytes));
      if (ranges.length > fit) {
        const per = Math.ceil(count / fit);
        ranges = Array.from({ length: Math.ceil(count / per) }, (_, i) => [i * per, Math.min(count, (i + 1) * per)] as [number, number]);
      }
      workspace = heap.allocate(bytes * ranges.length);
      runParts(kernel, ranges.map(([p0, p1], part) => [geometry, p0, p1, workspace + part * bytes]));
      for (const data of outputs) if (!own(data)) data.set(view(placed.get(data)!.at, data.length));
    } finally {
      if (workspace >= 0) heap.release(workspace);
      heap.release(geometry);
      for (const p of placed.values()) p.done();
    }
  }

  return {
    // A score bias (T5's relative position bias, small models) goes through the reference loops: the kernels add none.
    attentionForward(shape, q, k, v, out, rowStats) {
      if (shape.bias) return referenceBackend.attentionForward(shape, q, k, v, out, rowStats);
      run('attention_forward', shape, shape.batch * shape.heads, [q.data, k.data, v.data], [out.data, rowStats], (at) => ({
        q: at(q.data) + 4 * q.offset, ldq: q.stride, k: at(k.data) + 4 * k.offset, ldk: k.stride, v: at(v.data) + 4 * v.offset, ldv: v.stride,
        o: at(out.data) + 4 * out.offset, ldo: out.stride, rowStats: at(rowStats),
      }));
    },
    attentionBackward(shape, q, k, v, rowStats, dOut, dq, dk, dv) {
      if (shape.bias) return referenceBackend.attentionBackward(shape, q, k, v, rowStats, dOut, dq, dk, dv);
      run('attention_backward', shape, shape.batch * shape.kvHeads, [q.data, k.data, v.data, rowStats, dOut.data], [dq.data, dk.data, dv.data], (at) => ({
        q: at(q.data) + 4 * q.offset, ldq: q.stride, k: at(k.data) + 4 * k.offset, ldk: k.stride, v: at(v.data) + 4 * v.offset, ldv: v.stride,
        o: at(dOut.data) + 4 * dOut.offset, ldo: dOut.stride, rowStats: at(rowStats),
        dq: at(dq.data) + 4 * dq.offset, lddq: dq.stride, dk: at(dk.data) + 4 * dk.offset, lddk: dk.stride, dv: at(dv.data) + 4 * dv.offset, lddv: dv.stride,
      }));
    },
    rotary(x: HeadsView, heads: number, headDim: number, rows: number, tokens: number, rotary: Rotary, direction: 1 | -1) {
      const half = rotary.dims / 2;
      if (rows === 0 || heads === 0) return;
      const angles = rotaryAngles(rotary, tokens);
      const table = heap.allocate(16 * tokens * half);
      const target = inMemory(x.data);
      try {
        const f64 = new Float64Array(runner.memory.buffer, table, 2 * tokens * half);
        f64.set(angles.cos);
        // Negated sines rotate back: −1·sin is exact, so both directions compute what math/rotary.ts does.
        for (let i = 0; i < angles.sin.length; i++) f64[tokens * half + i] = direction * angles.sin[i];
        const ranges = split(rows, 1, rows * heads * half >= PARALLEL_MIN_WORK / 16 ? 2 : Infinity);
        runParts('rotary', ranges.map(([r0, r1]) => [target.at + 4 * x.offset, x.stride, r0, r1, tokens, heads, headDim, half, table]));
        if (!own(x.data)) x.data.set(view(target.at, x.data.length));
      } finally {
        target.done();
        heap.release(table);
      }
    },
  };
}
