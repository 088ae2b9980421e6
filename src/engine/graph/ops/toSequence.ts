import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import { passThrough } from '../../meanField/signal';
import type { LayerOp } from '../layerOp';
import { describeShape, type PlanNode, single } from '../plan';
import { transposeSamples } from './shapeView';

export interface ToSequenceSpec extends LayerSpec { type: 'to_sequence' }
export interface ToSequenceNode extends PlanNode { op: 'to_sequence' }

/**
 * `to_sequence`: a feature map [C, H, W] → a sequence [H·W, C], each position a token of C features
 * (`x.flatten(2).transpose(1, 2)`, how ViT turns its patch embedding conv's output into tokens). The values and their
 * moments pass through; the gradient is transposed back. Mean field: two tokens are two positions of the map, whose
 * cross-moment the input carries (independent positions: mean²).
 */
export const toSequence: LayerOp<ToSequenceSpec, ToSequenceNode> = {
  type: 'to_sequence',
  op: 'to_sequence',
  keys: [],
  schema: { description: 'Turns a feature map [channels, height, width] into a sequence [height·width, channels] (ViT: conv.flatten(2).transpose(1, 2)).', properties: {} },
  parse: (ctx) => ({ type: 'to_sequence', path: ctx.path, name: ctx.name }),

  plan(spec, inShape, ctx) {
    if (inShape.length !== 3) return ctx.fail(`to_sequence needs a feature map [channels, height, width], got shape ${describeShape(inShape)} at ${spec.path}`);
    const [c, h, w] = inShape;
    return single(ctx.push({ op: 'to_sequence', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: [h * w, c] } satisfies ToSequenceNode));
  },

  predict(node, s, ctx) {
    ctx.record(node, passThrough(s, false), 1);
    return { ...s, cross: s.cross ?? s.mean * s.mean };
  },

  forward(node, x, run) {
    const [c, positions] = [node.inShape[0], node.outShape[0]];
    const out = run.tensor(x.length);
    transposeSamples(x, out, run.batch, c, positions);
    run.record(node, { x, pre: out, out }, LINEAR);
    return out;
  },

  backward(node, dy, _tape, run) {
    const [c, positions] = [node.inShape[0], node.outShape[0]];
    const dx = new Float32Array(dy.length);
    transposeSamples(dy, dx, run.batch, positions, c);
    return dx;
  },

  parameters: () => 0,
  findings: { chain: 'transparent' },
};
