// The generators of the property tier: network descriptions (valid ones, small enough to run in milliseconds on the
// reference backend), their mutations (JSON values replaced, keys dropped, text cut and spliced) and messages.
import fc from 'fast-check';
import { ACTIVATION_NAMES } from '../../src/engine/math/activation';
import { INIT_SCHEMES } from '../../src/engine/init/initSpec';

const activation = fc.constantFrom(...ACTIVATION_NAMES);
/** A number float32 holds, spanning scales: 0 and denormals, everyday values, up to float32's largest. */
const float32Number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.constantFrom(0, -0, 1e-45, 1e-30, 0.5, 2, 10, 1e4, 1e20, 1e30, 3.4e38, -3.4e38),
);
/** Any finite number, past float32's range too (which the format refuses, with its location). */
const wildNumber = fc.oneof(float32Number, fc.constantFrom(3.5e38, 1e308, -1e308));
const std = fc.oneof(fc.double({ min: 0, max: 5, noNaN: true }), fc.constantFrom(0, 1e-30, 1e20, 1e30));
/** An interval [a, b] of a truncated normal: ordered in float32, anywhere from the mean to the far tails, narrow or wide. */
const interval = fc.tuple(
  fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, -5, 5, 20, -40, 1e4)),
  fc.oneof(fc.double({ min: 1e-30, max: 10, noNaN: true }), fc.constantFrom(1e-7, 1e-3, 1e4)),
).map(([a, width]) => ({ a, b: a + Math.max(width, Math.abs(a) * 2 ** -21 + 1e-30) }));
const truncatedNormal = fc.tuple(fc.record({ mean: float32Number, std }, { requiredKeys: [] }), interval).map(([options, ab]) => ({ scheme: 'truncated_normal', ...options, ...ab }));
const multiplier = fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(0, 1e30));

/** An init of a bias (BIAS_SCHEMES), as a name or an object. */
const biasInit: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('zeros', 'ones', 'pytorch_default', 'keras_default'),
  fc.record({ scheme: fc.constant('constant'), value: float32Number }),
  fc.record({ scheme: fc.constant('normal'), mean: fc.double({ min: -1, max: 1, noNaN: true }), std }, { requiredKeys: ['scheme'] }),
  fc.record({ scheme: fc.constant('uniform'), low: fc.double({ min: -2, max: 0, noNaN: true }), high: fc.double({ min: 0, max: 2, noNaN: true }) }),
  truncatedNormal,
);

/** A weight init as the file format writes it: a name, or an object with a scheme's own options (and at times a multiplier). */
export const init: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...INIT_SCHEMES.slice(0, 11), 'glorot_uniform', 'he_normal', 'msra'),
  biasInit,
  fc.record({ scheme: fc.constant('variance_scaling'), scale: fc.double({ min: 0.01, max: 10, noNaN: true }), mode: fc.constantFrom('fan_in', 'fan_out', 'fan_avg'),
    distribution: fc.constantFrom('truncated_normal', 'untruncated_normal', 'uniform') }, { requiredKeys: ['scheme'] }),
  fc.record({ scheme: fc.constantFrom('xavier_normal', 'xavier_uniform', 'orthogonal'), gain: fc.double({ min: 0.1, max: 4, noNaN: true }), multiplier }, { requiredKeys: ['scheme'] }),
  fc.record({ scheme: fc.constantFrom('kaiming_normal', 'kaiming_uniform'), a: fc.double({ min: 0, max: 1, noNaN: true }), mode: fc.constantFrom('fan_in', 'fan_out'),
    nonlinearity: fc.constantFrom('relu', 'leaky_relu', 'tanh', 'linear', 'sigmoid', 'selu'), multiplier }, { requiredKeys: ['scheme'] }),
);

const weightFields = fc.record({ activation, init, bias: fc.oneof(fc.constant(false), biasInit) }, { requiredKeys: [] });

