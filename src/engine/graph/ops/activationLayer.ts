import { readActivation } from '../../format/layerFields';
import type { ActivationRef, LayerSpec } from '../../format/networkSpec';
import { ACTIVATION_NAMES, type Activation } from '../../math/activation';
import { applyActivation, crossMoment, passUniformGradient, variance } from '../../meanField/signal';
import type { LayerOp } from '../layerOp';
import { type PlanNode, rowsPerSample, single } from '../plan';

export interface ActivationLayerSpec extends LayerSpec {
  type: 'activation';
  activation: ActivationRef;
}

export interface ActivationNode extends PlanNode {
  op: 'activation';
  activation: Activation;
}

/**
 * `activation`: y = φ(x) elementwise, on its own (torch.nn.ReLU, Tanh, …; keras Activation). Backward dx = dy·φ′(x).
 * Mean field: E[φ(x)], E[φ(x)²] and Var(dx) = E[φ′(x)²]·Var(dy) (`applyActivation`): closed forms or quadrature for a
 * Gaussian x, quadrature over the input's law where it is known (a relu after a batchnorm of relu outputs), else the
 * Gaussian of the input's moments, marked approximate.
 */
export const activationLayer: LayerOp<ActivationLayerSpec, ActivationNode> = {
  type: 'activation',
  op: 'activation',
  keys: ['activation', 'negative_slope'],
  schema: {
    description: 'An activation on its own.',
    properties: { activation: { $ref: '#/definitions/activation' }, negative_slope: { $ref: '#/definitions/negative_slope' } },
    required: ['activation'],
  },

  parse(ctx) {
    if (!ctx.r.prop(ctx.obj, 'activation')) ctx.r.report(ctx.obj, ctx.path, `missing required property "activation" in the activation layer at ${ctx.path}; expected one of: ${ACTIVATION_NAMES.join(', ')}`);
    const activation = readActivation(ctx.r, ctx.obj, ctx.path);
    return activation ? { type: 'activation', path: ctx.path, name: ctx.name, activation } : undefined;
  },

  plan: (spec, inShape, ctx) => single(ctx.push({ op: 'activation', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: inShape, activation: spec.activation })),

  predict(node, s, ctx) {
    const preCovariance = node.inShape.length === 2 || s.cross !== undefined ? crossMoment(s) - s.mean * s.mean : undefined;
    const out = applyActivation(node.activation, s, ctx.batch * rowsPerSample(node.inShape), preCovariance);
    ctx.record(node, { preActivationStd: Math.sqrt(variance(s)), activationMean: out.signal.mean, activationStd: Math.sqrt(variance(out.signal)), chi: null,
      saturatedFraction: out.saturated, deadFraction: out.dead, approximate: !out.exact }, out.derivativeSecond);
    // Elementwise: neighbouring elements stay as correlated as their pre-activations were.
    return { ...out.signal, lagCorrelationVariance: s.lagCorrelationVariance, ...(s.dependentNeighbours ? { dependentNeighbours: s.dependentNeighbours } : {}),
      ...passUniformGradient(s) };
  },

  forward(node, x, run) {
    const out = run.tensor(x.length);
    run.backend.activate(node.activation, x, out);
    run.record(node, { x, pre: x, out }, node.activation);
    return out;
  },

  backward(node, dy, tape, run) {
    const dx = new Float32Array(dy);
    run.backend.multiplyByDerivative(node.activation, tape.x, dx);
    return dx;
  },

  outputActivation: (node) => node.activation,
  findings: { chain: 'transparent', activationOnly: true },
};
