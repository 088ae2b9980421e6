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

  /** A seeded integer stream in [0, n): a 32-bit linear congruential generator (Numerical Recipes' constants). */
  const stream = (seed: number): ((n: number) => number) => {
    let state = seed >>> 0;
    return (n) => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return Math.floor((state / 2 ** 32) * n);
    };
  };

  /**
   * Checks that the live blocks (start → requested bytes) and the heap's free blocks tile the memory from `base` up
   * without gap or overlap, 64-byte aligned, no two free blocks adjacent, none at the top, and `used` their total.
   */
  const checkTiling = (heap: WasmHeap, base: number, live: Map<number, number>): void => {
    const round = (bytes: number): number => Math.max(64, Math.ceil(bytes / 64) * 64);
    const blocks: [number, number, boolean][] = [...live].map(([start, bytes]) => [start, round(bytes), false]);
    for (const [start, size] of heap.freeBlocks()) blocks.push([start, size, true]);
    blocks.sort((a, b) => a[0] - b[0]);
    let end = base, liveBytes = 0;
    for (let i = 0; i < blocks.length; i++) {
      const [start, size, free] = blocks[i];
      assert.equal(start, end, `block ${i} starts at ${start}, the one before ends at ${end}`);
      assert.equal(start % 64, 0);
      const nextIsLive = i + 1 < blocks.length && !blocks[i + 1][2];
      if (free) assert.ok(nextIsLive, `the free block at ${start} is not merged, or is at the top`);
      else liveBytes += size;
      end = start + size;
    }
    assert.equal(heap.used, liveBytes);
  };

  test('100,000 layers as a sampled run allocates: kept tensors, temporaries between, one sweep at the end', () => {
    const { heap } = fresh();
    const base = 65536;
    const random = stream(14);
    const kept = new Map<number, number>();
    const live = new Map<number, number>();
    const take = (bytes: number): number => {
      const start = heap.allocate(bytes);
      assert.ok(!live.has(start), `${start} handed out twice`);
      live.set(start, bytes);
      return start;
    };
    const give = (start: number): void => {
      heap.release(start);
      live.delete(start);
    };
    const layers = 100_000;
    for (let layer = 0; layer < layers; layer++) {
      // A layer's weights (sometimes large), a staging copy or two, its kept pre-activation and output; then the
      // weights go back, as a run without a weight cache does.
      const weights = take(layer % 997 === 0 ? 2 * MiB : 64 + random(256));
      const staging = take(16 + random(720));
      const pre = take(32 + random(128));
      if (random(4) === 0) give(take(16384));
      give(staging);
      const out = take(32 + random(128));
      for (const start of [pre, out]) kept.set(start, live.get(start) as number);
      give(weights);
      if (layer % 20_000 === 0) checkTiling(heap, base, live);
    }
    checkTiling(heap, base, live);
    assert.equal(live.size, 2 * layers);
    // Released in one sweep at the end, in the order they were allocated; halfway, the free room must be merged.
    const order = [...kept.keys()];
    order.forEach((start, i) => {
      give(start);
      if (i === layers) checkTiling(heap, base, live);
    });
    assert.equal(heap.used, 0);
    assert.deepEqual(heap.freeBlocks(), [], 'everything merged back into the top');
    assert.equal(heap.allocate(64), base);
  });

  test('placements match a plain scan of the policy (best fit, lowest first, no small block in a large one)', () => {
    // The policy written out with linear scans, as the heap was before it indexed its free blocks.
    const base = 65536;
    const model = { top: base, free: [] as [number, number][], live: new Map<number, number>(), skips: 0 };
    const modelAllocate = (bytes: number): number => {
      const size = Math.max(64, Math.ceil(bytes / 64) * 64);
      let best = -1;
      let skipped = false;
      model.free.forEach(([, room], i) => {
        if (room < size) return;
        if (size < MiB && room >= 8 * MiB) {
          skipped = true;
          return;
        }
        if (best < 0 || room < model.free[best][1]) best = i;
      });
      let start = model.top;
      if (best >= 0) {
        const [at, room] = model.free[best];
        start = at;
        if (room === size) model.free.splice(best, 1);
        else model.free[best] = [at + size, room - size];
      } else model.top += size;
      if (skipped) model.skips++;
      model.live.set(start, size);
      return start;
    };
    const modelRelease = (start: number): void => {
      const size = model.live.get(start) as number;
      model.live.delete(start);
      let i = model.free.findIndex(([at]) => at > start);
      if (i < 0) i = model.free.length;
      let block: [number, number] = [start, size];
      const before = model.free[i - 1];
      if (before && before[0] + before[1] === start) {
        block = [before[0], before[1] + size];
        model.free.splice(--i, 1);
      }
      const after = model.free[i];
      if (after && block[0] + block[1] === after[0]) {
        block = [block[0], block[1] + after[1]];
        model.free.splice(i, 1);
      }
      if (block[0] + block[1] === model.top) model.top = block[0];
      else model.free.splice(i, 0, block);
    };

    // Two mixes: 2 releases in 5 with blocks up to 2 MiB leave hundreds of free blocks scattered over the heap; 1 in 2
    // with some blocks of 8 MiB and more keeps few, and makes small requests skip large free blocks.
    const mixes = [
      { seed: 7, releases: 2 / 5, large: 0, medium: 0.005, check: () => assert.ok(model.free.length > 100) },
      { seed: 7, releases: 1 / 2, large: 0.003, medium: 0.02, check: () => assert.ok(model.skips > 10) },
    ];
    for (const { seed, releases, large, medium, check } of mixes) {
      const { heap } = fresh();
      model.top = base;
      model.free.length = 0;
      model.live.clear();
      model.skips = 0;
      const random = stream(seed);
      const live = new Map<number, number>();
      for (let step = 0; step < 20_000; step++) {
        if (live.size > 0 && random(1000) < releases * 1000) {
          // Release a block picked at random, so free blocks appear all over the heap.
          const keys = [...live.keys()];
          const start = keys[random(keys.length)];
          heap.release(start);
          modelRelease(start);
          live.delete(start);
        } else {
          const kind = random(1000) / 1000;
          const bytes =
            kind < large ? 8 * MiB + random(MiB) : kind < large + medium ? MiB + random(MiB) : 1 + random(8192);
          const expected = modelAllocate(bytes);
          const actual = heap.allocate(bytes);
          assert.equal(actual, expected, `step ${step}: ${bytes} bytes`);
          live.set(actual, bytes);
        }
        if (step % 5_000 === 0) checkTiling(heap, base, live);
      }
      checkTiling(heap, base, live);
      assert.deepEqual(heap.freeBlocks(), model.free);
      check();
    }
  });
});
