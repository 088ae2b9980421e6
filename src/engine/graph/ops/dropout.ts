import type { LayerSpec } from '../../format/networkSpec';
import { LINEAR } from '../../math/activation';
import { dropoutLaw } from '../../meanField/elementLaw';
import { lawOf, passThrough, passUniformGradient, type Signal } from '../../meanField/signal';
import { Rng, Stream } from '../../random/rng';
import type { LayerOp } from '../layerOp';
import { type PlanNode, single } from '../plan';

export interface DropoutSpec extends LayerSpec {
  type: 'dropout';
  rate: number;
}

export interface DropoutNode extends PlanNode {
  op: 'dropout';
  rate: number;
}

/**
 * `dropout` in training mode, inverted as torch.nn.Dropout: each element kept with probability p = 1 − rate (its own
 * seeded stream per layer) and scaled by 1/p, so E[y] = E[x] and E[y²] = E[x²]/p; backward dx = mask·dy/p, so
 * Var(dx) = Var(dy)/p. The output is no longer Gaussian unless rate is 0; where the input's lowest value is 0 (a
 * relu's output) it keeps an exact law (`dropoutLaw`), zeros included.
 */
export const dropout: LayerOp<DropoutSpec, DropoutNode> = {
  type: 'dropout',
  op: 'dropout',
  keys: ['rate'],
  schema: {
    description: 'Dropout in training mode (inverted: kept units are scaled by 1/(1 − rate)).',
    properties: { rate: { type: 'number', description: 'Probability of zeroing a unit, in [0, 1).', minimum: 0, exclusiveMaximum: 1 } },
    required: ['rate'],
  },

  parse(ctx) {
    const rate = ctx.r.number(ctx.required('rate', 'the probability of zeroing a unit, in [0, 1)'), ctx.at('rate'), 'rate', { min: 0 });
    if (rate !== undefined && rate >= 1) {
      ctx.r.report(ctx.r.prop(ctx.obj, 'rate'), ctx.at('rate'), `rate at ${ctx.at('rate')} must be < 1, got ${rate}`);
      return undefined;
    }
    return rate === undefined ? undefined : { type: 'dropout', path: ctx.path, name: ctx.name, rate };
  },

  plan: (spec, inShape, ctx) => single(ctx.push({ op: 'dropout', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: inShape, rate: spec.rate })),

  predict(node, s, ctx) {
    const keep = 1 - node.rate;
    // Masks are independent across tokens: the cross-moment of two tokens keeps its value (E[m_t·m_t′] = keep²).
    // The law of the masked, rescaled elements, where the input's is known (a normalization after it sees the zeros).
    const inLaw = lawOf(s);
    const law = inLaw ? dropoutLaw(inLaw, node.rate) : undefined;
    const out: Signal = { mean: s.mean, second: s.second / keep, gaussian: s.gaussian && node.rate === 0, sharedVariance: s.sharedVariance, ...(s.cross !== undefined ? { cross: s.cross } : {}),
      ...(law ? { law } : {}), ...(s.dependentNeighbours ? { dependentNeighbours: s.dependentNeighbours } : {}), ...passUniformGradient(s) };
    ctx.record(node, passThrough(out, false), 1 / keep);
    return out;
  },

  forward(node, x, run) {
    const rng = new Rng(run.seed, Stream.dropout(node.index));
    const keep = 1 - node.rate;
    const mask = new Uint8Array(x.length);
    const out = run.tensor(x.length);
    for (let i = 0; i < x.length; i++) {
      mask[i] = rng.uniform() < keep ? 1 : 0;
      out[i] = mask[i] ? x[i] / keep : 0;
    }
    run.record(node, { x, pre: out, out, saved: mask }, LINEAR);
    return out;
  },

  backward(node, dy, tape) {
    const mask = tape.saved as Uint8Array;
    const keep = 1 - node.rate;
    const dx = new Float32Array(dy.length);
    for (let i = 0; i < dy.length; i++) dx[i] = mask[i] ? dy[i] / keep : 0;
    return dx;
  },

  findings: { chain: 'transparent' },
};
