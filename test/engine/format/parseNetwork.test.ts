import * as assert from 'node:assert/strict';
import { analyze, isNetworkDescription, parseNetwork } from '../../../src/engine';
import { Rng } from '../../../src/engine/random/rng';
import { readRepoFile } from '../../repo';

const ISSUE_EXAMPLE = `{
  "name": "tanh-6x4096",
  "input": { "shape": [4096] },
  "batch_size": 16,
  "seed": 0,
  "defaults": { "init": "xavier_normal", "bias": "zeros", "activation": "tanh" },
  "layers": [
    { "type": "repeat", "times": 6, "layers": [
      { "type": "dense", "units": 4096, "activation": "tanh", "init": { "scheme": "normal", "std": 0.01 } }
    ] }
  ]
}`;

suite('parsing network descriptions', () => {
  test('accepts the documented example exactly as written', () => {
    const { network, problems } = parseNetwork(ISSUE_EXAMPLE);
    assert.deepEqual(problems, []);
    assert.equal(network!.batchSize, 16);
    assert.equal(network!.layers[0].type, 'repeat');
  });

  test('applies defaults: layer init, else defaults.init, else PyTorch default (reported as assumed)', () => {
    const text = JSON.stringify({ input: { shape: [8] }, defaults: { activation: 'relu' }, layers: [{ type: 'dense', units: 4 }] });
    const report = analyze(text, { mode: 'analytic' });
    assert.equal(report.layers[0].init!.scheme, 'pytorch_default');
    assert.equal(report.layers[0].init!.source, 'assumed');
    assert.equal(report.layers[0].activationFunction, 'relu');
    assert.equal(report.batchSize, 64);
    const withDefault = analyze(JSON.stringify({ input: { shape: [8] }, defaults: { init: 'he_normal' }, layers: [{ type: 'dense', units: 4 }] }), { mode: 'analytic' });
    assert.equal(withDefault.layers[0].init!.scheme, 'kaiming_normal');
    assert.equal(withDefault.layers[0].init!.source, 'defaults');
  });

  test('accepts comments and trailing commas (jsonc)', () => {
    const { problems } = parseNetwork('{\n // a comment\n "input": {"shape": [4]},\n "layers": [{"type": "dense", "units": 2,}],\n}');
    assert.deepEqual(problems, []);
  });

  test('an unknown activation is reported at its pointer, line and column with the valid options', () => {
    const text = '{\n  "input": { "shape": [4] },\n  "layers": [\n    { "type": "dense", "units": 2, "activation": "tanhh" }\n  ]\n}';
    const { network, problems } = parseNetwork(text);
    assert.equal(network, null);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].path, '/layers/0/activation');
    assert.equal(problems[0].line, 4);
    assert.equal(problems[0].column, 50);
    assert.match(problems[0].message, /unknown activation 'tanhh' at \/layers\/0\/activation \(did you mean 'tanh'\?\); expected one of: linear, tanh, relu, leaky_relu, sigmoid, gelu, gelu_new, silu, elu, selu, softplus/);
  });

  test('an input of token ids needs tokens and vocab, takes nothing else, and only an embedding reads it', () => {
    const bad = parseNetwork(JSON.stringify({ input: { tokens: 0, shape: [3], std: 2 }, layers: [{ type: 'embedding', vocab: 5, units: 2 }] }));
    const messages = bad.problems.map((p) => `${p.path}: ${p.message}`);
    assert.ok(messages.includes('/input/shape: "shape" does not apply to an input of token ids ("tokens" and "vocab"); remove it'), messages.join('\n'));
    assert.ok(messages.includes('/input/std: "std" does not apply to an input of token ids ("tokens" and "vocab"); remove it'), messages.join('\n'));
    assert.ok(messages.includes('/input: missing required property "vocab" in input: the vocabulary size the token ids are drawn from'), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('/input/tokens: tokens at /input/tokens must be >= 1')), messages.join('\n'));
    const intoDense = analyze(JSON.stringify({ input: { tokens: 4, vocab: 9 }, layers: [{ type: 'dense', units: 2 }] }));
    assert.deepEqual(intoDense.problems.map((p) => `${p.path}: ${p.message}`),
      ['/layers/0: the dense layer at /layers/0 gets token ids ([4], vocabulary 9); put an { "type": "embedding" } layer before it']);
    const small = analyze(JSON.stringify({ input: { tokens: 4, vocab: 9 }, layers: [{ type: 'embedding', vocab: 8, units: 2 }] }));
    assert.match(small.problems[0].message, /has 8 rows but the token ids go up to 8; set "vocab" to at least 9/);
    const features = analyze(JSON.stringify({ input: { shape: [4, 3] }, layers: [{ type: 'embedding', vocab: 8, units: 2 }] }));
    assert.match(features.problems[0].message, /an embedding reads token ids .* got features of shape \[4, 3\]/);
  });

  test('syntax errors carry line and column', () => {
    const { problems } = parseNetwork('{\n  "input": { "shape": [4] }\n  "layers": []\n}');
    assert.equal(problems[0].line, 3);
    assert.equal(problems[0].column, 3);
    assert.match(problems[0].message, /JSON syntax error: expected ','/);
  });

  test('wrong types, missing fields, unknown keys and bad init options are all reported', () => {
    const text = JSON.stringify({ input: { shape: [4, 4, 4, 4] }, batch_size: 0, layers: [
      { type: 'dense' }, { type: 'conv3d' }, { type: 'dense', units: 3, init: { scheme: 'normal', sdt: 0.1 } }, { type: 'dense', units: 2, init: { scheme: 'normal', std: -1 } }] });
    const messages = parseNetwork(text).problems.map((p) => `${p.path}: ${p.message}`);
    assert.ok(messages.some((m) => m.startsWith('/input/shape: shape at /input/shape must be [features], [tokens, features] or [channels, height, width], got 4 dimensions')), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('/batch_size: batch_size at /batch_size must be >= 1, got 0')));
    assert.ok(messages.some((m) => m.includes('missing required property "units"')));
    assert.ok(messages.some((m) => m.startsWith("/layers/1/type: unknown layer type 'conv3d'")));
    assert.ok(messages.some((m) => m.startsWith("/layers/2/init/sdt: unknown property 'sdt' in normal init at /layers/2/init; expected one of: scheme, multiplier, mean, std")));
    assert.ok(messages.some((m) => m.startsWith('/layers/3/init/std: std at /layers/3/init/std must be >= 0, got -1')));
  });

  test('shape mismatches are errors at the offending layer', () => {
    const conv = { input: { shape: [3, 8, 8] }, layers: [{ type: 'conv2d', filters: 4, kernel_size: 3 }, { type: 'dense', units: 10 }] };
    const r1 = analyze(JSON.stringify(conv, null, 1), { mode: 'analytic' });
    assert.equal(r1.problems[0].path, '/layers/1');
    assert.match(r1.problems[0].message, /dense layer needs a flat input \[features\] or a sequence \[tokens, features\], got shape \[4, 6, 6\].*add \{ "type": "flatten" \}/);
    assert.ok(r1.problems[0].line > 1);
    const residual = { input: { shape: [8] }, layers: [{ type: 'residual', layers: [{ type: 'dense', units: 4 }] }] };
    const r2 = analyze(JSON.stringify(residual), { mode: 'analytic' });
    assert.equal(r2.problems[0].path, '/layers/0');
    assert.match(r2.problems[0].message, /maps \[8\] to \[4\], but an identity shortcut needs equal shapes/);
  });

  test('absurd sizes are refused before allocation, and the analytic prediction is still returned', () => {
    const net = { input: { shape: [100000] }, batch_size: 1024, layers: [{ type: 'dense', units: 100000, activation: 'relu' }] };
    const report = analyze(JSON.stringify(net), { mode: 'both' });
    assert.match(report.sampledRefused!, /sampled run refused: it would need 20480\.00 GFLOP per forward pass \(budget 8\.00\) and .* GiB of memory \(budget 1\.00 GiB\)/);
    assert.equal(report.layers[0].activation, null);
    assert.ok(report.layers[0].predicted!.activationStd > 0);
  });

  test('isNetworkDescription decides by content', () => {
    assert.equal(isNetworkDescription(readRepoFile('examples', 'small-cnn.net.json')), true);
    assert.equal(isNetworkDescription(readRepoFile('package.json')), false);
    assert.equal(isNetworkDescription('{"input": {}, "layers": [}'), true);
    assert.equal(isNetworkDescription('not json at all'), false);
  });

  test('property: thousands of mutated and random documents never throw and every problem has a location', () => {
    const rng = new Rng(2024, 1);
    const seeds = ['small-cnn', 'residual-kaiming', 'tanh-0.01-randn', 'zero-init'].map((f) => readRepoFile('examples', `${f}.net.json`));
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', '0', '-1', '1e9', 'null', 'true', '"dense"', '"type"', '"layers"', '"repeat"', ' ', '\n', '/*', '//', '"residual"', '"times"', '99999999'];
    const pick = <T>(xs: T[]): T => xs[Math.floor(rng.uniform() * xs.length)];
    for (let i = 0; i < 3000; i++) {
      let text = pick(seeds);
      const edits = 1 + Math.floor(rng.uniform() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rng.uniform() * text.length);
        const kind = rng.uniform();
        if (kind < 0.4) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rng.uniform() * 5));
        else if (kind < 0.8) text = text.slice(0, at) + pick(alphabet) + text.slice(at);
        else text = text.slice(0, at) + text.slice(at).replace(/\d+/, String(Math.floor(rng.uniform() * 1e7)));
      }
      if (i % 10 === 0) text = Array.from({ length: 30 }, () => pick(alphabet)).join('');
      let report;
      try {
        // Every tenth document also goes through the sampled run, on a small budget to keep the test quick.
        report = analyze(text, i % 10 === 5 ? { mode: 'both', budget: { flops: 2e7, bytes: 64 * 1024 ** 2 } } : { mode: 'analytic' });
      } catch (err) {
        throw new Error(`analyze threw on document ${i}: ${(err as Error).message}\n${text}`);
      }
      for (const p of report.problems) {
        assert.ok(p.line >= 1 && p.column >= 1 && typeof p.path === 'string' && p.message.length > 0, `problem without location in document ${i}: ${JSON.stringify(p)}`);
      }
    }
  });
});
