import * as assert from 'node:assert/strict';
import type { ConvGeometry } from '../../../src/engine/backend/computeBackend';
import { insideTapFraction } from '../../../src/engine/graph/ops/conv2d';
import { Rng } from '../../../src/engine/random/rng';

/** The oracle: the double loop over output positions and kernel taps that insideTapFraction used to run. */
function loopFraction(g: ConvGeometry): number {
  const along = (out: number, kernel: number, stride: number, pad: number, size: number): number => {
    let inside = 0;
    for (let o = 0; o < out; o++) for (let k = 0; k < kernel; k++) {
      const p = o * stride + k - pad;
      if (p >= 0 && p < size) inside++;
    }
    return inside / (out * kernel);
  };
  return along(g.outHeight, g.kernelHeight, g.strideHeight, g.padTop, g.height) * along(g.outWidth, g.kernelWidth, g.strideWidth, g.padLeft, g.width);
}

suite('conv2d mean field: fraction of kernel taps inside the image', () => {
  test('equals the double loop exactly on 5,000 random small geometries (padding, stride, kernels larger than the image)', () => {
    const rng = new Rng(14, 2);
    const int = (lo: number, hi: number): number => lo + Math.floor(rng.uniform() * (hi - lo + 1));
    for (let i = 0; i < 5000; i++) {
      const axis = (): [number, number, number, number, number] => {
        const size = int(1, 40);
        const kernel = int(1, 45);
        const stride = int(1, 6);
        const pad = int(0, 20);
        const out = Math.floor((size + 2 * pad - kernel) / stride) + 1;
        // Also outputs past the valid count (as "same" padding with extra padding at the end makes).
        return [size, kernel, stride, pad, Math.max(1, out + int(0, 3))];
      };
      const [height, kernelHeight, strideHeight, padTop, outHeight] = axis();
      const [width, kernelWidth, strideWidth, padLeft, outWidth] = axis();
      const g: ConvGeometry = { channels: 1, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padLeft, outHeight, outWidth };
      assert.equal(insideTapFraction(g), loopFraction(g), JSON.stringify(g));
    }
  });

  // The closed form, not a loop over outputs and taps (which took minutes here: the suite's timeout would stop it).
  test('a 4096-tall kernel over a 16M-tall input, by its closed form', () => {
    const height = 1 << 24;
    const g: ConvGeometry = { channels: 1, height, width: 1, kernelHeight: 4096, kernelWidth: 1, strideHeight: 1, strideWidth: 1,
      padTop: 2048, padLeft: 0, outHeight: height + 1, outWidth: 1 };
    const actual = insideTapFraction(g);
    // With pad 2048 = kernel/2 the first 2048 outputs miss 2048, 2047, …, 1 taps and the last 2048 miss 1, …, 2048:
    // inside = out·kernel − 2048·2049 (H + 1 outputs, height-wise; the width axis is 1 of 1).
    const total = (height + 1) * 4096;
    assert.equal(actual, (total - 2048 * 2049) / total);
  });
});
