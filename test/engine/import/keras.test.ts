import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { analyze, applyFixes, detectNetworkFormat, readNetwork, readNetworkBytes, whatIfFixesInFile } from '../../../src/engine';
import { kerasFans, kerasInitStd, initOf } from '../../../src/engine/import/keras/initializers';
import { kerasWriter } from '../../../src/engine/import/keras/kerasWriter';
import type { PoolSpec } from '../../../src/engine/graph/ops/pooling';
import { KERAS_TRUNCATION_STD } from '../../../src/engine/init/resolveInit';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const fixture = (name: string): string => fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'keras', name), 'utf8');

/**
 * The project's Keras fixtures (test/fixtures/keras, written by the project) and model.summary()'s total for each,
 * computed by hand from the layer shapes (kernel k·k·C_in·filters (+ filters), Dense in·units + units, each
 * BatchNormalization 4·C of which 2·C non-trainable, LayerNormalization 2·d, Embedding vocab·d).
 */
const FIXTURES: { file: string; format: string; summary: number; why: string }[] = [
  { file: 'keras2.0-sequential-list.json', format: 'keras', summary: 7_114, why: '100·64 + 64 + 64·10 + 10' },
  { file: 'keras2-sequential-cnn.json', format: 'keras', summary: 9_122, why: 'conv 9·1·8 (no bias) + BN 4·8 + conv 9·8·16 + 16 + Dense 7·7·16·10 + 10' },
  { file: 'keras2-functional-resnet.json', format: 'keras', summary: 20_282, why: 'stem 27·16 + BN 64; block 1: 2·(144·16 + BN 64); block 2: 144·32 + 288·32 + 2·BN 128; shortcut 16·32 + BN 128; Dense 32·10 + 10' },
  { file: 'keras3-functional-residual-mlp.json', format: 'keras', summary: 137_290, why: '64·64 + 64 + LN 128 + 4·(64·256 + 256 + 256·64 + 64) + 64·10 + 10' },
  { file: 'keras3-sequential-embedding.json', format: 'keras', summary: 32_513, why: '1000·32 + 16·32·1 + 1' },
  { file: 'keras2.13-functional-mobile-block.json', format: 'keras', summary: 1_844, why: 'conv 27·16 + BN 64; depthwise 9·16 + BN 64; 1×1 conv 16·16 + BN 64; separable 9·16 + 16·32 + 32; Dense 32·4 + 4' },
  { file: 'keras3-functional-transformer.json', format: 'keras', summary: 31_426, why: 'Dense 64·64 + 64; MultiHeadAttention 3·(64·4·16 + 64) + 4·16·64 + 64; 2 LN 128; Dense 64·64 + 64 twice; Dense 16·64·2 + 2' },
  { file: 'keras2-functional-concatenate.json', format: 'keras', summary: 479, why: '1×1 conv 8·8 + 8; 1×1 conv 8·4 + 4; 3×3 conv 9·4·8 + 8; Dense (8 + 8 + 8)·3 + 3' },
  { file: 'keras2-sequential-conv1d.json', format: 'keras', summary: 2_707, why: 'Conv1D 5·4·16 + 16; Conv1D 3·16·32 + 32; Conv1D 3·32·8 + 8; Dense 8·3 + 3' },
  { file: 'keras3-sequential-conv1d.json', format: 'keras', summary: 620, why: 'Conv1D 7·2·8 + 8; BN 4·8; Conv1D 3·8·16 + 16; Dense 16·4 + 4' },
  { file: 'keras2-functional-same-pools.json', format: 'keras', summary: 7_386, why: 'conv 49·3·16 (no bias) + BN 4·16; conv 9·16·32 + 32; Dense 32·10 + 10' },
  { file: 'keras2.13-functional-squeeze-excite.json', format: 'keras', summary: 832, why: 'conv 9·4·16 + 16; SE 1×1 convs 16·4 + 4 and 4·16 + 16; LN 2·16; Dense 16·3 + 3; Normalization 4 + 4 + 1' },
  { file: 'tfjs-layers-mlp.model.json', format: 'tfjs', summary: 577, why: '16·32 + 32 + 32·1 + 1' },
  { file: 'tfjs-converted-keras3.model.json', format: 'tfjs', summary: 272, why: '16·16 + 16' },
];

