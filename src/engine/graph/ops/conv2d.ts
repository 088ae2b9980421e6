import type { ConvGeometry } from '../../backend/computeBackend';
import { readPair } from '../../format/layerFields';
import { childPointer } from '../../format/problem';
import type { Reader } from '../../format/reader';
import type { Node } from 'jsonc-parser';
import { single, sizeOf } from '../plan';
import type { LayerOp } from '../layerOp';
import { backwardWeightLayer, costWeightLayer, forwardWeightLayer, parseWeightFields, planWeightLayer, predictWeightLayer,
  rematerializeWeightLayer, WEIGHT_SCHEMA_PROPERTIES, weightLayerBackwardReads, type WeightLayerSpec, type WeightNode } from './weightLayer';

/** A 2-D convolution, as torch.nn.Conv2d (NCHW), W of shape [filters, in_channels, kh, kw]. */
export interface Conv2dSpec extends WeightLayerSpec {
  type: 'conv2d';
  filters: number;
  kernelSize: [number, number];
  stride: [number, number];
  padding: 'same' | 'valid' | [number, number];
}

const PAIR_SCHEMA = (description: string): Record<string, unknown> => ({
  description, oneOf: [{ type: 'integer', minimum: 1 }, { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 2, maxItems: 2 }],
});

/**
 * `conv2d`: per sample pre_b = W·im2col(x_b) + b on [channels, height, width] (torch.nn.Conv2d, no dilation or
 * groups), padding a number, [h, w], "same" (TensorFlow's rule: out = ⌈in/stride⌉, extra padding at the end) or
 * "valid". Backward dx_b = col2im(Wᵀ·dpre_b), dW = Σ_b dpre_b·im2col(x_b)ᵀ. Mean field: `predictWeightLayer` counting
 * only the kernel taps inside the padded image (`insideTapFraction`), fan-out divided by the stride; the output also
 * says how much one filter correlates neighbouring outputs (`convLagCorrelationVariance`), which a max pooling sees.
 */
