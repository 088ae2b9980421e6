import { specOps } from '../graph/registry';
import { GAIN_NONLINEARITIES } from '../init/gain';
import { INIT_ALIASES, INIT_SCHEMES, OBJECT_ONLY_SCHEMES } from '../init/initSpec';
import { ACTIVATION_NAMES } from '../math/activation';
import { RUN_BOUNDS } from './bounds';

const num = (description: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'number', description, ...extra });
const int = (description: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'integer', description, ...extra });

const COMMON_PROPERTIES = {
  name: { type: 'string', description: 'A name for the layer, shown in reports and charts.' },
  description: { type: 'string', description: 'Free text; ignored by the engine.' },
};

const INIT_OPTIONS = {
  scheme: { description: 'The init scheme.', enum: [...INIT_SCHEMES.filter((s) => !OBJECT_ONLY_SCHEMES.includes(s)), ...Object.keys(INIT_ALIASES), ...OBJECT_ONLY_SCHEMES] },
  multiplier: num('Scales the sampled values (as Fixup scales its branches). Default 1.'),
  mean: num('normal / truncated_normal: mean (default 0).'),
  std: num('normal / truncated_normal: standard deviation (default 1).', { minimum: 0 }),
  low: num('uniform: lower bound (default 0).'),
  high: num('uniform: upper bound (default 1).'),
  a: num('kaiming_*: negative slope of the leaky_relu that follows (default 0). truncated_normal: lower bound, absolute (default -2).'),
  b: num('truncated_normal: upper bound, absolute (default 2).'),
  value: num('constant: the value every weight takes.'),
  gain: num('xavier_* / orthogonal: the gain (default 1; torch.nn.init.calculate_gain gives tanh 5/3, relu √2).', { minimum: 0 }),
  mode: { enum: ['fan_in', 'fan_out', 'fan_avg'], description: 'kaiming_*: fan_in (default, preserves the forward variance) or fan_out (the backward). variance_scaling: also fan_avg.' },
  nonlinearity: { enum: [...GAIN_NONLINEARITIES, 'conv1d', 'conv3d'], description: 'kaiming_*: the nonlinearity whose gain is used (default leaky_relu with a = 0, i.e. √2).' },
  scale: num('variance_scaling: the variance scale (default 1).', { exclusiveMinimum: 0 }),
  distribution: { enum: ['truncated_normal', 'untruncated_normal', 'uniform'], description: 'variance_scaling: the distribution (Keras semantics, default truncated_normal).' },
};

/**
 * The JSON Schema (draft-07) of the network format, as VS Code's JSON language service reads it for completion and
 * hover: the document, the shared definitions (activation, init, bias), and one definition per layer type, each from
 * its op's `schema` (`graph/ops/*.ts`). `schemas/network.schema.json` is this, written by `npm run schema`; a test
 * checks that the two agree.
 */
export function buildNetworkSchema(): Record<string, unknown> {
  const layerDefinitions: Record<string, unknown> = {};
  for (const op of specOps()) {
    layerDefinitions[`layer_${op.type}`] = {
      type: 'object', description: op.schema.description, required: ['type', ...(op.schema.required ?? [])], additionalProperties: false,
      properties: { type: { const: op.type, description: op.schema.description }, ...COMMON_PROPERTIES, ...op.schema.properties },
    };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://init-inspector.invalid/schemas/network.schema.json',
    title: 'Init Inspector network description (v1)',
    description: 'A neural network whose weight initialization Init Inspector analyzes: shapes, inits and activations.',
    type: 'object',
    required: ['input', 'layers'],
    additionalProperties: false,
    properties: {
      $schema: { type: 'string', description: 'The schema this file follows.' },
      name: { type: 'string', description: 'A name for the network, shown in reports.' },
      description: { type: 'string', description: 'Free text; ignored by the engine.' },
      input: {
        type: 'object', description: 'The random input batch: features ("shape"), or token ids ("tokens" and "vocab").', additionalProperties: false,
        oneOf: [{ required: ['shape'] }, { required: ['tokens', 'vocab'] }],
        properties: {
          shape: { type: 'array', description: '[features], [tokens, features] or [channels, height, width] (without the batch dimension).', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: 3 },
          tokens: int('Sequence length of an input of token ids (read by an embedding layer).', { minimum: 1 }),
          vocab: int('Vocabulary the token ids are drawn from, uniformly.', { minimum: 1 }),
          distribution: { enum: ['normal', 'uniform'], description: 'Distribution of the input values (default normal).' },
          mean: num('Mean of the input values (default 0).'),
          std: num('Standard deviation of the input values (default 1).', { minimum: 0 }),
        },
      },
      batch_size: int('Number of samples in the random batch (default 64).', { minimum: RUN_BOUNDS.batchSize.min, maximum: RUN_BOUNDS.batchSize.max }),
      seed: int('Seed of every random draw (default 0): same file and seed, same numbers.', { minimum: RUN_BOUNDS.seed.min, maximum: RUN_BOUNDS.seed.max }),
      defaults: {
        type: 'object', description: 'Defaults for layers with a weight (dense, conv2d, projection shortcuts) that do not set their own.', additionalProperties: false,
        properties: { init: { $ref: '#/definitions/init' }, bias: { $ref: '#/definitions/bias' }, activation: { $ref: '#/definitions/activation' }, negative_slope: { $ref: '#/definitions/negative_slope' } },
      },
      layers: { type: 'array', description: 'The layers, in order.', items: { $ref: '#/definitions/layer' }, minItems: 1 },
    },
    definitions: {
      activation: { enum: [...ACTIVATION_NAMES], description: 'The nonlinearity: linear, tanh, relu, leaky_relu (slope from negative_slope), sigmoid, gelu (exact), gelu_new (tanh approximation, GPT-2), silu, elu, selu, softplus.' },
      negative_slope: num('Negative slope of leaky_relu (PyTorch default 0.01).'),
      init: {
        description: 'How the weights are initialized: a scheme name, or { "scheme": …, options }. Without one, "defaults.init", else PyTorch\'s default (kaiming_uniform with a = √5).',
        oneOf: [
          { enum: [...INIT_SCHEMES.filter((s) => !OBJECT_ONLY_SCHEMES.includes(s)), ...Object.keys(INIT_ALIASES)], description: 'A scheme with its default options.' },
          { type: 'object', required: ['scheme'], additionalProperties: false, properties: INIT_OPTIONS, description: 'A scheme with options (PyTorch / Keras names).' },
        ],
      },
      bias: {
        description: 'Bias init: false for no bias, or an init (zeros, ones, constant, normal, uniform, truncated_normal, pytorch_default). Default zeros (PyTorch\'s uniform when the weight init is the assumed PyTorch default).',
        oneOf: [{ type: 'boolean' }, { enum: ['zeros', 'ones', 'pytorch_default', 'keras_default'] }, { type: 'object', required: ['scheme'], additionalProperties: false, properties: INIT_OPTIONS }],
      },
      layer: {
        description: 'A layer. Its "type" decides which other properties it takes.',
        oneOf: specOps().map((op) => ({ $ref: `#/definitions/layer_${op.type}` })),
      },
      ...layerDefinitions,
    },
  };
}