/** Layers for a flat input [features]. */
function flatLayers(depth: number): fc.Arbitrary<unknown[]> {
  const dense = fc.tuple(fc.integer({ min: 1, max: 12 }), weightFields).map(([units, f]) => ({ type: 'dense', units, ...f }));
  const simple = fc.oneof(
    { weight: 6, arbitrary: dense },
    fc.record({ type: fc.constant('activation'), activation }),
    fc.constant({ type: 'batchnorm' }),
    fc.constant({ type: 'layernorm' }),
    fc.record({ type: fc.constant('dropout'), rate: fc.double({ min: 0, max: 0.9, noNaN: true }) }),
  );
  // Layers that keep a flat shape (an identity residual's branch): a square dense layer needs the width, so none.
  const shapeKeeping = fc.oneof(fc.record({ type: fc.constant('activation'), activation }), fc.constant({ type: 'layernorm' }), fc.constant({ type: 'batchnorm' }));
  if (depth <= 0) return fc.array(simple, { minLength: 1, maxLength: 5 });
  const nested = fc.oneof(
    fc.record({ type: fc.constant('repeat'), times: fc.integer({ min: 1, max: 4 }), layers: flatLayers(depth - 1) }),
    fc.record({ type: fc.constant('residual'), layers: flatLayers(depth - 1), shortcut: fc.record({ type: fc.constant('projection'), init }) }),
    fc.record({ type: fc.constant('residual'), layers: fc.array(shapeKeeping, { minLength: 1, maxLength: 3 }) }),
  );
  return fc.array(fc.oneof({ weight: 4, arbitrary: simple }, { weight: 1, arbitrary: nested }), { minLength: 1, maxLength: 5 });
}

/** Layers for an image input [channels, height, width]: convolutions and pooling, then a flat head. */
const imageLayers: fc.Arbitrary<unknown[]> = fc.tuple(
  fc.array(fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.constantFrom<unknown>('same', 'same', 'same', 'valid', 0, 1), weightFields)
      .map(([filters, kernel, stride, padding, f]) => ({ type: 'conv2d', filters, kernel_size: kernel, stride, padding, ...f })) },
    fc.record({ type: fc.constantFrom('maxpool2d', 'avgpool2d'), size: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 3 }), padding: fc.constantFrom('valid', 'same') },
      { requiredKeys: ['type', 'size'] }),
    fc.constant({ type: 'batchnorm' }),
  ), { maxLength: 4 }),
  fc.constantFrom({ type: 'flatten' }, { type: 'global_avg_pool' }),
  flatLayers(0),
).map(([convs, bridge, head]) => [...convs, bridge, ...head]);

/**
 * A sequence network of width `width` over `tokens` tokens: width-keeping layers on [tokens, width] (attention of every
 * kind, gated MLPs, norms, position embeddings, dense, residual and parallel blocks), optionally an output head.
 */
function sequenceLayers(width: number, tokens: number, embedded: boolean): fc.Arbitrary<unknown[]> {
  const divisors = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
  const attention = fc.constantFrom(...divisors(width)).chain((heads) => fc.record({
    type: fc.constant('attention'), heads: fc.constant(heads), kv_heads: fc.constantFrom(...divisors(heads)), causal: fc.boolean(),
    scale: fc.oneof(fc.constantFrom('inverse_sqrt', 'none'), fc.double({ min: 0.01, max: 4, noNaN: true })), init, out_init: init,
    bias: fc.oneof(fc.constant(false), biasInit), fused_qkv: fc.boolean(), rotary: fc.record({ fraction: fc.double({ min: 0.2, max: 1, noNaN: true }), base: fc.constantFrom(100, 10000) }, { requiredKeys: [] }),
  }, { requiredKeys: ['type', 'heads'] }));
  const keeping = fc.oneof(
    { weight: 3, arbitrary: attention },
    fc.record({ type: fc.constant('gated_mlp'), hidden: fc.integer({ min: 1, max: 12 }), activation: fc.constantFrom('silu', 'gelu', 'gelu_new', 'relu'), init, down_init: init,
      bias: fc.oneof(fc.constant(false), biasInit) }, { requiredKeys: ['type', 'hidden'] }),
    fc.record({ type: fc.constant('dense'), units: fc.constant(width), activation, init }, { requiredKeys: ['type', 'units'] }),
    fc.constantFrom({ type: 'layernorm' }, { type: 'rmsnorm' }, { type: 'activation', activation: 'gelu_new' }, { type: 'dropout', rate: 0.2 }),
    fc.record({ type: fc.constant('position_embedding'), positions: fc.integer({ min: tokens, max: tokens + 4 }), index: fc.constantFrom('position', 'zero'), init }, { requiredKeys: ['type', 'positions'] }),
  );
  const block = fc.oneof(
    { weight: 3, arbitrary: keeping },
    fc.record({ type: fc.constant('residual'), layers: fc.array(keeping, { minLength: 1, maxLength: 3 }) }),
    fc.record({ type: fc.constant('parallel_residual'), branches: fc.array(fc.array(keeping, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }) }),
  );
  const head = fc.oneof(fc.constant([]), fc.record({ type: fc.constant('lm_head'), vocab: fc.integer({ min: 1, max: 30 }), init }, { requiredKeys: ['type', 'vocab'] }).map((h) => [h]),
    ...(embedded ? [fc.constant([{ type: 'lm_head', vocab: 'tied' }])] : []));
  return fc.tuple(fc.array(block, { minLength: 1, maxLength: 4 }), head).map(([blocks, h]) => [...blocks, ...h]);
}

