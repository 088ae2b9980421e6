import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import { passThrough, type Signal } from '../../meanField/signal';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single } from '../plan';

export interface FirstTokenSpec extends LayerSpec { type: 'first_token' }
export interface FirstTokenNode extends PlanNode { op: 'first_token' }

/**
 * `first_token`: a sequence [T, F] → its first token [F] (`hidden_states[:, 0]`: what BERT's and ViT's poolers and
 * ViT's classifier read, the [CLS] token). Backward: dy goes to token 0, the other tokens get 0. Mean field: the
 * token's moments (every token has the same at init).
 */
export const firstToken: LayerOp<FirstTokenSpec, FirstTokenNode> = {
  type: 'first_token',
  op: 'first_token',
  keys: [],
  schema: { description: 'Keeps the first token of a [tokens, features] sequence (the [CLS] token BERT\'s and ViT\'s poolers read): [features].', properties: {} },
  parse: (ctx) => ({ type: 'first_token', path: ctx.path, name: ctx.name }),

  plan(spec, inShape, ctx) {
    if (inShape.length !== 2) return ctx.fail(`first_token needs a sequence [tokens, features], got shape ${describeShape(inShape)} at ${spec.path}`);
    return single(ctx.push({ op: 'first_token', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [inShape[1]] } satisfies FirstTokenNode));
  },

  predict(node, s, ctx) {
    const out: Signal = { mean: s.mean, second: s.second, gaussian: s.gaussian, sharedVariance: s.sharedVariance, };
    ctx.record(node, { ...passThrough(out, false), approximateBy: s.approximateBy ?? 0, gradientApproximateBy: 0 }, 1 / node.inShape[0]);
    return out;
  },

  forward(node, x, run) {
    const [tokens, width] = node.inShape;
    const out = run.tensor(run.batch * width);
    for (let b = 0; b < run.batch; b++) out.set(x.subarray(b * tokens * width, b * tokens * width + width), b * width);
    run.record(node, { x, pre: out, out }, LINEAR);
    return out;
  },

  backward(node, dy, _tape, run) {
    const [tokens, width] = node.inShape;
    const dx = new Float32Array(run.batch * tokens * width);
    for (let b = 0; b < run.batch; b++) dx.set(dy.subarray(b * width, (b + 1) * width), b * tokens * width);
    return dx;
  },

  parameters: () => 0,
  findings: { chain: 'transparent' },
};
