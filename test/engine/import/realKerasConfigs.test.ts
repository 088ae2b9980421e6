import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, readNetworkBytes } from '../../../src/engine';
import { realConfigsFolder } from './hfFixtures';

/**
 * What each Keras and TF.js file of `../shared/real-configs/` (real files written by others, read from there, never
 * copied in) must give: model.summary()'s total (counted by hand from the layer shapes: conv k·k·C_in·filters (+
 * bias), Dense in·units + units, BatchNormalization 4·C; for TF.js files also the sum of the weightsManifest shapes),
 * or the message it is refused with.
 */
const EXPECTED: Record<string, { summary: number } | { refused: RegExp }> = {
  // 150×150×3: conv 32, 32, 64 (3×3 valid, each after a 2×2 pool) → 17·17·64 = 18496 → Dense 64 → Dense 1.
  'keras2.0-sequential-cnn.json': { summary: 896 + 9_248 + 18_496 + 18_496 * 64 + 64 + 65 },
  // Dense 784 → 784 → 400 → 400 → 10.
  'keras2.0-sequential-mlp-randomnormal.json': { summary: 785 * 784 + 785 * 400 + 401 * 400 + 401 * 10 },
  // ResNet-18 on 96×96×3 with Dense 8, every conv and BatchNormalization counted from the file's shapes.
  'keras2.11-functional-resnet18-double-encoded.json': { summary: 11_195_016 },
  // EfficientNetB0 without its top, keras.applications' published 4,049,571 (42,023 of them non-trainable: the
  // BatchNormalizations' moving statistics and the Normalization's mean, variance and count, 3 + 3 + 1), then a
  // transformer head on its 7×7×1280 map reshaped to 49 tokens: MultiHeadAttention 4×128 (q, k, v 1280·512 + 512
  // each, output 512·1280 + 1280), two LayerNormalization 2·1280, Dense 512, 1280, 512 and 8.
  'keras2.13-functional-efficientnet-mha.json': { summary: 4_049_571 + 3 * (1280 * 512 + 512) + 512 * 1280 + 1280 + 2 * 2 * 1280 + (1280 * 512 + 512) + (512 * 1280 + 1280) + (1280 * 512 + 512) + (512 * 8 + 8) },
  // MobileNet v1 1.0 224 (13 DepthwiseConv2D, asymmetric ZeroPadding2D, its head a Reshape to a 1×1 map and a 1×1
  // conv): keras.applications' published 4,253,864.
  'keras2.2-functional-mobilenet.json': { summary: 4_253_864 },
  // 28×28 → Flatten 784 → Dense 1024, 512, 256, 128, 10.
  'keras3-sequential-mlp.json': { summary: 785 * 1024 + 1025 * 512 + 513 * 256 + 257 * 128 + 129 * 10 },
  'keras3-subclassed-nested.keras': { refused: /'NestedDenseModel' at \/class_name is a subclassed Keras model/ },
  // 28×28×1: conv 32 → pool → conv 64 → pool → conv 64 → 3·3·64 = 576 → Dense 64 → Dense 10.
  'keras3.8-sequential-cnn.config.json': { summary: 320 + 18_496 + 36_928 + 577 * 64 + 65 * 10 },
  // MobileNetV2 (a nested Functional, 17 DepthwiseConv2D, 10 Add) + Conv2D 32, Dense 128, Dense 5: the weightsManifest's sum.
  'tfjs-keras3.8-sequential-mobilenetv2.model.json': { summary: 2_631_525 },
  // Dense 8 → 50 → 50 → 1 (also the weightsManifest's sum).
  'tfjs-layers-sequential-mlp.model.json': { summary: 9 * 50 + 51 * 50 + 51 },
};

const folder = realConfigsFolder();