export const conv2d: LayerOp<Conv2dSpec, WeightNode> = {
  type: 'conv2d',
  op: 'conv2d',
  aliases: { conv: 'conv2d' },
  keys: ['filters', 'kernel_size', 'stride', 'padding', 'activation', 'negative_slope', 'init', 'bias'],
  schema: {
    description: 'A 2-D convolution on [channels, height, width] (NCHW), W of shape [filters, in_channels, kh, kw].',
    properties: {
      filters: { type: 'integer', description: 'Number of output channels.', minimum: 1 },
      kernel_size: PAIR_SCHEMA('Kernel size: a number or [height, width].'),
      stride: PAIR_SCHEMA('Stride: a number or [height, width] (default 1).'),
      padding: { description: 'Zero padding: a number, [height, width], "same" (output size ⌈in/stride⌉) or "valid" (no padding, the default).',
        oneOf: [{ enum: ['same', 'valid'] }, { type: 'integer', minimum: 0 }, { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 }] },
      ...WEIGHT_SCHEMA_PROPERTIES,
    },
    required: ['filters', 'kernel_size'],
  },

  parse(ctx) {
    const fields = parseWeightFields(ctx);
    if (!fields) return undefined;
    const { r, obj } = ctx;
    const filters = ctx.positive('filters', 'the number of output channels');
    const kernelSize = readPair(r, ctx.required('kernel_size', 'a number or [height, width]'), ctx.at('kernel_size'), 'kernel_size');
    const stride = r.prop(obj, 'stride') ? readPair(r, r.prop(obj, 'stride'), ctx.at('stride'), 'stride') : [1, 1] as [number, number];
    const padding = readPadding(r, r.prop(obj, 'padding'), ctx.at('padding'));
    if (filters === undefined || !kernelSize || !stride || !padding) return undefined;
    return { type: 'conv2d', path: ctx.path, name: ctx.name, filters, kernelSize, stride, padding, ...fields };
  },

  plan(spec, inShape, ctx) {
    if (inShape.length !== 3) return ctx.fail(`a conv2d layer needs an input of shape [channels, height, width], got [${inShape.join(', ')}] at ${spec.path}`);
    const [channels, height, width] = inShape;
    const [kh, kw] = spec.kernelSize;
    const [sh, sw] = spec.stride;
    let padTop: number, padLeft: number, outHeight: number, outWidth: number;
    if (spec.padding === 'same') {
      // TensorFlow's rule (equal to PyTorch's padding='same' for stride 1): out = ⌈in/stride⌉, extra pad at the end.
      outHeight = Math.ceil(height / sh);
      outWidth = Math.ceil(width / sw);
      padTop = Math.floor(Math.max((outHeight - 1) * sh + kh - height, 0) / 2);
      padLeft = Math.floor(Math.max((outWidth - 1) * sw + kw - width, 0) / 2);
    } else {
      const [ph, pw] = spec.padding === 'valid' ? [0, 0] : spec.padding;
      padTop = ph;
      padLeft = pw;
      outHeight = Math.floor((height + 2 * ph - kh) / sh) + 1;
      outWidth = Math.floor((width + 2 * pw - kw) / sw) + 1;
    }
    if (outHeight < 1 || outWidth < 1) return ctx.fail(`the ${kh}×${kw} kernel does not fit the ${height}×${width} input at ${spec.path}; use padding "same" or a smaller kernel`);
    const geometry: ConvGeometry = { channels, height, width, kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw, padTop, padLeft, outHeight, outWidth };
    return single(planWeightLayer('conv2d', spec, ctx, { inShape, outShape: [spec.filters, outHeight, outWidth], weightShape: [spec.filters, channels, kh, kw] }, geometry));
  },

  predict(node, s, ctx) {
    const g = node.geometry!;
    const out = predictWeightLayer(node, s, ctx, insideTapFraction(g), g.strideHeight * g.strideWidth);
    return node.init.std > 0 ? { ...out, lagCorrelationVariance: (dy, dx) => convLagCorrelationVariance(g, dy, dx) } : out;
  },

  forward(node, x, run) {
    return forwardWeightLayer(node, x, run, (w, pre) => {
      const g = node.geometry!;
      const spatial = g.outHeight * g.outWidth;
      const inSize = sizeOf(node.inShape);
      const outSize = sizeOf(node.outShape);
      const cols = run.backend.allocate(node.fanIn * spatial);
      try {
        for (let s = 0; s < run.batch; s++) {
          run.backend.im2col(x.subarray(s * inSize, (s + 1) * inSize), g, cols);
          run.backend.gemm(false, false, node.weightShape[0], spatial, node.fanIn, w, cols, pre.subarray(s * outSize, (s + 1) * outSize), false);
        }
      } finally {
        run.backend.release(cols);
      }
    });
  },

  backward(node, dy, tape, run, needInput) {
    return backwardWeightLayer(node, dy, tape, run, needInput, (w, x, dpre, dx) => {
      const g = node.geometry!;
      const units = node.weightShape[0];
      const fanIn = node.fanIn;
      const spatial = g.outHeight * g.outWidth;
      const inSize = sizeOf(node.inShape);
      const outSize = units * spatial;
      const cols = run.backend.allocate(fanIn * spatial);
      const dw = new Float32Array(units * fanIn);
      // col2im adds into dx.
      if (w) dx.fill(0);
      try {
        for (let s = 0; s < run.batch; s++) {
          const dpreS = dpre.subarray(s * outSize, (s + 1) * outSize);
          run.backend.im2col(x.subarray(s * inSize, (s + 1) * inSize), g, cols);
          run.backend.gemm(false, true, units, fanIn, spatial, dpreS, cols, dw, true);
          if (w) {
            run.backend.gemm(true, false, fanIn, spatial, units, w, dpreS, cols, false);
            run.backend.col2im(cols, g, dx.subarray(s * inSize, (s + 1) * inSize));
          }
        }
      } finally {
        run.backend.release(cols);
      }
      return run.backend.moments(dw);
    });
  },

  backwardReads: weightLayerBackwardReads,
  rematerialize: rematerializeWeightLayer,
  cost(node, tally, batch) {
    const spatial = node.outShape[1] * node.outShape[2];
    costWeightLayer(node, tally, batch, spatial, node.fanIn * spatial);
  },
  outputActivation: (node) => node.activation,
  findings: { chain: 'link' },
};

