// Writes schemas/network.schema.json (draft-07, what VS Code's JSON language service reads). The schema is kept as
// this script so that the lists it shares with the engine (activations, schemes, layer types) can be checked by a
// unit test against the engine's own constants; run `node scripts/make-schema.js` after changing it.
'use strict';
const fs = require('fs');
const path = require('path');

const activations = ['linear', 'tanh', 'relu', 'leaky_relu', 'sigmoid', 'gelu', 'silu', 'elu', 'selu', 'softplus'];
const stringSchemes = ['zeros', 'ones', 'xavier_uniform', 'xavier_normal', 'kaiming_uniform', 'kaiming_normal', 'lecun_uniform', 'lecun_normal', 'orthogonal', 'pytorch_default', 'keras_default'];
const aliases = ['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'msra'];
const objectSchemes = ['normal', 'uniform', 'truncated_normal', 'constant', 'variance_scaling'];
const nonlinearities = ['linear', 'conv2d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'];

const num = (description, extra = {}) => ({ type: 'number', description, ...extra });
const int = (description, extra = {}) => ({ type: 'integer', description, ...extra });
const pair = (description) => ({
  description,
  oneOf: [{ type: 'integer', minimum: 1 }, { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 2, maxItems: 2 }],
});
const common = {
  type: { description: 'The layer type.' },
  name: { type: 'string', description: 'A name for the layer, shown in reports and charts.' },
  description: { type: 'string', description: 'Free text; ignored by the engine.' },
};
const activation = { $ref: '#/definitions/activation' };
const negativeSlope = num('Negative slope of leaky_relu (PyTorch default 0.01).');

const initOptions = {
  scheme: { description: 'The init scheme.', enum: [...stringSchemes, ...aliases, ...objectSchemes] },
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
  nonlinearity: { enum: [...nonlinearities, 'conv1d', 'conv3d'], description: 'kaiming_*: the nonlinearity whose gain is used (default leaky_relu with a = 0, i.e. √2).' },
  scale: num('variance_scaling: the variance scale (default 1).', { exclusiveMinimum: 0 }),
  distribution: { enum: ['truncated_normal', 'untruncated_normal', 'uniform'], description: 'variance_scaling: the distribution (Keras semantics, default truncated_normal).' },
};

const dense = {
  type: 'object', description: 'A fully connected layer: y = φ(x·Wᵀ + b), W of shape [units, in_features].',
  required: ['type', 'units'], additionalProperties: false,
  properties: { ...common, type: { const: 'dense', description: 'A fully connected layer.' }, units: int('Number of output features.', { minimum: 1 }),
    activation, negative_slope: negativeSlope, init: { $ref: '#/definitions/init' }, bias: { $ref: '#/definitions/bias' } },
};
const conv2d = {
  type: 'object', description: 'A 2-D convolution on [channels, height, width] (NCHW), W of shape [filters, in_channels, kh, kw].',
  required: ['type', 'filters', 'kernel_size'], additionalProperties: false,
  properties: { ...common, type: { const: 'conv2d', description: 'A 2-D convolution.' }, filters: int('Number of output channels.', { minimum: 1 }),
    kernel_size: pair('Kernel size: a number or [height, width].'), stride: pair('Stride: a number or [height, width] (default 1).'),
    padding: { description: 'Zero padding: a number, [height, width], "same" (output size ⌈in/stride⌉) or "valid" (no padding, the default).',
      oneOf: [{ enum: ['same', 'valid'] }, { type: 'integer', minimum: 0 }, { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 }] },
    activation, negative_slope: negativeSlope, init: { $ref: '#/definitions/init' }, bias: { $ref: '#/definitions/bias' } },
};
const simple = (type, description, props = {}, required = []) => ({
  type: 'object', description, required: ['type', ...required], additionalProperties: false,
  properties: { ...common, type: { const: type, description }, ...props },
});
const layer = {
  description: 'A layer. Its "type" decides which other properties it takes.',
  oneOf: [
    { $ref: '#/definitions/dense' }, { $ref: '#/definitions/conv2d' },
    simple('residual', 'A residual block: output = activation(shortcut(x) + F(x)), F being its "layers".', {
      layers: { type: 'array', description: 'The branch F.', items: { $ref: '#/definitions/layer' }, minItems: 1 },
      shortcut: { description: '"identity" (default) or a learned projection { "type": "projection", "init": … } when shapes change.',
        oneOf: [{ enum: ['identity', 'projection'] }, { type: 'object', additionalProperties: false, required: ['type'], properties: {
          type: { enum: ['identity', 'projection'], description: 'identity, or projection (a dense or 1×1 conv layer).' },
          init: { $ref: '#/definitions/init' }, bias: { $ref: '#/definitions/bias' } } }] },
      activation: { $ref: '#/definitions/activation', description: 'Activation applied after the addition (default linear).' }, negative_slope: negativeSlope,
    }, ['layers']),
    simple('repeat', 'Repeats its layers "times" times; each copy gets its own weights.', {
      times: int('Number of copies.', { minimum: 1, maximum: 100000 }), layers: { type: 'array', description: 'The layers to repeat.', items: { $ref: '#/definitions/layer' }, minItems: 1 },
    }, ['times', 'layers']),
    simple('activation', 'An activation on its own.', { activation, negative_slope: negativeSlope }, ['activation']),
    simple('batchnorm', 'Batch normalization at init: per feature (per channel for conv) over the batch, gamma 1, beta 0.', { eps: num('Added to the variance (default 1e-5).', { exclusiveMinimum: 0 }) }),
    simple('layernorm', 'Layer normalization at init: per sample over all features, gamma 1, beta 0.', { eps: num('Added to the variance (default 1e-5).', { exclusiveMinimum: 0 }) }),
    simple('flatten', 'Flattens [channels, height, width] to [channels·height·width].'),
    simple('maxpool2d', 'Max pooling over size×size windows.', { size: pair('Window size: a number or [height, width].'), stride: pair('Stride (default: the window size).') }, ['size']),
    simple('avgpool2d', 'Average pooling over size×size windows.', { size: pair('Window size: a number or [height, width].'), stride: pair('Stride (default: the window size).') }, ['size']),
    simple('global_avg_pool', 'Averages each channel over height and width: [C, H, W] → [C].'),
    simple('dropout', 'Dropout in training mode (inverted: kept units are scaled by 1/(1 − rate)).', { rate: num('Probability of zeroing a unit, in [0, 1).', { minimum: 0, exclusiveMaximum: 1 }) }, ['rate']),
  ],
};

const schema = {
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
      type: 'object', description: 'The random input batch.', required: ['shape'], additionalProperties: false,
      properties: {
        shape: { type: 'array', description: '[features] or [channels, height, width] (without the batch dimension).', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: 3 },
        distribution: { enum: ['normal', 'uniform'], description: 'Distribution of the input values (default normal).' },
        mean: num('Mean of the input values (default 0).'),
        std: num('Standard deviation of the input values (default 1).', { minimum: 0 }),
      },
    },
    batch_size: int('Number of samples in the random batch (default 64).', { minimum: 1, maximum: 65536 }),
    seed: int('Seed of every random draw (default 0): same file and seed, same numbers.', { minimum: 0, maximum: 4294967295 }),
    defaults: {
      type: 'object', description: 'Defaults for dense and conv2d layers that do not set their own.', additionalProperties: false,
      properties: { init: { $ref: '#/definitions/init' }, bias: { $ref: '#/definitions/bias' }, activation, negative_slope: negativeSlope },
    },
    layers: { type: 'array', description: 'The layers, in order.', items: { $ref: '#/definitions/layer' }, minItems: 1 },
  },
  definitions: {
    activation: { enum: activations, description: 'The nonlinearity: linear, tanh, relu, leaky_relu (slope from negative_slope), sigmoid, gelu (exact), silu, elu, selu, softplus.' },
    init: {
      description: 'How the weights are initialized: a scheme name, or { "scheme": …, options }. Without one, "defaults.init", else PyTorch\'s default (kaiming_uniform with a = √5).',
      oneOf: [
        { enum: [...stringSchemes, ...aliases], description: 'A scheme with its default options.' },
        { type: 'object', required: ['scheme'], additionalProperties: false, properties: initOptions, description: 'A scheme with options (PyTorch / Keras names).' },
      ],
    },
    bias: {
      description: 'Bias init: false for no bias, or an init (zeros, ones, constant, normal, uniform, truncated_normal, pytorch_default). Default zeros (PyTorch\'s uniform when the weight init is the assumed PyTorch default).',
      oneOf: [{ type: 'boolean' }, { enum: ['zeros', 'ones', 'pytorch_default', 'keras_default'] }, { type: 'object', required: ['scheme'], additionalProperties: false, properties: initOptions }],
    },
    dense, conv2d, layer,
  },
};

const out = path.join(__dirname, '..', 'schemas', 'network.schema.json');
fs.writeFileSync(out, JSON.stringify(schema, null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), out)}`);
