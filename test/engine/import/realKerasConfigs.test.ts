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
  // EfficientNetB0's squeeze-and-excitation multiplies two tensors.
  'keras2.13-functional-efficientnet-mha.json': { refused: /the layer Multiply 'block7a_se_excite' at \/config\/layers\/232\/class_name merges 2 tensors: not supported yet/ },
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

  test('the ResNet-18 written as one JSON string gets the residual findings, its fixes described in words at the file\'s start', () => {
    const report = analyze(fs.readFileSync(path.join(folder!, 'keras2.11-functional-resnet18-double-encoded.json'), 'utf8'), { mode: 'analytic' });
    const growth = report.findings.find((f) => f.code === 'residual-variance-growth');
    assert.ok(growth);
    assert.equal(growth.path, '');
    assert.equal(growth.fix, null);
    assert.match(growth.message, /inside the JSON string to \{"class_name":"Zeros","config":\{\}\}/);
  });
});