/** A sequence network: token ids through an embedding, or feature vectors [tokens, width]. */
const sequenceNetwork: fc.Arbitrary<Record<string, unknown>> = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 20 }), fc.boolean())
  .chain(([width, tokens, vocab, ids]) => sequenceLayers(width, tokens, ids).map((layers) => ids
    ? { input: { tokens, vocab }, layers: [{ type: 'embedding', vocab, units: width }, ...layers.map((l) => ((l as { vocab?: unknown }).vocab === 'tied' ? { type: 'lm_head', vocab, tied: true } : l))] }
    : { input: { shape: [tokens, width] }, layers }));

/** A network description that may still fail to plan (a kernel larger than the image), never to parse. */
export const network: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ input: fc.record({ shape: fc.tuple(fc.integer({ min: 1, max: 12 })) }), layers: flatLayers(2) }),
  fc.record({ input: fc.record({ shape: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })) }), layers: imageLayers }),
  sequenceNetwork,
).chain((base) => fc.record({
  batch_size: fc.integer({ min: 1, max: 6 }),
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  defaults: fc.record({ init, activation }, { requiredKeys: [] }),
}, { requiredKeys: [] }).map((extra) => ({ ...base, ...extra })));

/** A JSON pointer into `value` (objects' keys and arrays' indices), chosen by `pick` in [0, 1). */
function pointers(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => pointers(v, `${at}/${i}`))];
  if (value !== null && typeof value === 'object') return [at, ...Object.entries(value).flatMap(([k, v]) => pointers(v, `${at}/${k}`))];
  return [at];
}

/** `doc` with the value at `pointer` replaced (`replacement` undefined: the key or item removed). */
function replaceAt(doc: unknown, pointer: string, replacement: unknown): unknown {
  if (pointer === '') return replacement;
  const copy = structuredClone(doc) as Record<string, unknown>;
  const keys = pointer.slice(1).split('/');
  let parent: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (replacement === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

/** A valid network with one value somewhere replaced by any JSON value, a wild number or a wrong type, or removed. */
export const mutatedNetwork: fc.Arbitrary<unknown> = network.chain((doc) => {
  const all = pointers(doc);
  return fc.tuple(fc.constantFrom(...all), fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    wildNumber,
    fc.constantFrom(undefined, null, '', 'tanhh', 'repeat', -1, 0, 1e9, 2 ** 31, 1.5, [], {}, true),
    fc.integer({ min: 1, max: 1 << 20 }),
  )).map(([pointer, value]) => replaceAt(doc, pointer, value));
});

/** A document as a user may leave it: a valid network's text cut, spliced with characters, or commented. */
export const mutatedText: fc.Arbitrary<string> = fc.tuple(network, fc.integer({ min: 0, max: 2 }), fc.nat(), fc.nat(), fc.string({ maxLength: 12 }), fc.constantFrom(
  '', '{', '}', '[', ']', ',', ':', '"', '//', '/*', '\n', '\uFEFF', '\u2028', '\\', 'null', '1e999', '-', '𝔁',
)).map(([doc, indent, at, length, inserted, token]) => {
  const text = JSON.stringify(doc, null, indent);
  const start = at % (text.length + 1);
  const end = Math.min(text.length, start + (length % 8));
  return text.slice(0, start) + (inserted.length % 2 ? inserted : token) + text.slice(end);
});
