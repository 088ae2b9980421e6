import * as assert from 'node:assert/strict';
import { WasmHeap } from '../../../../src/engine/backend/wasm/wasmHeap';

suite('the WebAssembly heap', () => {
  const MiB = 1 << 20;
  const fresh = (): { heap: WasmHeap; memory: WebAssembly.Memory } => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    return { heap: new WasmHeap(memory, 65536), memory };
  };

  test('blocks are 64-byte aligned, disjoint, and the memory grows to hold them', () => {
    const { heap, memory } = fresh();
    const blocks = [3, 100, 64, 1, 5000].map((bytes) => [heap.allocate(bytes), bytes]);
    for (const [start] of blocks) assert.equal(start % 64, 0);
    const sorted = [...blocks].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i][0] >= sorted[i - 1][0] + sorted[i - 1][1]);
    assert.ok(memory.buffer.byteLength >= sorted[sorted.length - 1][0] + 5000);
  });

  test('freed neighbours merge, a freed top lowers the top, and freed room is reused', () => {
    const { heap } = fresh();
    const a = heap.allocate(1000), b = heap.allocate(1000), c = heap.allocate(1000);
    heap.release(a);
    heap.release(b);
    assert.equal(heap.allocate(2000), a, 'a and b merged into one block');
    heap.release(c);
    assert.equal(heap.allocate(5000), c, 'the top came down to c');
    assert.equal(heap.used, 2048 + 5056);
  });

  test('a small block never splits a large free one, so the next layer\'s weights reuse the last one\'s room', () => {
    const { heap, memory } = fresh();
    const weights = heap.allocate(64 * MiB);
    const activations = heap.allocate(256 * 1024);
    heap.release(weights);
    const small = heap.allocate(16 * 1024);
    assert.ok(small > activations, 'the small block went above, not into the freed weights');
    assert.equal(heap.allocate(64 * MiB), weights);
    assert.ok(memory.buffer.byteLength < 70 * MiB);
  });

  test('best fit: a request takes the smallest free block that holds it', () => {
    const { heap } = fresh();
    const big = heap.allocate(4096), sep1 = heap.allocate(64), small = heap.allocate(1024), sep2 = heap.allocate(64);
    heap.release(big);
    heap.release(small);
    assert.equal(heap.allocate(1000), small);
    assert.ok(sep1 && sep2);
  });
});
