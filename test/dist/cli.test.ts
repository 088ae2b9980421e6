import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { ROOT } from '../repo';

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(args, (s) => { out += s + '\n'; }, (s) => { err += s + '\n'; });
  return { code, out, err };
}
const example = (name: string): string => path.join(ROOT, 'examples', name);

suite('CLI', () => {
  test('a healthy network exits 0 and prints a table with sampled and predicted stds', () => {
    const r = run(['analyze', example('small-cnn.net.json')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /std sampled\s+std predicted\s+grad std/);
    assert.match(r.out.split('\n')[0], /wasm-simd128( × \d+ threads)?\)$/, 'the CLI runs on the WebAssembly backend');
    assert.match(r.out, /conv1 \(conv2d\) relu\s+\[16×32×32\]\s+kaiming_normal\(relu\) \(0\.272\)/);
  });

  test('error-level findings exit 1 and print file:line:col', () => {
    const r = run(['analyze', example('zero-init.net.json'), '--mode', 'analytic']);
    assert.equal(r.code, 1);
    assert.match(r.out, /zero-init\.net\.json:10:71: error: all 1024 units .* \[zero-init-symmetry\]/);
  });

  test('a GPT-NeoX YAML config: its findings at file:line:col of its YAML keys', () => {
    const file = path.join(ROOT, 'test', 'fixtures', 'gptNeox', 'pythia-70m-normal-init.yml');
    const r = run(['analyze', file, '--mode', 'analytic']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /70,426,624 parameters/);
    // "init_method": "normal" is on line 18, column 3 of the file.
    assert.match(r.out, /pythia-70m-normal-init\.yml:18:3: warning: attention in 'layers\.\*\.attention' concentrates on few keys .* \[attention-entropy-collapse\]/);
  });

  test('invalid input and usage exit 2 with a message', () => {
    assert.equal(run(['analyze']).code, 2);
    assert.equal(run(['analyze', example('zero-init.net.json'), '--mode', 'fast']).code, 2);
    assert.equal(run(['analyze', '/nonexistent.net.json']).code, 2);
    const broken = run(['analyze', path.join(ROOT, 'package.json')]);
    assert.equal(broken.code, 2);
    assert.match(broken.out, /package\.json:1:1: error: missing required property "input"/);
  });

  test('--json prints the documented report shape, with null for what a mode does not compute', () => {
    const r = run(['analyze', example('residual-zero-last.net.json'), '--json', '--mode', 'analytic', '--seed', '5', '--batch-size', '8']);
    assert.equal(r.code, 0);
    const report = JSON.parse(r.out);
    assert.deepEqual(Object.keys(report).slice(0, 9), ['file', 'network', 'mode', 'seed', 'batchSize', 'layers', 'findings', 'problems', 'backend']);
    assert.equal(report.seed, 5);
    assert.equal(report.batchSize, 8);
    const layer = report.layers[0];
    for (const key of ['index', 'path', 'name', 'type', 'outputShape', 'fanIn', 'fanOut', 'init', 'preActivation', 'activation', 'gradient', 'weightGradient', 'predicted']) {
      assert.ok(key in layer, `layer has ${key}`);
    }
    assert.equal(layer.activation, null);
    assert.deepEqual(Object.keys(layer.predicted).sort(), ['activationMean', 'activationStd', 'approximate', 'approximateBy', 'chi', 'deadFraction', 'gradientApproximateBy', 'gradientStd', 'preActivationStd', 'saturatedFraction']);
  });
});
