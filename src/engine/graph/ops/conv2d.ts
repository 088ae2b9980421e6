import type { ConvGeometry } from '../../backend/computeBackend';
import { readPair } from '../../format/layerFields';
import { childPointer } from '../../format/problem';
import type { Reader } from '../../format/reader';
import type { Node } from 'jsonc-parser';
import { single, sizeOf } from '../plan';
import type { LayerOp } from '../layerOp';
import { backwardWeightLayer, costWeightLayer, forwardWeightLayer, parseWeightFields, planWeightLayer, predictWeightLayer,
  rematerializeWeightLayer, WEIGHT_SCHEMA_PROPERTIES, weightLayerBackwardReads, type WeightLayerSpec, type WeightNode } from './weightLayer';

/** A 2-D convolution, as torch.nn.Conv2d (NCHW), W of shape [filters, in_channels/groups, kh, kw]. */
export interface Conv2dSpec extends WeightLayerSpec {
  type: 'conv2d';
  /** Null with `depthMultiplier`: in_channels·depth_multiplier. */
  filters: number | null;
  groups: number;
  /** A depthwise convolution (Keras' DepthwiseConv2D): groups = in_channels, filters = in_channels·depth_multiplier. */
  depthMultiplier: number | null;
  kernelSize: [number, number];
  stride: [number, number];
  /** [h, w] pads both sides alike; [[top, bottom], [left, right]] each side on its own (Keras' ZeroPadding2D). */
  padding: 'same' | 'valid' | [number, number] | [[number, number], [number, number]];
}

const PAIR_SCHEMA = (description: string): Record<string, unknown> => ({
  description, oneOf: [{ type: 'integer', minimum: 1 }, { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 2, maxItems: 2 }],
});

/**
 * `conv2d`: per sample pre_b = W·im2col(x_b) + b on [channels, height, width] (torch.nn.Conv2d, no dilation),
 * `groups` as torch.nn.Conv2d's (each group of in_channels/groups channels feeds its filters/groups filters: one
 * im2col and GEMM per group), or `depth_multiplier` for a depthwise convolution (groups = in_channels, filters =
 * in_channels·depth_multiplier, as Keras' DepthwiseConv2D and PyTorch's Conv2d(groups=in_channels)); padding a number, [h, w], [[top, bottom], [left, right]], "same" (TensorFlow's rule: out = ⌈in/stride⌉, extra padding at the end) or
 * "valid". Backward dx_b = col2im(Wᵀ·dpre_b), dW = Σ_b dpre_b·im2col(x_b)ᵀ. Mean field: `predictWeightLayer` counting
 * only the kernel taps inside the padded image (`insideTapFraction`), fan-out divided by the stride and by the groups
 * (an input channel feeds filters/groups outputs per tap); the output also says how much one filter correlates
 * neighbouring outputs (`convLagCorrelationVariance`), which a max pooling sees.
 */
