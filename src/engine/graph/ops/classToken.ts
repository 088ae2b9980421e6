import { momentsStd, type TensorMoments } from '../../backend/tensorMoments';
import type { LayerSpec } from '../../format/networkSpec';
import type { InitSpec } from '../../init/initSpec';
import { LINEAR } from '../../math/activation';
import { crossMoment, passThrough, type Signal } from '../../meanField/signal';
import type { LayerOp } from '../layerOp';
import { describeShape, single } from '../plan';
import { readTableInit, tableNode } from './embedding';
import type { WeightNode } from './weightLayer';

export interface ClassTokenSpec extends LayerSpec {
  type: 'class_token';
  init: InitSpec;
}

/** A learned vector c [1, width] (a WeightNode, so the report shows its init and std). */
export interface ClassTokenNode extends WeightNode {
  op: 'class_token';
}

/**
 * `class_token`: prepends a learned vector c to a sequence, [T, F] → [T + 1, F] with y[0] = c and y[t + 1] = x[t]
 * (ViT's [CLS] token, `torch.cat((cls_token.expand(B, -1, -1), x), dim=1)`; default init N(0, 1) as its
 * `torch.randn` before Hugging Face's own init). Backward: dx[t] = dy[t + 1]; dc = Σ_b dy[b, 0]. Mean field: the T + 1
 * tokens mix one draw of c with T tokens of the input, E[y²] = (E[c²] + T·E[x²])/(T + 1), and likewise the mean and
 * two tokens' cross-moment (marked approximate: a mixture is not Gaussian).
 */
export const classToken: LayerOp<ClassTokenSpec, ClassTokenNode> = {
  type: 'class_token',
  op: 'class_token',
  keys: ['init'],
  schema: {
    description: 'Prepends a learned vector to a [tokens, features] sequence: [tokens + 1, features] (ViT\'s [CLS] token).',
    properties: { init: { $ref: '#/definitions/init', description: 'Init of the vector (default N(0, 1), torch.randn; Hugging Face\'s ViT uses { "scheme": "truncated_normal", "std": 0.02 }).' } },
  },

  parse(ctx) {
    const init = readTableInit(ctx);
    return init ? { type: 'class_token', path: ctx.path, name: ctx.name, init } : undefined;
  },

  plan(spec, inShape, ctx) {
    if (inShape.length !== 2) return ctx.fail(`class_token needs a sequence [tokens, features], got shape ${describeShape(inShape)} at ${spec.path}`);
    const [tokens, width] = inShape;
    return single(ctx.push(tableNode('class_token', spec, ctx.take(), ctx.label, inShape, [tokens + 1, width], [1, width], {})));
  },

  predict(node, s, ctx) {
    const t = node.inShape[0];
    const cMean = node.init.mean;
    const cSecond = node.init.std ** 2 + cMean ** 2;
    const mean = (cMean + t * s.mean) / (t + 1);
    const second = (cSecond + t * s.second) / (t + 1);
    // Ordered pairs of different tokens: t(t − 1) among the input's, 2t between c and an input token.
    const cross = (t * (t - 1) * crossMoment(s) + 2 * t * cMean * s.mean) / ((t + 1) * t);
    const out: Signal = { mean, second, gaussian: false, sharedVariance: s.sharedVariance * (t / (t + 1)), cross };
    // Exact mixtures of the input's moments and the token's: only the input's own bound carries over.
    const inBound = s.approximateBy ?? 0;
    ctx.record(node, { ...passThrough(out, inBound !== 0), approximateBy: inBound, gradientApproximateBy: 0 }, t / (t + 1));
    return out;
  },

  forward(node, x, run) {
    const { w } = run.weights(node);
    const [tokens, width] = node.inShape;
    const out = run.tensor(run.batch * (tokens + 1) * width);
    for (let b = 0; b < run.batch; b++) {
      out.set(w, b * (tokens + 1) * width);
      out.set(x.subarray(b * tokens * width, (b + 1) * tokens * width), (b * (tokens + 1) + 1) * width);
    }
    const weightStd = momentsStd(run.backend.moments(w));
    run.dropWeights(node, { w, b: null }, 'forward');
    run.record(node, { x, pre: out, out }, LINEAR, { weightStd });
    return out;
  },

  backward(node, dy, _tape, run) {
    const [tokens, width] = node.inShape;
    const dx = new Float32Array(run.batch * tokens * width);
    const dc = new Float64Array(width);
    for (let b = 0; b < run.batch; b++) {
      for (let c = 0; c < width; c++) dc[c] += dy[b * (tokens + 1) * width + c];
      dx.set(dy.subarray((b * (tokens + 1) + 1) * width, (b + 1) * (tokens + 1) * width), b * tokens * width);
    }
    run.result(node).weightGradientStd = momentsStd(vectorMoments(dc));
    return dx;
  },

  findings: { chain: 'transparent' },
};

/** Moments of a float64 vector, as `TensorMoments`. */
function vectorMoments(v: Float64Array): TensorMoments {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) { sum += x; min = Math.min(min, x); max = Math.max(max, x); }
  const mean = sum / v.length;
  let m2 = 0;
  for (const x of v) m2 += (x - mean) ** 2;
  return { count: v.length, mean, m2, min, max };
}
