import * as assert from 'node:assert/strict';
import type { PoolNode } from '../../../../src/engine/graph/ops/pooling';
import { axisSpans, samePadding, windowCounts, windowPairCounts } from '../../../../src/engine/graph/ops/poolWindows';

/** A pooling node with padding "same" (its padding as the planner sets it). */
function sameNode(h: number, w: number, size: [number, number], stride: [number, number]): PoolNode {
  const rows = samePadding(h, size[0], stride[0]);
  const cols = samePadding(w, size[1], stride[1]);
  return { op: 'maxpool2d', index: 0, path: '', name: '', inShape: [1, h, w], outShape: [1, rows.out, cols.out], size, stride, padding: [rows.before, cols.before] };
}

suite('pooling windows clipped to the input (TensorFlow\'s padding "same")', () => {
  test('samePadding is TensorFlow\'s: ⌈in/stride⌉ outputs, the odd padding after', () => {
    // TensorFlow's example: in 13, filter 6, stride 5 → out 3, pad 3 (1 before, the odd one after: 2); in 7, 3 by 2 → 4, pad 2.
    assert.deepEqual(samePadding(13, 6, 5), { out: 3, before: 1, after: 2 });
    assert.deepEqual(samePadding(7, 3, 2), { out: 4, before: 1, after: 1 });
    assert.deepEqual(samePadding(7, 2, 2), { out: 4, before: 0, after: 1 });
    assert.deepEqual(samePadding(112, 3, 2), { out: 56, before: 0, after: 1 });
    assert.deepEqual(samePadding(8, 2, 2), { out: 4, before: 0, after: 0 });
    // A window smaller than the stride never pads; every window keeps an input.
    assert.deepEqual(samePadding(9, 1, 2), { out: 5, before: 0, after: 0 });
    for (let length = 1; length <= 12; length++) for (let size = 1; size <= 5; size++) for (let stride = 1; stride <= 4; stride++) {
      const p = samePadding(length, size, stride);
      const spans = axisSpans(p.out, size, stride, p.before, length);
      for (let o = 0; o < p.out; o++) assert.ok(spans.end[o] > spans.start[o], `${length} ${size} ${stride}: window ${o} is empty`);
    }
  });

  test('the pairs of windows sharing inputs, grouped by sizes and overlap, are those of a direct count over every pair of positions', () => {
    for (const [h, w, size, stride] of [[7, 7, [3, 3], [2, 2]], [5, 6, [3, 2], [1, 2]], [9, 4, [2, 3], [2, 1]], [1, 11, [1, 4], [1, 3]]] as const) {
      const node = sameNode(h, w, [size[0], size[1]], [stride[0], stride[1]]);
      const rows = axisSpans(node.outShape[1], size[0], stride[0], node.padding![0], h);
      const cols = axisSpans(node.outShape[2], size[1], stride[1], node.padding![1], w);
      const direct = new Map<string, number>();
      const counts = new Map<number, number>();
      const positions: [number, number][] = [];
      for (let a = 0; a < node.outShape[1]; a++) for (let b = 0; b < node.outShape[2]; b++) positions.push([a, b]);
      for (const [a, b] of positions) {
        const k = (rows.end[a] - rows.start[a]) * (cols.end[b] - cols.start[b]);
        counts.set(k, (counts.get(k) ?? 0) + 1);
        for (const [c, d] of positions) {
          const jr = Math.min(rows.end[a], rows.end[c]) - Math.max(rows.start[a], rows.start[c]);
          const jc = Math.min(cols.end[b], cols.end[d]) - Math.max(cols.start[b], cols.start[d]);
          if (jr <= 0 || jc <= 0) continue;
          const key = `${k},${(rows.end[c] - rows.start[c]) * (cols.end[d] - cols.start[d])},${jr * jc}`;
          direct.set(key, (direct.get(key) ?? 0) + 1);
        }
      }
      const grouped = new Map(windowPairCounts(node).map((p) => [`${p.k1},${p.k2},${p.j}`, p.count]));
      assert.deepEqual([...grouped].sort(), [...direct].sort(), `${h}×${w} pooled ${size} by ${stride}`);
      assert.deepEqual([...windowCounts(node)].sort(), [...counts].sort());
    }
  });
});