suite('Keras and TF.js files: read as Keras builds them', () => {
  for (const c of FIXTURES) {
    test(`${c.file}: recognised as ${c.format}, analyzed without problems, model.summary() total ${c.summary} (${c.why})`, () => {
      const text = fixture(c.file);
      assert.equal(detectNetworkFormat(text), c.format);
      const report = analyze(text, { mode: 'analytic' });
      assert.deepEqual(report.problems, []);
      assert.equal(report.cost!.parameterCount + report.source!.uncountedParameters!, c.summary);
    });
  }

  test('Keras\' compute_fans: rank 0, 1, 2 and the naive rule for rank > 2 (HWIO conv, EinsumDense, depthwise)', () => {
    assert.deepEqual(kerasFans([]), { fanIn: 1, fanOut: 1 });
    assert.deepEqual(kerasFans([7]), { fanIn: 7, fanOut: 7 });
    assert.deepEqual(kerasFans([784, 400]), { fanIn: 784, fanOut: 400 });
    assert.deepEqual(kerasFans([3, 3, 16, 32]), { fanIn: 144, fanOut: 288 });
    // MultiHeadAttention's query kernel (d, heads, key_dim) = (512, 8, 64) before Keras 3.15: fans (heads·d, key_dim·d).
    assert.deepEqual(kerasFans([512, 8, 64]), { fanIn: 4096, fanOut: 32768 });
    const k3 = kerasWriter('3.8.0', true);
    const glorot = initOf('GlorotUniform', {}, k3);
    // GlorotUniform limit √(6/(fan_in + fan_out)) = 0.0128 for that kernel (formats.md §1.6), std limit/√3.
    assert.ok(Math.abs(kerasInitStd(glorot, kerasFans([512, 8, 64])) * Math.sqrt(3) - Math.sqrt(6 / (4096 + 32768))) < 1e-15);
    // DepthwiseConv2D (3, 3, 32, 1): fan_in counts all 32 channels, so σ²·9 (each output's true fan-in) = 2/(32 + 1).
    const s = kerasInitStd(glorot, kerasFans([3, 3, 32, 1]));
    assert.ok(Math.abs(s * s * 9 - 2 / 33) < 1e-15);
  });

  test('the truncated-normal rule follows the writer: divided by 0.8796 from Keras 2.2.0 and in Keras 3, not in Keras 2.0–2.1.6 nor TF.js', () => {
    const fans = { fanIn: 100, fanOut: 64 };
    const want = Math.sqrt(1 / 82);
    for (const [writer, std] of [[kerasWriter('2.0.5', false), want * KERAS_TRUNCATION_STD], [kerasWriter('2.1.6', false), want * KERAS_TRUNCATION_STD],
      [kerasWriter('2.2.0', false), want], [kerasWriter('2.11.0', false), want], [kerasWriter(null, true), want], [kerasWriter('tfjs-layers 1.3.2', false, true), want * KERAS_TRUNCATION_STD]] as const) {
      const init = initOf('VarianceScaling', { scale: 1, mode: 'fan_avg', distribution: 'normal' }, writer);
      assert.ok(Math.abs(kerasInitStd(init, fans) - std) < 1e-15, writer.label);
    }
    // The engine samples the same: the Keras 2.0.5 file's VarianceScaling(1, fan_avg, "normal") on 100 → 64, the
    // TF.js file's on 16 → 32 (glorotNormal, uncorrected), the Keras 3 HeNormal conv (√(2/9)), LecunNormal (√(1/16)).
    const std = (file: string, i: number): number => analyze(fixture(file), { mode: 'analytic' }).layers[i].init!.std;
    assert.ok(Math.abs(std('keras2.0-sequential-list.json', 0) - want * KERAS_TRUNCATION_STD) < 1e-9);
    assert.ok(Math.abs(std('keras2.0-sequential-list.json', 1) - 0.05) < 1e-12);
    assert.ok(Math.abs(std('tfjs-layers-mlp.model.json', 0) - Math.sqrt(2 / 48) * KERAS_TRUNCATION_STD) < 1e-9);
    assert.ok(Math.abs(std('keras2-sequential-cnn.json', 0) - Math.sqrt(2 / 9)) < 1e-9);
    assert.ok(Math.abs(std('tfjs-converted-keras3.model.json', 0) - 0.25) < 1e-9);
    // Embedding's default "uniform" is RandomUniform(±0.05): std 0.05/√3.
    assert.ok(Math.abs(std('keras3-sequential-embedding.json', 0) - 0.05 / Math.sqrt(3)) < 1e-12);
  });

  test('a Functional Add of a shortcut and a branch from a common ancestor becomes a residual block (identity, or a 1×1 projection)', () => {
    const read = readNetwork(fixture('keras2-functional-resnet.json'));
    const blocks = read.network!.layers.filter((l) => l.type === 'residual') as unknown as { shortcut: unknown; layers: { type: string }[] }[];
    assert.equal(blocks.length, 2);
    assert.equal(blocks[0].shortcut, null);
    assert.notEqual(blocks[1].shortcut, null);
    assert.deepEqual(blocks[1].layers.map((l) => l.type), ['conv2d', 'batchnorm', 'activation', 'conv2d', 'batchnorm']);
    assert.ok(read.source!.notes.some((n) => /b2_shortcut_bn/.test(n)));
  });

  test('residual findings apply to a Keras 3 Functional model, at the Add, with the fix as a Keras 3 initializer object', () => {
    const text = fixture('keras3-functional-residual-mlp.json');
    const report = analyze(text, { mode: 'analytic' });
    const growth = report.findings.find((f) => f.code === 'residual-variance-growth');
    assert.ok(growth, JSON.stringify(report.findings.map((f) => f.code)));
    assert.equal(growth.path, '/config/layers/5');
    assert.deepEqual(growth.fix!.value, { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null });
    assert.equal(growth.fix!.path, '/config/layers/4/config/kernel_initializer');
    const fixed = applyFixes(text, [growth.fix!]);
    assert.equal((JSON.parse(fixed) as { config: { layers: { config: { kernel_initializer: { class_name: string } } }[] } }).config.layers[4].config.kernel_initializer.class_name, 'Zeros');
    assert.equal(analyze(fixed, { mode: 'analytic' }).layers[3].init!.std, 0);
  });

  test('quick fixes are written in the file\'s version: tf.keras classes, Keras 2.0 and TF.js VarianceScaling "normal" with the scale that undoes their uncorrected truncation', () => {
    const cnn = analyze(fixture('keras2-sequential-cnn.json'), { mode: 'analytic' }).findings.find((f) => f.code === 'init-activation-mismatch')!;
    assert.equal(cnn.path, '/config/layers/6/config/kernel_initializer');
    // He for leaky_relu(0.3): VarianceScaling(2/(1 + 0.3²), fan_in), truncated_normal (tf.keras 2.11 knows it).
    assert.deepEqual(cnn.fix!.value, { class_name: 'VarianceScaling', config: { scale: Number((2 / 1.09).toPrecision(6)), mode: 'fan_in', distribution: 'truncated_normal', seed: null } });
    // Five ReLU Dense layers drawn RandomNormal(0, 0.01): vanishing activations; the fix is He normal, which TF.js and
    // Keras 2.0.5 write as VarianceScaling "normal" with scale 2/0.8796² (their truncated normal is not corrected),
    // and the alternative is the RandomNormal's own stddev √(2/64)·… rounded.
    const scale = Number((2 / KERAS_TRUNCATION_STD ** 2).toPrecision(6));
    const dense = (i: number): object => ({ class_name: 'Dense', config: { name: `d${i}`, units: 64, activation: 'relu', kernel_initializer: { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.01, seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} }, ...(i === 0 ? { batch_input_shape: [null, 64] } : {}) } });
    const layers = [0, 1, 2, 3, 4].map(dense);
    const files = {
      tfjs: JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { name: 's', layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' }, format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0' }),
      keras205: JSON.stringify({ class_name: 'Sequential', keras_version: '2.0.5', backend: 'tensorflow', config: layers }),
    };
    for (const [name, text] of Object.entries(files)) {
      const f = analyze(text, { mode: 'analytic' }).findings.find((x) => x.code === 'vanishing-activations');
      assert.ok(f?.fix, name);
      assert.match(f.fix.path, /\/config\/kernel_initializer$/, name);
      assert.deepEqual(f.fix.value, { class_name: 'VarianceScaling', config: { scale, mode: 'fan_in', distribution: 'normal', seed: null } }, name);
      const std = f.alternatives.find((a) => /\/kernel_initializer\/config\/stddev$/.test(a.path));
      assert.ok(std && typeof std.value === 'number' && Math.abs(std.value - Math.sqrt(2 / 64)) < 1e-3, name);
    }
  });

  test('what-if on a Keras file: the run changes the layer the pointer names, and writing it back sets its kernel_initializer in the file\'s form', () => {
    const text = fixture('keras2-sequential-cnn.json');
    const whatIf = { target: '/config/layers/6', scheme: 'kaiming_normal', multiplier: 1 };
    const report = analyze(text, { mode: 'analytic', whatIf });
    const conv2 = report.layers.find((l) => l.path === '/config/layers/6' && l.init)!;
    assert.ok(Math.abs(conv2.init!.std - Math.sqrt(2 / 72)) < 1e-12);
    const fixes = whatIfFixesInFile(readNetwork(text), whatIf)!;
    assert.deepEqual(fixes.map((f) => [f.path, f.value]), [['/config/layers/6/config/kernel_initializer', { class_name: 'HeNormal', config: { seed: null } }]]);
    const written = analyze(applyFixes(text, fixes), { mode: 'analytic' }).layers.find((l) => l.path === '/config/layers/6' && l.init)!;
    // HeNormal: Keras' truncated normal, σ divided by 0.8796, so its std is √(2/72) to the truncation's precision.
    assert.ok(Math.abs(written.init!.std / Math.sqrt(2 / 72) - 1) < 1e-9);
    // The target "all" rewrites every kernel (the two Conv2D and the Dense).
    assert.equal(whatIfFixesInFile(readNetwork(text), { ...whatIf, target: 'all' })!.length, 3);
  });

  test('DepthwiseConv2D and SeparableConv2D: a depthwise conv2d with Keras\' fans (fan_in kh·kw·C), ZeroPadding2D ((0, 1), (0, 1)) folded into the next conv; what-if and fixes keep the std asked', () => {
    const text = fixture('keras2.13-functional-mobile-block.json');
    const read = readNetwork(text);
    const layers = read.network!.layers as unknown as { type: string; padding?: unknown; depthMultiplier?: number | null }[];
    assert.deepEqual(layers[0].padding, [[0, 1], [0, 1]]);
    const report = analyze(text, { mode: 'analytic' });
    const at = (p: string): number[] => report.layers.filter((l) => l.path === p && l.init).map((l) => l.init!.std);
    // GlorotUniform on a (3, 3, 16, 1) kernel: Keras' fans (144, 9), std √(2/153); σ²·9 = 2/(C + 1) (formats.md §1.6).
    assert.ok(Math.abs(at('/config/layers/5')[0] - Math.sqrt(2 / 153)) < 1e-12);
    assert.ok(Math.abs(at('/config/layers/5')[0] ** 2 * 9 - 2 / 17) < 1e-12);
    // The separable conv: its depthwise part likewise, its pointwise (1, 1, 16, 32) GlorotUniform √(2/48).
    const separable = at('/config/layers/11');
    assert.equal(separable.length, 2);
    assert.ok(Math.abs(separable[0] - Math.sqrt(2 / 153)) < 1e-12 && Math.abs(separable[1] - Math.sqrt(2 / 48)) < 1e-12);
    // He normal asked for the depthwise kernel (std √(2/9) for its 9 taps) is VarianceScaling(2·16, fan_in) in Keras' fans.
    const fixes = whatIfFixesInFile(read, { target: '/config/layers/5', scheme: 'kaiming_normal', multiplier: 1 })!;
    assert.equal(fixes[0].path, '/config/layers/5/config/depthwise_initializer');
    assert.deepEqual(fixes[0].value, { module: 'keras.initializers', class_name: 'VarianceScaling', config: { scale: 32, mode: 'fan_in', distribution: 'truncated_normal', seed: null }, registered_name: null });
    const after = analyze(applyFixes(text, fixes), { mode: 'analytic' }).layers.find((l) => l.path === '/config/layers/5' && l.init)!;
    assert.ok(Math.abs(after.init!.std / Math.sqrt(2 / 9) - 1) < 1e-9);
  });

  test('a Concatenate of tensors from a common ancestor becomes a concatenate whose branches start there (the input itself an empty branch)', () => {
    const read = readNetwork(fixture('keras2-functional-concatenate.json'));
    const joined = read.network!.layers[0] as unknown as { type: string; branchSizes: number[] };
    assert.equal(joined.type, 'concatenate');
    assert.deepEqual(joined.branchSizes, [0, 1, 2]);
    const report = analyze(fixture('keras2-functional-concatenate.json'), { mode: 'analytic' });
    assert.equal(report.layers.find((l) => l.type === 'concatenate')!.path, '/config/layers/4');
  });

  test('MultiHeadAttention (self-attention, mha(x, x)) is the engine\'s attention, inside the residual its Add makes, its kernels with EinsumDense\'s fans: raw shapes before Keras 3.15, the contracted and produced axes from 3.15', () => {
    const text = fixture('keras3-functional-transformer.json');
    type Attention = { type: string; layers?: Attention[]; init: { options: { high: number } }; out: { options: { high: number } } };
    const attention = (t: string): Attention => (readNetwork(t).network!.layers as unknown as Attention[])[1].layers![0];
    const old = attention(text);
    assert.equal(old.type, 'attention');
    // GlorotUniform limit √(6/(fan_in + fan_out)): q, k, v (64, 4, 16) → (4·64, 16·64); output (4, 16, 64) → (16·4, 64·4).
    assert.ok(Math.abs(old.init.options.high - Math.sqrt(6 / (256 + 1024))) < 1e-15);
    assert.ok(Math.abs(old.out.options.high - Math.sqrt(6 / (64 + 256))) < 1e-15);
    const fixed = attention(JSON.stringify({ ...JSON.parse(text) as object, keras_version: '3.15.0' }));
    assert.ok(Math.abs(fixed.init.options.high - Math.sqrt(6 / 128)) < 1e-15 && Math.abs(fixed.out.options.high - Math.sqrt(6 / 128)) < 1e-15);
    // Cross-attention (query and value from different layers) is refused at the layer's inbound_nodes.
    const cross = JSON.parse(text) as { config: { layers: { inbound_nodes: { args: { config: { keras_history: unknown[] } }[] }[] }[] } };
    cross.config.layers[2].inbound_nodes[0].args[1].config.keras_history = ['input_layer', 0, 0];
    const problem = readNetwork(JSON.stringify(cross)).problems[0];
    assert.equal(problem.path, '/config/layers/2/inbound_nodes');
    assert.match(problem.message, /cross-attention\): not supported yet/);
  });

  test('GlobalMaxPooling2D is each channel\'s maximum over the map (a whole-map max pooling, then flatten): same parameters, a max that grows with the map', () => {
    const text = fixture('keras2-functional-resnet.json').replace('"class_name": "GlobalAveragePooling2D"', '"class_name": "GlobalMaxPooling2D"');
    const report = analyze(text, { mode: 'sampled' });
    assert.deepEqual(report.problems, []);
    assert.equal(report.cost!.parameterCount + report.source!.uncountedParameters!, 20_282);
    const pooled = report.layers.filter((l) => l.type === 'maxpool2d');
    assert.equal(pooled.length, 1);
    // The maximum of many positions of a ReLU map sits above their mean.
    const before = report.layers[report.layers.indexOf(pooled[0]) - 1];
    assert.ok(pooled[0].activation!.mean > before.activation!.mean + before.activation!.std, `${pooled[0].activation!.mean} vs ${before.activation!.mean} ± ${before.activation!.std}`);
    const keepdims = readNetwork(text.replace(/("class_name": "GlobalMaxPooling2D",\s*"config": \{)/, '$1"keepdims": true, '));
    assert.match(keepdims.problems[0]?.message ?? '', /keepdims true .* not supported yet/);
  });

  test('a whole model written as one JSON string (double-encoded) is read, its problems placed inside the string', () => {
    const inner = fixture('keras2-functional-resnet.json');
    const outer = JSON.stringify(inner);
    assert.equal(detectNetworkFormat(outer), 'keras');
    const report = analyze(outer, { mode: 'analytic' });
    assert.deepEqual(report.problems, []);
    assert.equal(report.cost!.parameterCount + report.source!.uncountedParameters!, 20_282);
    const bad = JSON.stringify(inner.replace('"class_name": "GlobalAveragePooling2D"', '"class_name": "FancyPool"'));
    const problem = readNetwork(bad).problems[0];
    assert.match(problem.message, /unknown Keras layer 'FancyPool'.*inside the JSON string/);
    assert.ok(bad.slice(problem.offset, problem.offset + problem.length).includes('FancyPool'), bad.slice(problem.offset, problem.offset + 40));
  });

  test('a .keras zip is read from its config.json with the version of its metadata.json; a subclassed model is refused at its class_name', () => {
    const zip = (config: string, version: string): Uint8Array => zipSync({ 'metadata.json': strToU8(JSON.stringify({ keras_version: version, date_saved: '2026-12-01@00:00:00' })), 'config.json': strToU8(config), 'model.weights.h5': new Uint8Array(8) });
    const read = readNetworkBytes(zip(fixture('keras3-functional-residual-mlp.json'), '3.8.0'));
    assert.deepEqual(read.problems, []);
    assert.match(read.source!.initRules, /^Keras 3\.8\.0/);
    assert.ok(read.source!.notes.some((n) => /config\.json inside this \.keras zip/.test(n)));
    const sub = readNetworkBytes(zip(JSON.stringify({ module: null, class_name: 'MyModel', config: { units: 3 }, registered_name: 'custom>MyModel' }), '3.15.0'));
    assert.equal(sub.network, null);
    assert.match(sub.problems[0].message, /^config\.json#\/class_name, line 1: 'MyModel' at \/class_name is a subclassed Keras model \(custom>MyModel\)/);
    assert.match(readNetworkBytes(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2])).problems[0].message, /not a zip Init Inspector can read/);
  });

  test('Conv1D and the 1-D poolings: a (steps, channels) signal is the engine\'s [channels, 1, steps], each length as Keras\' conv_output_length, each kernel with Keras\' fans (receptive field k)', () => {
    // Keras' output length (conv_utils.conv_output_length, dilation 1): valid ⌊(n − k)/s⌋ + 1, same ⌈n/s⌉, causal as
    // valid after k − 1 zeros on the left; a pooling is valid with its pool_size and strides.
    const outLength = (n: number, k: number, s: number, padding: 'valid' | 'same' | 'causal'): number =>
      padding === 'same' ? Math.ceil(n / s) : Math.floor((n + (padding === 'causal' ? k - 1 : 0) - k) / s) + 1;
    const report2 = analyze(fixture('keras2-sequential-conv1d.json'), { mode: 'analytic' });
    assert.deepEqual(report2.problems, []);
    assert.deepEqual(readNetwork(fixture('keras2-sequential-conv1d.json')).network!.input.shape, [4, 1, 100]);
    // 100 steps → conv_a (k 5, causal) → pool 2 → conv_b (k 3, stride 2, same) → avg pool 2 → conv_c (k 3, valid) → mean.
    const steps2 = [outLength(100, 5, 1, 'causal')];
    steps2.push(outLength(steps2[0], 2, 2, 'valid'), 0);
    steps2[2] = outLength(steps2[1], 3, 2, 'same');
    steps2.push(outLength(steps2[2], 2, 2, 'valid'));
    steps2.push(outLength(steps2[3], 3, 1, 'valid'));
    const channels2 = [16, 16, 32, 32, 8];
    assert.deepEqual(report2.layers.slice(0, 5).map((l) => l.outputShape), steps2.map((n, i) => [channels2[i], 1, n]));
    assert.deepEqual(report2.layers.slice(5).map((l) => l.outputShape), [[8], [3]]);
    // Fans as Keras' compute_fans of the kernel (k, in, filters), and the std: GlorotUniform limit √(6/(k·in + k·filters)),
    // std limit/√3; HeNormal (Keras ≥ 2.2: the truncated normal divided by 0.8796) std √(2/(k·in)) (to 1e-9, as
    // the other truncated-normal checks here).
    const conv = (i: number): { fanIn: number; fanOut: number; std: number } => ({ fanIn: report2.layers[i].fanIn!, fanOut: report2.layers[i].fanOut!, std: report2.layers[i].init!.std });
    assert.deepEqual(kerasFans([5, 4, 16]), { fanIn: 5 * 4, fanOut: 5 * 16 });
    for (const [i, k, cin, cout, std] of [
      [0, 5, 4, 16, Math.sqrt(6 / (5 * 4 + 5 * 16)) / Math.sqrt(3)],
      [2, 3, 16, 32, Math.sqrt(2 / (3 * 16))],
      [4, 3, 32, 8, Math.sqrt(6 / (3 * 32 + 3 * 8)) / Math.sqrt(3)],
    ] as const) {
      const got = conv(i);
      assert.equal(got.fanIn, kerasFans([k, cin, cout]).fanIn, report2.layers[i].name);
      assert.equal(got.fanOut, kerasFans([k, cin, cout]).fanOut, report2.layers[i].name);
      assert.ok(Math.abs(got.std - std) < 1e-9, `${report2.layers[i].name}: ${got.std} vs ${std}`);
    }
    // Keras 3: 64 steps → conv (k 7, stride 2, valid) → BN, ReLU → max pool 3 stride 2 → conv (k 3, same) → mean → Dense.
    const report3 = analyze(fixture('keras3-sequential-conv1d.json'), { mode: 'analytic' });
    assert.deepEqual(report3.problems, []);
    assert.deepEqual(readNetwork(fixture('keras3-sequential-conv1d.json')).network!.input.shape, [2, 1, 64]);
    const a = outLength(64, 7, 2, 'valid');
    const b = outLength(a, 3, 2, 'valid');
    assert.deepEqual(report3.layers.map((l) => l.outputShape), [[8, 1, a], [8, 1, a], [8, 1, a], [8, 1, b], [16, 1, outLength(b, 3, 1, 'same')], [16], [4]]);
    assert.ok(Math.abs(report3.layers[0].init!.std - Math.sqrt(2 / (7 * 2))) < 1e-9);
    // The sampled run goes through the same layers.
    const sampled = analyze(fixture('keras3-sequential-conv1d.json'), { mode: 'sampled' });
    assert.deepEqual(sampled.problems, []);
    assert.ok(Math.abs(sampled.layers[0].init!.sampledStd! / Math.sqrt(2 / 14) - 1) < 0.2, String(sampled.layers[0].init!.sampledStd));
  });

  test('MaxPooling2D 3×3 by 2 and AveragePooling2D 2×2 with padding same on odd maps (a ResNet stem): analyzed, with the output shapes Keras computes', () => {
    // Keras (conv_utils.conv_output_length): same ⌈n/s⌉. 73 → conv 7×7 by 2 → 37 → max pool 3×3 by 2 → 19 (one row and
    // column padded on each side) → average pool 2×2 by 2 → 10 (one padded after) → conv 3×3 same → 10.
    const report = analyze(fixture('keras2-functional-same-pools.json'), { mode: 'both' });
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.layers.map((l) => [l.name, l.outputShape]), [
      ['conv1_conv', [16, 37, 37]], ['conv1_bn', [16, 37, 37]], ['conv1_relu', [16, 37, 37]], ['pool1_pool', [16, 19, 19]],
      ['pool2_pool', [16, 10, 10]], ['conv2_conv', [32, 10, 10]], ['avg_pool', [32]], ['predictions', [10]]]);
    // The max pooling's edge windows hold 4 or 6 of the relu outputs, the others 9: sampled and predicted agree.
    const pool = report.layers[3];
    assert.ok(Math.abs(pool.activation!.mean / pool.predicted!.activationMean - 1) < 0.05, `${pool.activation!.mean} vs ${pool.predicted!.activationMean}`);
    assert.ok(Math.abs(pool.activation!.std / pool.predicted!.activationStd - 1) < 0.1, `${pool.activation!.std} vs ${pool.predicted!.activationStd}`);
    // Each pooling's padding is the layer's own key in the file.
    const padded = readNetwork(fixture('keras2-functional-same-pools.json')).network!.layers.filter((l) => l.type === 'maxpool2d' || l.type === 'avgpool2d');
    assert.deepEqual(padded.map((l) => (l as PoolSpec).padding), ['same', 'same']);
  });

  test('GlobalMaxPooling1D: each channel\'s maximum over the steps (a max pooling over the whole [1, steps] map, then flatten), the same parameters', () => {
    const text = fixture('keras3-sequential-conv1d.json').replace('"class_name": "GlobalAveragePooling1D"', '"class_name": "GlobalMaxPooling1D"');
    const report = analyze(text, { mode: 'sampled' });
    assert.deepEqual(report.problems, []);
    assert.equal(report.cost!.parameterCount + report.source!.uncountedParameters!, 620);
    const pool = report.layers.filter((l) => l.type === 'maxpool2d').pop()!;
    const before = report.layers[report.layers.indexOf(pool) - 1];
    assert.deepEqual([before.outputShape, pool.outputShape], [[16, 1, 14], [16, 1, 1]]);
    // The maximum of 14 steps of a ReLU signal sits above their mean.
    assert.ok(pool.activation!.mean > before.activation!.mean + before.activation!.std, `${pool.activation!.mean} vs ${before.activation!.mean} ± ${before.activation!.std}`);
  });

  test('Conv1D refusals are located: dilation_rate 2 at the key, a 2-D kernel_size at its key; a pooling\'s padding same is analyzed', () => {
    const base = JSON.parse(fixture('keras2-sequential-conv1d.json')) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const at = (edit: (layers: { class_name: string; config: Record<string, unknown> }[]) => void): { path: string; message: string } => {
      const copy = structuredClone(base);
      edit(copy.config.layers);
      const read = readNetwork(JSON.stringify(copy));
      assert.equal(read.network, null);
      return read.problems[0];
    };
    const dilated = at((l) => { l[3].config.dilation_rate = [2]; });
    assert.equal(dilated.path, '/config/layers/3/config/dilation_rate');
    assert.match(dilated.message, /dilation_rate \[2\] at \/config\/layers\/3\/config\/dilation_rate is not supported yet by Init Inspector \(dilated convolutions\)/);
    // A pooling's padding "same" that pads nothing pools as "valid" (2 by 2 on 100 steps: 50 outputs either way); one
    // that pads (3 by 2: ⌈100/2⌉ = 50 windows, the last one reaching step 101) is analyzed too, the same 50 outputs.
    for (const poolSize of [2, 3]) {
      const same = structuredClone(base);
      same.config.layers[2].config.padding = 'same';
      same.config.layers[2].config.pool_size = [poolSize];
      const pooled = analyze(JSON.stringify(same), { mode: 'both' });
      assert.deepEqual(pooled.problems, [], `pool_size ${poolSize}`);
      assert.deepEqual(pooled.layers[1].outputShape, [16, 1, 50], `pool_size ${poolSize}`);
    }
    const square = at((l) => { l[1].config.kernel_size = [3, 3]; });
    assert.equal(square.path, '/config/layers/1/config/kernel_size');
    assert.match(square.message, /must be a number or a one-element list for a 1-D layer/);
  });

  test('between a sequence and a 1-D signal: Embedding → Conv1D gets a to_feature_map (x.transpose(1, 2)), a Dense on a Conv1D\'s output a to_sequence; the kernels keep Keras\' fans and the sampled run matches the prediction', () => {
    const base = JSON.parse(fixture('keras2-sequential-conv1d.json')) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    // The Keras text CNN: token ids (batch, 100) → Embedding(50, 4) → the fixture's Conv1D stack.
    const text = structuredClone(base);
    text.config.layers[0].config.batch_input_shape = [null, 100];
    text.config.layers.splice(1, 0, { class_name: 'Embedding', config: { name: 'embed', input_dim: 50, output_dim: 4, embeddings_initializer: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05 } } } });
    const report = analyze(JSON.stringify(text), { mode: 'sampled' });
    assert.deepEqual(report.problems, []);
    assert.equal(report.cost!.parameterCount + report.source!.uncountedParameters!, 2_707 + 50 * 4);
    assert.deepEqual(report.layers.slice(0, 3).map((l) => [l.type, l.outputShape]), [['embedding', [100, 4]], ['to_feature_map', [4, 1, 100]], ['conv2d', [16, 1, 100]]]);
    // conv_a's kernel (5, 4, 16): Keras' fans 5·4 and 5·16, GlorotUniform std √(6/(20 + 80))/√3.
    assert.deepEqual([report.layers[2].fanIn, report.layers[2].fanOut], [20, 80]);
    assert.ok(Math.abs(report.layers[2].init!.std - Math.sqrt(6 / 100) / Math.sqrt(3)) < 1e-12);
    // Each step of each channel is the embedding row of its token: the std passes through the transpose (float64 sums in another order).
    assert.ok(Math.abs(report.layers[1].activation!.std / report.layers[0].activation!.std - 1) < 1e-12);
    assert.ok(Math.abs(report.layers[1].activation!.std / (0.05 / Math.sqrt(3)) - 1) < 0.05, String(report.layers[1].activation!.std));

    // Embedding → GlobalAveragePooling1D → Dense (the Keras text classifier): the average of 16 independent rows
    // has std 0.05/√3/√16, predicted and sampled.
    const classifier = JSON.parse(fixture('keras3-sequential-embedding.json')) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const flatten = classifier.config.layers.findIndex((l) => l.class_name === 'Flatten');
    classifier.config.layers[flatten] = { class_name: 'GlobalAveragePooling1D', config: { name: 'mean_over_tokens' } };
    const pooled = analyze(JSON.stringify(classifier), { mode: 'both' });
    assert.deepEqual(pooled.problems, []);
    const pool = pooled.layers.find((l) => l.type === 'global_avg_pool')!;
    assert.deepEqual(pool.outputShape, [32]);
    const expected = 0.05 / Math.sqrt(3) / Math.sqrt(16);
    assert.ok(Math.abs(pool.predicted!.activationStd / expected - 1) < 1e-9, String(pool.predicted!.activationStd));
    assert.ok(Math.abs(pool.activation!.std / expected - 1) < 0.1, String(pool.activation!.std));

    // A Dense on conv_a's (steps, channels) output acts on the channels of each step: [100, 4] after a to_sequence,
    // and the max pooling after it reads a feature map again.
    const mixed = structuredClone(base);
    mixed.config.layers.splice(2, 0, { class_name: 'Dense', config: { name: 'mix', units: 4, activation: 'tanh' } });
    const mixedReport = analyze(JSON.stringify(mixed), { mode: 'sampled' });
    assert.deepEqual(mixedReport.problems, []);
    assert.deepEqual(mixedReport.layers.slice(0, 5).map((l) => [l.type, l.outputShape]),
      [['conv2d', [16, 1, 100]], ['to_sequence', [100, 16]], ['dense', [100, 4]], ['to_feature_map', [4, 1, 100]], ['maxpool2d', [4, 1, 50]]]);
    assert.equal(mixedReport.cost!.parameterCount + mixedReport.source!.uncountedParameters!, 2_707 + 16 * 4 + 4 - (3 * 16 * 32) + 3 * 4 * 32);
  });

  test('squeeze-and-excitation and tokens from a map: Multiply(x, σ(conv(conv(avg(x))))) is a multiply of the fork\'s branches, Reshape((64, 16)) of an 8×8×16 map makes each position a token, leading Rescaling and Normalization are left out', () => {
    const report = analyze(fixture('keras2.13-functional-squeeze-excite.json'), { mode: 'both' });
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.layers.map((l) => [l.name, l.type, l.outputShape]), [
      ['stem', 'conv2d', [16, 8, 8]], ['se_squeeze', 'global_avg_pool', [16]], ['se_reshape', 'reshape', [16, 1, 1]], ['se_reduce', 'conv2d', [4, 1, 1]],
      ['se_expand', 'conv2d', [16, 1, 1]], ['se_excite', 'multiply', [16, 8, 8]], ['to_tokens', 'reshape', [64, 16]], ['token_norm', 'layernorm', [64, 16]],
      ['token_mean (steps × channels → channels × steps)', 'to_feature_map', [16, 1, 64]], ['token_mean', 'global_avg_pool', [16]], ['head', 'dense', [3]]]);
    assert.match(report.source!.notes[0], /preprocessing layers at the model's start \(rescale, standardize\) are left out/);
    // The stem reads the run's unit-normal input itself, not 1/255 of it: He's fan_out std √(2/(9·16)) gives a
    // pre-activation std near √(9·4·2/(9·16)) = 0.71, whose swish output the sampled run sees.
    const stem = report.layers[0];
    assert.ok(Math.abs(stem.preActivation!.std / Math.sqrt((9 * 4 * 2) / (9 * 16)) - 1) < 0.15, String(stem.preActivation!.std));
    // The gate is a sigmoid per channel: the product's mean lies between 0 and the stem's own.
    const excite = report.layers[5];
    assert.ok(excite.activation!.mean > 0 && excite.activation!.mean < stem.activation!.mean, `${excite.activation!.mean} vs ${stem.activation!.mean}`);
    assert.ok(Math.abs(excite.predicted!.activationStd / excite.activation!.std - 1) < 0.2, `${excite.predicted!.activationStd} vs ${excite.activation!.std}`);
  });

  test('refusals have a clear message at their JSON location: Lambda (never executed), unknown and unsupported layers, TF.js graph models, Keras 1', () => {
    const base = JSON.parse(fixture('keras2-sequential-cnn.json')) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] }; keras_version: string };
    const withLayer = (className: string): string => {
      const copy = structuredClone(base);
      copy.config.layers[9] = { class_name: className, config: { name: 'odd', function: ['4wEAAAAAAAAA', null, null] } };
      return JSON.stringify(copy);
    };
    const at = (text: string): { path: string; message: string } => readNetwork(text).problems[0];
    assert.match(at(withLayer('Lambda')).message, /Lambda layer runs Python code, which Init Inspector never executes/);
    assert.equal(at(withLayer('Lambda')).path, '/config/layers/9/class_name');
    assert.match(at(withLayer('MyCustomLayer')).message, /unknown Keras layer 'MyCustomLayer'/);
    assert.match(at(withLayer('Conv3D')).message, /Conv3D is not supported yet/);
    assert.match(at(withLayer('Conv2DTranspose')).message, /Conv2DTranspose is not supported yet/);
    const graph = JSON.stringify({ format: 'graph-model', generatedBy: '2.3.0', modelTopology: { node: [{ name: 'x', op: 'Placeholder' }] } });
    assert.equal(detectNetworkFormat(graph), 'tfjs');
    assert.match(at(graph).message, /graph model .* no layers and no initializers/);
    assert.equal(at(graph).path, '/format');
    assert.match(at(JSON.stringify({ ...base, keras_version: '1.2.2' })).message, /Keras 1\.2\.2 files \(Keras 1\) are not supported/);
  });
});