/**
 * The fraction of a conv kernel's taps that fall inside the image, averaged over output positions: per axis
 * inside/(out·kernel) with inside = #{(o, k) : 0 ≤ o·stride + k − pad < size}, o < out, k < kernel, and the product
 * of the two axes. The count is summed over the shorter of the two ranges, in closed form over the other: for output o
 * the taps inside are max(0, min(kernel, size + pad − o·stride) − max(0, pad − o·stride)); for tap k the outputs
 * inside are those with ⌈(pad − k)/stride⌉ ≤ o ≤ ⌊(size − 1 + pad − k)/stride⌋, clipped to [0, out). O(min(out,
 * kernel)) per axis, integers below 2⁵³, so the value is exactly that of the double loop.
 */
export function insideTapFraction(g: ConvGeometry): number {
  const along = (out: number, kernel: number, stride: number, pad: number, size: number): number => {
    let inside = 0;
    if (out <= kernel) {
      for (let o = 0; o < out; o++) {
        const start = o * stride - pad;
        inside += Math.max(0, Math.min(kernel, size - start) - Math.max(0, -start));
      }
    } else {
      for (let k = 0; k < kernel; k++) {
        const first = Math.max(0, Math.ceil((pad - k) / stride));
        const last = Math.min(out - 1, Math.floor((size - 1 + pad - k) / stride));
        inside += Math.max(0, last - first + 1);
      }
    }
    return inside / (out * kernel);
  };
  return along(g.outHeight, g.kernelHeight, g.strideHeight, g.padTop, g.height) * along(g.outWidth, g.kernelWidth, g.strideWidth, g.padLeft, g.width);
}

/**
 * The variance over filters of the correlation between one filter's outputs at spatial lag (dy, dx) on an input whose
 * elements are independent: ρ = Σ_{c,k} W_{c,k}·W_{c,k+δ}/Σ W², δ the lag in input positions (stride·lag), a sum of
 * in_channels·overlap products of independent zero-mean weights over ≈ fanIn·Var(W): Var ρ ≈ overlap/(fanIn·kh·kw) with
 * overlap = (kh − sh·|dy|)⁺·(kw − sw·|dx|)⁺ taps (for Gaussian weights; first order in 1/fanIn).
 */
export function convLagCorrelationVariance(g: ConvGeometry, dy: number, dx: number): number {
  const overlap = Math.max(0, g.kernelHeight - g.strideHeight * Math.abs(dy)) * Math.max(0, g.kernelWidth - g.strideWidth * Math.abs(dx));
  const taps = g.kernelHeight * g.kernelWidth;
  return overlap / (g.channels * taps * taps);
}

/** Reads `padding`: a number, [height, width], "same" or "valid" (the default). */
function readPadding(r: Reader, node: Node | undefined, path: string): 'same' | 'valid' | [number, number] | undefined {
  if (!node) return 'valid';
  if (node.type === 'string') return r.oneOf(node, path, 'padding', ['same', 'valid'] as const);
  if (node.type === 'number') {
    const v = r.number(node, path, 'padding', { integer: true, min: 0, max: 4096 });
    return v === undefined ? undefined : [v, v];
  }
  if (node.type === 'array') {
    const items = node.children ?? [];
    const vals = items.map((n, i) => r.number(n, childPointer(path, i), 'padding', { integer: true, min: 0, max: 4096 }));
    if (items.length !== 2) r.report(node, path, `padding at ${path} must be a number, [height, width], "same" or "valid"`);
    return items.length === 2 && vals[0] !== undefined && vals[1] !== undefined ? [vals[0], vals[1]] : undefined;
  }
  r.report(node, path, `padding at ${path} must be a number, [height, width], "same" or "valid"`);
  return undefined;
}
