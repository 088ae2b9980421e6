// Measures the peak memory of one sampled run, for test/dist/budget.test.ts. Run as its own process with
// `node --expose-gc peakProbe.js`, the network's JSON on stdin; prints one JSON line: the cost estimate and the
// measured peaks. What it measures, at every allocation of a typed array and after every call of the compute backend
// that grew the kernels' memory, after a full garbage collection so that only live buffers count:
// - `wasmBytes`: the size of the kernels' WebAssembly memory (it grows to what the heap needs and never shrinks);
// - `jsBytes`: the typed arrays alive on the JavaScript side (`process.memoryUsage().arrayBuffers`, which does not
//   count the WebAssembly memory), minus those alive before the run;
// - `heapBytes`: V8's heap (objects, not typed arrays: the per-layer results, a Map), minus its size before the run;
// and `peakBytes`, the largest sum of the three at one moment. Typed arrays are counted by replacing their
// constructors, before the engine is loaded, with subclasses that sample right after allocating.
import * as path from 'node:path';
import { ROOT } from '../../repo';

declare const gc: () => void;

interface Sample { wasm: number; js: number; heap: number }

const peak = { peakBytes: 0, wasmBytes: 0, jsBytes: 0, heapBytes: 0, samples: 0 };
let base: { js: number; heap: number } | null = null;
let wasmBytes: () => number = () => 0;
let sampling = false;
/** The kernels' memory at the last sample. */
let lastWasm = 0;

/** Collects garbage and records the live bytes now (reentrant calls, from allocations inside `gc`, are skipped). */
function sample(): void {
  if (!base || sampling) return;
  sampling = true;
  gc();
  const usage = process.memoryUsage();
  const now: Sample = { wasm: wasmBytes(), js: Math.max(0, usage.arrayBuffers - base.js), heap: Math.max(0, usage.heapUsed - base.heap) };
  peak.samples++;
  lastWasm = now.wasm;
  peak.wasmBytes = Math.max(peak.wasmBytes, now.wasm);
  peak.jsBytes = Math.max(peak.jsBytes, now.js);
  peak.heapBytes = Math.max(peak.heapBytes, now.heap);
  peak.peakBytes = Math.max(peak.peakBytes, now.wasm + now.js + now.heap);
  sampling = false;
}

/** Typed arrays of at least this many bytes sample on allocation (smaller ones still count at the next sample). */
const SAMPLE_FROM_BYTES = 4096;

for (const name of ['Float32Array', 'Float64Array', 'Int32Array', 'Uint32Array', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array'] as const) {
  const Base = globalThis[name] as unknown as new (...args: unknown[]) => ArrayBufferView;
  const Counted = class extends Base {
    constructor(...args: unknown[]) {
      super(...args);
      // A view of an existing buffer allocates nothing; a length or a source array allocates.
      const allocates = !(args[0] instanceof ArrayBuffer || args[0] instanceof SharedArrayBuffer);
      if (allocates && this.byteLength >= SAMPLE_FROM_BYTES) sample();
    }
  };
  Object.defineProperty(Counted, 'name', { value: name });
  (globalThis as Record<string, unknown>)[name] = Counted;
}

async function main(): Promise<void> {
  const text = await new Promise<string>((resolve) => {
    let data = '';
    process.stdin.setEncoding('utf8').on('data', (chunk) => { data += chunk; }).on('end', () => resolve(data));
  });
  const { parseNetwork } = await import('../../../src/engine/format/parseNetwork');
  const { buildPlan } = await import('../../../src/engine/graph/buildPlan');
  const { estimateCost } = await import('../../../src/engine/sampled/cost');
  const { runSampled } = await import('../../../src/engine/sampled/runSampled');
  const { loadComputeBackend } = await import('../../../src/kernels/loadComputeBackend');
  const network = parseNetwork(text).network;
  if (!network) throw new Error(`not a network: ${text.slice(0, 200)}`);
  const { plan } = buildPlan(network);
  if (!plan) throw new Error('the network does not plan');
  const cost = estimateCost(plan);
  const loaded = loadComputeBackend(path.join(ROOT, 'dist'));
  if (loaded.note) throw new Error(loaded.note);
  const backend = loaded.backend;
  const methods = backend as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(methods)) {
    if (typeof value !== 'function') continue;
    const f = value as (...args: unknown[]) => unknown;
    methods[key] = (...args: unknown[]): unknown => {
      const result = f(...args);
      // Only the kernels' memory can have grown in a call without a sampled allocation: sample only when it did.
      if (wasmBytes() > lastWasm) sample();
      return result;
    };
  }
  const before = loaded.memoryBytes();
  wasmBytes = () => loaded.memoryBytes() - before;
  gc();
  const usage = process.memoryUsage();
  base = { js: usage.arrayBuffers, heap: usage.heapUsed };
  const started = Date.now();
  const layers = runSampled(plan, backend, { input: network.input, cacheWeights: cost.cachesWeights });
  sample();
  base = null;
  loaded.dispose();
  const finite = layers.every((l) => Number.isFinite(l.activation.std));
  console.log(JSON.stringify({ estimateBytes: cost.peakBytes, cachesWeights: cost.cachesWeights, ...peak, finite, ms: Date.now() - started }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
