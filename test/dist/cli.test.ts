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
    assert.deepEqual(Object.keys(report).slice(0, 10), ['file', 'network', 'mode', 'seed', 'batchSize', 'layers', 'blocks', 'findings', 'problems', 'backend']);
    assert.equal(report.seed, 5);
    assert.equal(report.batchSize, 8);
    const layer = report.layers[0];
    for (const key of ['index', 'path', 'name', 'type', 'outputShape', 'fanIn', 'fanOut', 'init', 'projections', 'preActivation', 'activation', 'gradient', 'weightGradient', 'predicted']) {
      assert.ok(key in layer, `layer has ${key}`);
    }
    assert.equal(layer.activation, null);
    assert.deepEqual(Object.keys(layer.predicted).sort(), ['activationMean', 'activationStd', 'approximate', 'approximateBy', 'chi', 'deadFraction', 'gradientApproximateBy', 'gradientStd', 'preActivationStd', 'saturatedFraction']);
  });

  test('repeated blocks are one row with each statistic\'s range over them; --all-layers lists every layer', () => {
    const config = path.join(ROOT, 'test', 'fixtures', 'huggingFace', 'llama-3-8b.config.json');
    const grouped = run(['analyze', config, '--mode', 'analytic']);
    assert.equal(grouped.code, 0, grouped.err);
    const report = JSON.parse(run(['analyze', config, '--mode', 'analytic', '--json']).out);
    const blocks = report.blocks[0].blocks as { firstLayer: number; lastLayer: number; outputStd: { predicted: number }; gradientStd: { predicted: number } }[];
    assert.equal(blocks.length, 32);
    const rows = grouped.out.split('\n').filter((line) => /^  \d/.test(line));
    // embed_tokens, the 32 blocks' row, norm and lm_head.
    assert.equal(rows.length, 4, rows.join('\n'));
    const fmt = (x: number): string => Number(x.toPrecision(3)).toString();
    const range = (xs: number[]): string => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
    const blockRow = rows[1].trim().split(/\s{2,}/);
    assert.deepEqual(blockRow.slice(0, 4), [`${blocks[0].firstLayer}–${blocks[31].lastLayer}`, 'blocks layers.0–layers.31 ×32', '[32×4096]', 'std 0.02']);
    assert.equal(blockRow[5], range(blocks.map((b) => b.outputStd.predicted)));
    assert.equal(blockRow[7], range(blocks.map((b) => b.gradientStd.predicted)));
    assert.match(grouped.out, /blocks layers\.0–layers\.31: 32 × 6 layers, residual\(rmsnorm, attention\) \+ residual\(rmsnorm, gated_mlp\); logit std [0-9.–]+ \(predicted\)/);
    assert.doesNotMatch(grouped.out, /#\d+ layers\.\*\.self_attn: logit std/, 'no attention line per grouped layer');

    const all = run(['analyze', config, '--mode', 'analytic', '--all-layers']);
    const allRows = all.out.split('\n').filter((line) => /^  \d/.test(line));
    assert.equal(allRows.length, report.layers.length);
    assert.match(allRows[2], /^  2\s+layers\.\*\.self_attn \(attention\)\s+\[32×4096\]\s+q,k,v,o 0\.02\s/);
    assert.equal(all.out.match(/^  #\d+ layers\.\*\.self_attn: logit std/gm)!.length, 32);
  });
});
