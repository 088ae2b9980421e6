import { childPointer } from '../../format/problem';
import { readInit } from '../../format/parseInit';
import type { InitSpec } from '../../init/initSpec';
import { resolveInit } from '../../init/resolveInit';
import type { LayerOp } from '../layerOp';
import { single, sizeOf } from '../plan';
import { NORMALIZATION_READS, normalizationBackward, normalizationForward, normalizationGroupSize, type NormNode, type NormSpec } from './normalization';
import { predictNormalization } from './normMeanField';

export interface RmsNormSpec extends NormSpec {
  type: 'rmsnorm';
  /** The gain's init (default ones). */
  weight: InitSpec;
}

/** The inits a 1-D gain can take: no fan is defined for it (PyTorch's fan rule needs two dimensions). */
const GAIN_SCHEMES = ['ones', 'zeros', 'constant', 'normal', 'uniform', 'truncated_normal'] as const;

/**
 * `rmsnorm`: y = x/√(mean(x², last axis) + eps)·g, g of shape [F] (the last axis) drawn from `weight` (default ones;
 * stream `Stream.weight(i)`), as Hugging Face's LlamaRMSNorm in float32 (Zhang & Sennrich, 2019). Backward, with
 * x̂ = x/√(mean(x²) + eps): dx = (g·dy − x̂·mean(g·dy·x̂))/√(mean(x²) + eps). Mean field: `predictNormalization`
 * (E[y²] = E[g²]·E[x²]/(E[x²] + eps), Var(dx) = E[g²]·(N − 1)/(N − κ₂ + 1)·Var(dy)/(E[x²] + eps)).
 */
export const rmsnorm: LayerOp<RmsNormSpec, NormNode> = {
  type: 'rmsnorm',
  op: 'rmsnorm',
  keys: ['eps', 'weight'],
  schema: {
    description: 'RMS normalization over the last axis (LlamaRMSNorm): y = x / sqrt(mean(x²) + eps) · weight.',
    properties: {
      eps: { type: 'number', description: 'Added to the mean square (default 1e-6).', exclusiveMinimum: 0 },
      weight: {
        description: 'The gain\'s init, one value per feature of the last axis: ones (default), zeros, or { "scheme": constant | normal | uniform | truncated_normal, … }.',
        oneOf: [
          { enum: ['ones', 'zeros'] },
          { type: 'object', required: ['scheme'], additionalProperties: false, properties: {
            scheme: { enum: [...GAIN_SCHEMES], description: 'The init scheme of the gain.' },
            multiplier: { type: 'number', description: 'Scales the sampled values. Default 1.' },
            value: { type: 'number', description: 'constant: the value of every gain.' },
            mean: { type: 'number', description: 'normal / truncated_normal: mean (default 0).' },
            std: { type: 'number', minimum: 0, description: 'normal / truncated_normal: standard deviation (default 1).' },
            low: { type: 'number', description: 'uniform: lower bound (default 0).' },
            high: { type: 'number', description: 'uniform: upper bound (default 1).' },
            a: { type: 'number', description: 'truncated_normal: lower bound, absolute (default -2).' },
            b: { type: 'number', description: 'truncated_normal: upper bound, absolute (default 2).' },
          } },
        ],
      },
    },
  },

  parse(ctx) {
    const { r, obj, path } = ctx;
    const eps = r.number(r.prop(obj, 'eps'), ctx.at('eps'), 'eps', { min: 0, exclusiveMin: true }) ?? 1e-6;
    const weightNode = r.prop(obj, 'weight');
    let weight: InitSpec | undefined = { scheme: 'ones', options: {}, multiplier: 1, path: childPointer(path, 'weight'), source: 'assumed' };
    if (weightNode) {
      weight = readInit(r, weightNode, ctx.at('weight'), 'layer', 'weight');
      if (weight && !(GAIN_SCHEMES as readonly string[]).includes(weight.scheme)) {
        r.report(weightNode, ctx.at('weight'), `the rmsnorm weight init at ${ctx.at('weight')} cannot be ${weight.scheme}: a 1-D gain has no fan; expected one of: ${GAIN_SCHEMES.join(', ')}`);
        weight = undefined;
      }
    }
    return weight ? { type: 'rmsnorm', path, name: ctx.name, eps, weight } : undefined;
  },

  plan(spec, inShape, ctx) {
    const features = inShape[inShape.length - 1];
    // The fans are never used by the gain's schemes; [F, 1] only satisfies resolveInit's shape.
    const gain = resolveInit(spec.weight, [features, 1], 'weight');
    return single(ctx.push({ op: 'rmsnorm', index: ctx.take(), path: spec.path, name: ctx.label, inShape, outShape: inShape, eps: spec.eps, gain }));
  },

  predict: (node, s, ctx) => predictNormalization(node, s, ctx, {
    kind: 'rmsnorm', groupSize: normalizationGroupSize('rmsnorm', ctx.batch, node.inShape), eps: node.eps, gain: { mean: node.gain!.mean, std: node.gain!.std },
  }),
  forward: normalizationForward,
  backward: (node, dy, tape, run) => normalizationBackward(node, dy, tape, run),
  backwardReads: () => NORMALIZATION_READS,
  // The gain's output beside x̂ (kept for the backward pass), and the gain itself.
  cost(node, tally, batch) {
    tally.keptFloats += batch * sizeOf(node.inShape);
    tally.weightCount += node.inShape[node.inShape.length - 1];
  },
  // The gain, one per feature of the last axis (LlamaRMSNorm.weight); no shift.
  parameters: (node) => node.inShape[node.inShape.length - 1],
  findings: { chain: 'cut', normalizes: true },
};
