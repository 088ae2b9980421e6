import * as assert from 'node:assert/strict';
import { analyze, type Report } from '../../../src/engine';
import { fixture } from '../import/hfFixtures';
import { readRepoFile } from '../../repo';

/** A residual MLP: `blocks` copies of x + dense(relu(dense(x))), written as a repeat, after a first dense layer. */
function residualMlp(blocks: number): string {
  return JSON.stringify({ input: { shape: [32] }, batch_size: 16, seed: 3, layers: [
    { type: 'dense', units: 32, init: 'kaiming_normal', activation: 'relu' },
    { type: 'repeat', times: blocks, layers: [{ type: 'residual', layers: [
      { type: 'dense', units: 32, activation: 'relu', init: 'kaiming_normal' }, { type: 'dense', units: 32, init: 'kaiming_normal' },
    ] }] },
  ] });
}

/** A GPT-2 config of `layers` blocks, tiny enough for a sampled run. */
function tinyGpt2(layers: number, extra: object = {}): string {
  return JSON.stringify({ model_type: 'gpt2', vocab_size: 64, n_positions: 8, n_embd: 16, n_layer: layers, n_head: 2, ...extra });
}

function onlyGroup(report: Report) {
  assert.equal(report.blocks.length, 1, `groups: ${report.blocks.map((g) => g.pattern).join(' | ')}`);
  return report.blocks[0];
}