suite('real Keras and TF.js files written by others (../shared/real-configs, when present)', () => {
  suiteSetup(function () {
    if (!folder) this.skip();
  });

  test('each gives model.summary()\'s total without an error problem, or is refused with its message at its location', () => {
    const files = fs.readdirSync(folder!).filter((f) => /^(keras|tfjs)/.test(f));
    assert.deepEqual(files.sort(), Object.keys(EXPECTED).sort(), 'a new real Keras file needs its expectation here');
    for (const file of files) {
      const expected = EXPECTED[file];
      const bytes = new Uint8Array(fs.readFileSync(path.join(folder!, file)));
      const read = readNetworkBytes(bytes);
      const errors = read.problems.filter((p) => p.severity === 'error');
      if ('refused' in expected) {
        assert.equal(read.network, null, file);
        assert.ok(errors.length > 0 && errors.every((e) => e.path !== '' || /config\.json/.test(e.message)), file);
        assert.match(errors[0].message, expected.refused, file);
        continue;
      }
      assert.deepEqual(errors, [], file);
      const report = analyze(fs.readFileSync(path.join(folder!, file), 'utf8'), { mode: 'analytic', file });
      assert.equal(report.cost!.parameterCount + report.source!.uncountedParameters!, expected.summary, file);
      assert.ok(report.layers.every((l) => Number.isFinite(l.predicted!.activationStd) && Number.isFinite(l.predicted!.gradientStd)), file);
      if (file.startsWith('tfjs-')) {
        const manifest = (JSON.parse(new TextDecoder().decode(bytes)) as { weightsManifest: { weights: { shape: number[] }[] }[] }).weightsManifest;
        assert.equal(manifest.flatMap((g) => g.weights).reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0), expected.summary, file);
      }
    }
  });

  test('MobileNet v1 (Keras 2.2.0): each DepthwiseConv2D keeps Keras\' fans, σ²·9 = 2/(C + 1) (formats.md §1.6: 0.061 for 32 channels)', () => {
    const report = analyze(fs.readFileSync(path.join(folder!, 'keras2.2-functional-mobilenet.json'), 'utf8'), { mode: 'analytic' });
    const depthwise = report.layers.filter((l) => /^conv_dw_\d+$/.test(l.name) && l.init);
    assert.equal(depthwise.length, 13);
    for (const l of depthwise) {
      const channels = l.outputShape[0];
      assert.ok(Math.abs(l.init!.std ** 2 * 9 - 2 / (channels + 1)) < 1e-12, `${l.name}: ${l.init!.std}`);
    }
    assert.ok(Math.abs(depthwise[0].init!.std ** 2 * 9 - 0.0606) < 1e-4);
  });

  test('the ResNet-18 written as one JSON string: its Rescaling(1/255) is left out with a note, so its BatchNormalization-led blocks show no residual growth; a finding\'s fix is described in words at the file\'s start', () => {
    const outer = fs.readFileSync(path.join(folder!, 'keras2.11-functional-resnet18-double-encoded.json'), 'utf8');
    const report = analyze(outer, { mode: 'analytic' });
    assert.ok(report.source!.notes.some((n) => /preprocessing layers at the model's start \(rescaling\) are left out/.test(n)), report.source!.notes.join('\n'));
    // Each stage's blocks add a BatchNormalization-scaled branch: the stream's std stays within 0.5 to 2.5.
    const adds = report.layers.filter((l) => l.type === 'residual');
    assert.equal(adds.length, 8);
    assert.ok(adds.every((l) => l.predicted!.activationStd > 0.5 && l.predicted!.activationStd < 2.5), adds.map((l) => l.predicted!.activationStd).join(', '));
    assert.equal(report.findings.find((f) => f.code === 'residual-variance-growth'), undefined);
    // With the head's kernel set to Zeros (edited inside the string), the symmetry finding gives its fix in words.
    const model = JSON.parse(JSON.parse(outer) as string) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    model.config.layers.find((l) => l.class_name === 'Dense')!.config.kernel_initializer = { class_name: 'Zeros', config: {} };
    const zero = analyze(JSON.stringify(JSON.stringify(model)), { mode: 'analytic' }).findings.find((f) => f.code === 'zero-init-symmetry');
    assert.ok(zero);
    assert.equal(zero.path, '');
    assert.equal(zero.fix, null);
    assert.match(zero.message, /set \/config\/layers\/77\/config\/kernel_initializer inside the JSON string to \{"class_name":"GlorotNormal","config":\{"seed":null\}\}/);
  });
});