export const conv2d: LayerOp<Conv2dSpec, WeightNode> = {
  type: 'conv2d',
  op: 'conv2d',
  aliases: { conv: 'conv2d' },
  keys: ['filters', 'kernel_size', 'stride', 'padding', 'groups', 'depth_multiplier', 'activation', 'negative_slope', 'init', 'bias'],
  schema: {
    description: 'A 2-D convolution on [channels, height, width] (NCHW), W of shape [filters, in_channels/groups, kh, kw].',
    properties: {
      filters: { type: 'integer', description: 'Number of output channels (not given with depth_multiplier).', minimum: 1 },
      groups: { type: 'integer', description: 'As torch.nn.Conv2d: in_channels and filters are split into this many groups, each convolved on its own (default 1).', minimum: 1 },
      depth_multiplier: { type: 'integer', description: 'A depthwise convolution (Keras DepthwiseConv2D): groups = in_channels and filters = in_channels × depth_multiplier.', minimum: 1 },
      kernel_size: PAIR_SCHEMA('Kernel size: a number or [height, width].'),
      stride: PAIR_SCHEMA('Stride: a number or [height, width] (default 1).'),
      padding: { description: 'Zero padding: a number, [height, width], [[top, bottom], [left, right]], "same" (output size ⌈in/stride⌉) or "valid" (no padding, the default).',
        oneOf: [{ enum: ['same', 'valid'] }, { type: 'integer', minimum: 0 }, { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 },
          { type: 'array', items: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 }, minItems: 2, maxItems: 2 }] },
      ...WEIGHT_SCHEMA_PROPERTIES,
    },
    required: ['kernel_size'],
  },

  parse(ctx) {
    const fields = parseWeightFields(ctx);
    if (!fields) return undefined;
    const { r, obj } = ctx;
    const depthNode = r.prop(obj, 'depth_multiplier');
    const depthMultiplier = depthNode ? r.number(depthNode, ctx.at('depth_multiplier'), 'depth_multiplier', { integer: true, min: 1, max: 4096 }) : null;
    if (depthNode && r.prop(obj, 'filters')) r.report(r.prop(obj, 'filters'), ctx.at('filters'), `a depthwise conv2d (depth_multiplier) at ${ctx.path} has in_channels × depth_multiplier filters: remove "filters"`);
    if (depthNode && r.prop(obj, 'groups')) r.report(r.prop(obj, 'groups'), ctx.at('groups'), `a depthwise conv2d (depth_multiplier) at ${ctx.path} has one group per input channel: remove "groups"`);
    const filters = depthNode ? null : ctx.positive('filters', 'the number of output channels');
    const groupsNode = r.prop(obj, 'groups');
    const groups = groupsNode ? r.number(groupsNode, ctx.at('groups'), 'groups', { integer: true, min: 1, max: 65536 }) : 1;
    const kernelSize = readPair(r, ctx.required('kernel_size', 'a number or [height, width]'), ctx.at('kernel_size'), 'kernel_size');
    const stride = r.prop(obj, 'stride') ? readPair(r, r.prop(obj, 'stride'), ctx.at('stride'), 'stride') : [1, 1] as [number, number];
    const padding = readPadding(r, r.prop(obj, 'padding'), ctx.at('padding'));
    if (filters === undefined || depthMultiplier === undefined || groups === undefined || !kernelSize || !stride || !padding) return undefined;
    return { type: 'conv2d', path: ctx.path, name: ctx.name, filters, groups, depthMultiplier, kernelSize, stride, padding, ...fields };
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
      // Padding at the bottom and right is implicit: the output size reaches into it and the taps there read zeros.
      const [[top, bottom], [left, right]] = spec.padding === 'valid' ? [[0, 0], [0, 0]]
        : typeof spec.padding[0] === 'number' ? [[spec.padding[0], spec.padding[0]], [spec.padding[1] as number, spec.padding[1] as number]] : spec.padding as [[number, number], [number, number]];
      padTop = top;
      padLeft = left;
      outHeight = Math.floor((height + top + bottom - kh) / sh) + 1;
      outWidth = Math.floor((width + left + right - kw) / sw) + 1;
    }
    if (outHeight < 1 || outWidth < 1) return ctx.fail(`the ${kh}×${kw} kernel does not fit the ${height}×${width} input at ${spec.path}; use padding "same" or a smaller kernel`);
    const groups = spec.depthMultiplier !== null ? channels : spec.groups;
    const filters = spec.filters ?? channels * spec.depthMultiplier!;
    if (channels % groups !== 0 || filters % groups !== 0) return ctx.fail(`groups ${groups} must divide both the ${channels} input channels and the ${filters} filters at ${spec.path}`);
    const geometry: ConvGeometry = { channels, height, width, kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw, padTop, padLeft, outHeight, outWidth };
    const node = planWeightLayer('conv2d', spec, ctx, { inShape, outShape: [filters, outHeight, outWidth], weightShape: [filters, channels / groups, kh, kw] }, geometry);
    if (groups > 1) node.groups = groups;
    return single(node);
  },

  predict(node, s, ctx) {
    const g = node.geometry!;
    const groups = node.groups ?? 1;
    const out = predictWeightLayer(node, s, ctx, insideTapFraction(g), g.strideHeight * g.strideWidth * groups);
    return node.init.std > 0 ? { ...out, lagCorrelationVariance: (dy, dx) => convLagCorrelationVariance(g, dy, dx, groups) } : out;
  },

  forward(node, x, run) {
    return forwardWeightLayer(node, x, run, (w, pre) => {
      const { g, groups, filters, inGroup, outGroup, spatial } = groupsOf(node);
      const inSize = sizeOf(node.inShape);
      const outSize = sizeOf(node.outShape);
      const cols = run.backend.allocate(node.fanIn * spatial);
      try {
        for (let s = 0; s < run.batch; s++) {
          for (let k = 0; k < groups; k++) {
            const xs = s * inSize + k * inGroup;
            const ys = s * outSize + k * outGroup;
            run.backend.im2col(x.subarray(xs, xs + inGroup), g, cols);
            run.backend.gemm(false, false, filters, spatial, node.fanIn, w.subarray(k * filters * node.fanIn, (k + 1) * filters * node.fanIn), cols, pre.subarray(ys, ys + outGroup), false);
          }
        }
      } finally {
        run.backend.release(cols);
      }
    });
  },

  backward(node, dy, tape, run, needInput) {
    return backwardWeightLayer(node, dy, tape, run, needInput, (w, x, dpre, dx) => {
      const { g, groups, filters, inGroup, outGroup, spatial } = groupsOf(node);
      const units = node.weightShape[0];
      const fanIn = node.fanIn;
      const inSize = sizeOf(node.inShape);
      const outSize = units * spatial;
      const cols = run.backend.allocate(fanIn * spatial);
      const dw = new Float32Array(units * fanIn);
      // col2im adds into dx.
      if (w) dx.fill(0);
      try {
        for (let s = 0; s < run.batch; s++) {
          for (let k = 0; k < groups; k++) {
            const xs = s * inSize + k * inGroup;
            const ys = s * outSize + k * outGroup;
            const dpreS = dpre.subarray(ys, ys + outGroup);
            run.backend.im2col(x.subarray(xs, xs + inGroup), g, cols);
            run.backend.gemm(false, true, filters, fanIn, spatial, dpreS, cols, dw.subarray(k * filters * fanIn, (k + 1) * filters * fanIn), true);
            if (w) {
              run.backend.gemm(true, false, fanIn, spatial, filters, w.subarray(k * filters * fanIn, (k + 1) * filters * fanIn), dpreS, cols, false);
              run.backend.col2im(cols, g, dx.subarray(xs, xs + inGroup));
            }
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
 * A conv node's groups: the geometry of one group (in_channels/groups channels), the number of groups, the filters of
 * each, and the sizes of a group's slice of one sample's input and output (channels are contiguous in NCHW, and a
 * group's filters are contiguous rows of W, so each group is a subarray).
 */
function groupsOf(node: WeightNode): { g: ConvGeometry; groups: number; filters: number; inGroup: number; outGroup: number; spatial: number } {
  const groups = node.groups ?? 1;
  const full = node.geometry!;
  const g = groups === 1 ? full : { ...full, channels: full.channels / groups };
  const spatial = full.outHeight * full.outWidth;
  const filters = node.weightShape[0] / groups;
  return { g, groups, filters, inGroup: g.channels * full.height * full.width, outGroup: filters * spatial, spatial };
}

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
 * overlap = (kh − sh·|dy|)⁺·(kw − sw·|dx|)⁺ taps (for Gaussian weights; first order in 1/fanIn); a filter of a
 * grouped convolution reads in_channels/groups channels.
 */
export function convLagCorrelationVariance(g: ConvGeometry, dy: number, dx: number, groups = 1): number {
  const overlap = Math.max(0, g.kernelHeight - g.strideHeight * Math.abs(dy)) * Math.max(0, g.kernelWidth - g.strideWidth * Math.abs(dx));
  const taps = g.kernelHeight * g.kernelWidth;
  return (overlap * groups) / (g.channels * taps * taps);
}

/** Reads `padding`: a number, [height, width], [[top, bottom], [left, right]], "same" or "valid" (the default). */
function readPadding(r: Reader, node: Node | undefined, path: string): Conv2dSpec['padding'] | undefined {
  const what = `padding at ${path} must be a number, [height, width], [[top, bottom], [left, right]], "same" or "valid"`;
  if (!node) return 'valid';
  if (node.type === 'string') return r.oneOf(node, path, 'padding', ['same', 'valid'] as const);
  const amount = (n: Node, at: string): number | undefined => r.number(n, at, 'padding', { integer: true, min: 0, max: 4096 });
  if (node.type === 'number') {
    const v = amount(node, path);
    return v === undefined ? undefined : [v, v];
  }
  if (node.type === 'array') {
    const items = node.children ?? [];
    if (items.length !== 2) {
      r.report(node, path, what);
      return undefined;
    }
    if (items.every((i) => i.type === 'array')) {
      const sides = items.map((i, k) => (i.children?.length === 2 ? i.children.map((n, j) => amount(n, childPointer(childPointer(path, k), j))) : (r.report(i, childPointer(path, k), what), [undefined])));
      return sides.every((x) => x.length === 2 && x.every((v) => v !== undefined)) ? sides as [[number, number], [number, number]] : undefined;
    }
    const vals = items.map((n, i) => amount(n, childPointer(path, i)));
    return vals[0] !== undefined && vals[1] !== undefined ? [vals[0], vals[1]] : undefined;
  }
  r.report(node, path, what);
  return undefined;
}