suite('report blocks', () => {
  test('a repeat of N residual blocks is N blocks of its three rows, each summarised from its own rows', () => {
    for (const n of [2, 5, 9]) {
      const report = analyze(residualMlp(n), { mode: 'both' });
      const group = onlyGroup(report);
      assert.equal(group.blocks.length, n);
      assert.equal(group.pattern, 'residual(dense, dense)');
      assert.equal(group.layersPerBlock, 3);
      group.blocks.forEach((b, k) => {
        assert.deepEqual([b.index, b.name, b.firstLayer, b.lastLayer], [k, `block ${k}`, 1 + 3 * k, 3 + 3 * k]);
        const out = report.layers[b.lastLayer];
        assert.equal(out.type, 'residual');
        assert.deepEqual(b.outputStd, { sampled: out.activation!.std, predicted: out.predicted!.activationStd });
        // The gradient at the block's input is dL/d(output) of the layer before it.
        const before = report.layers[b.firstLayer - 1];
        assert.deepEqual(b.gradientStd, { sampled: before.gradient!.std, predicted: before.predicted!.gradientStd });
        assert.equal(b.attention, null);
      });
    }
  });

  test('a block at the network input has no input gradient; a finding marks the block of its layer', () => {
    const report = analyze(readRepoFile('examples', 'residual-kaiming.net.json'), { mode: 'analytic' });
    const group = onlyGroup(report);
    assert.equal(group.blocks[0].firstLayer, 0);
    assert.deepEqual(group.blocks[0].gradientStd, { sampled: null, predicted: null });
    const growth = report.findings.find((f) => f.code === 'residual-variance-growth')!;
    const holding = group.blocks.filter((b) => b.firstLayer <= growth.layer! && growth.layer! <= b.lastLayer);
    assert.equal(holding.length, 1);
    assert.equal(holding[0].severity, 'warning');
    assert.deepEqual(holding[0].findings, ['residual-variance-growth']);
    assert.ok(group.blocks.filter((b) => b !== holding[0]).every((b) => b.severity === null));
  });

  test('blocks: false (the editor\'s warnings) skips the grouping', () => {
    assert.deepEqual(analyze(residualMlp(5), { mode: 'analytic', blocks: false }).blocks, []);
    assert.equal(analyze(residualMlp(5), { mode: 'analytic' }).blocks[0].blocks.length, 5);
  });

  test('a stack of single layers is not grouped (a block has at least two rows)', () => {
    for (const file of ['tanh-0.01-randn.net.json', 'kaiming-relu.net.json']) {
      assert.deepEqual(analyze(readRepoFile('examples', file), { mode: 'analytic' }).blocks, [], file);
    }
  });

  test("Hugging Face GPT-2 small is 12 blocks h.0 … h.11 of 7 rows: ln_1, attn, the residual, ln_2, c_fc, c_proj, the residual", () => {
    const report = analyze(fixture('gpt2-small.config.json'), { mode: 'analytic' });
    const group = onlyGroup(report);
    assert.equal(group.pattern, 'residual(layernorm, attention) + residual(layernorm, dense, dense)');
    assert.deepEqual(group.blocks.map((b) => b.name), Array.from({ length: 12 }, (_, i) => `h.${i}`));
    assert.deepEqual(report.layers.slice(group.blocks[3].firstLayer, group.blocks[3].lastLayer + 1).map((l) => l.name),
      ['h.*.ln_1', 'h.*.attn', 'h.* attention block', 'h.*.ln_2', 'h.*.mlp.c_fc', 'h.*.mlp.c_proj', 'h.* MLP block']);
    // Between the blocks: wte, wpe before; ln_f and the head after.
    assert.equal(group.blocks[0].firstLayer, 2);
    assert.equal(group.blocks[11].lastLayer, report.layers.length - 3);
    for (const b of group.blocks) assert.equal(b.attention!.predictedLogitStd, report.layers[b.firstLayer + 1].attention!.predictedLogitStd);
  });

  test('an imported model written one block at a time (GPT-2 scaled by the inverse layer index) is grouped the same, by its own names', () => {
    const report = analyze(tinyGpt2(5, { scale_attn_by_inverse_layer_idx: true }), { mode: 'analytic' });
    const group = onlyGroup(report);
    assert.deepEqual(group.blocks.map((b) => b.name), ['h.0', 'h.1', 'h.2', 'h.3', 'h.4']);
    assert.equal(report.layers[group.blocks[2].firstLayer].name, 'h.2.ln_1');
  });

  test('Llama-3-8B (32 layers, analytic) is 32 blocks of the attention and MLP residual pair', () => {
    const report = analyze(fixture('llama-3-8b.config.json'), { mode: 'analytic' });
    const group = onlyGroup(report);
    assert.equal(group.pattern, 'residual(rmsnorm, attention) + residual(rmsnorm, gated_mlp)');
    assert.equal(group.blocks.length, 32);
    assert.equal(group.blocks[31].name, 'layers.31');
    assert.equal(group.layersPerBlock, 6);
  });

  test('a post-LN block (BERT) is its attention residual, norm, MLP residual and norm, not shifted onto the embeddings\' norm', () => {
    const report = analyze(fixture('bert-base.config.json'), { mode: 'analytic' });
    const group = onlyGroup(report);
    assert.equal(group.blocks.length, 12);
    assert.equal(group.pattern, 'residual(attention) + layernorm + residual(dense, dense) + layernorm');
    assert.deepEqual(group.blocks.map((b) => b.name), Array.from({ length: 12 }, (_, i) => `layer.${i}`));
    assert.equal(report.layers[group.blocks[0].lastLayer].type, 'layernorm');
  });

  test('T5: the encoder\'s blocks and the decoder\'s are two groups; a decoder block\'s entropy is its lowest of self- and cross-attention', () => {
    const report = analyze(fixture('tiny-t5.config.json'), { mode: 'sampled' });
    assert.deepEqual(report.blocks.map((g) => [g.pattern, g.blocks.length]), [
      ['residual(rmsnorm, attention) + residual(rmsnorm, gated_mlp)', 2],
      ['residual(rmsnorm, attention) + residual(rmsnorm, cross_attention) + residual(rmsnorm, gated_mlp)', 2],
    ]);
    for (const b of report.blocks[1].blocks) {
      const rows = report.layers.slice(b.firstLayer, b.lastLayer + 1).filter((l) => l.attention);
      assert.equal(rows.length, 2);
      assert.equal(b.attention!.entropy, Math.min(...rows.map((l) => l.attention!.entropy!)));
      assert.equal(b.attention!.logitStd, Math.max(...rows.map((l) => l.attention!.logitStd!)));
    }
  });

  test('a sampled transformer\'s blocks carry the sampled stream std beside the predicted one', () => {
    const report = analyze(tinyGpt2(4), { mode: 'both' });
    const group = onlyGroup(report);
    assert.equal(group.blocks.length, 4);
    for (const b of group.blocks) {
      assert.ok(b.outputStd.sampled! > 0 && b.outputStd.predicted! > 0);
      assert.ok(b.attention!.entropy! > 0 && b.attention!.entropy! <= 1);
      assert.ok(b.gradientStd.sampled! > 0);
    }
  });
});
