import * as assert from 'node:assert/strict';
import { analyze } from '../../src/engine';
import { panelReport } from '../../src/protocol/panelProtocol';
import { attentionOf, blockKey, chartRows, fractions, gradientStd, hasBlockView, histogramLayers, outputStd, rowLabel, rowTitle, viewRows } from '../../webview/blockView';
import { shownReport } from '../../webview/pendingReport';
import { fixture } from '../engine/import/hfFixtures';

/** A residual MLP of `blocks` blocks (a repeat), between a first and a last dense layer. */
function residualMlp(blocks: number): string {
  return JSON.stringify({ input: { shape: [16] }, batch_size: 8, layers: [
    { type: 'dense', units: 16, activation: 'tanh', init: 'xavier_normal' },
    { type: 'repeat', times: blocks, layers: [{ type: 'residual', layers: [
      { type: 'dense', units: 16, activation: 'tanh', init: { scheme: 'normal', std: 0.6 } }, { type: 'dense', units: 16, init: 'xavier_normal' },
    ] }] },
    { type: 'dense', units: 4 },
  ] });
}

const none = new Set<string>();

suite('the panel\'s block view (webview/blockView.ts)', () => {
  const llama = panelReport(analyze(fixture('llama-3-8b.config.json'), { mode: 'analytic' }), 1);

  test('a 32-block model is one row per block between the layers outside them; all layers when not grouped', () => {
    assert.ok(hasBlockView(llama.blocks));
    const rows = viewRows(llama.layers, llama.blocks, { grouped: true, expanded: none });
    assert.equal(rows.length, llama.layers.length - 32 * 6 + 32);
    assert.deepEqual(rows.map((r) => rowLabel(r)), ['embed_tokens', ...Array.from({ length: 32 }, (_, i) => `layers.${i}`), 'norm', 'lm_head']);
    // embed_tokens is layer 1 (index 0): block 3 is indexes 19 to 24, layers 20 to 25 as the panel numbers them.
    assert.equal(rowTitle(rows[4]), 'layers.3: layers 20–25 (6 layers)');
    const all = viewRows(llama.layers, llama.blocks, { grouped: false, expanded: none });
    assert.deepEqual(all.map((r) => (r.kind === 'layer' ? r.layer.index : -1)), llama.layers.map((l) => l.index));
    assert.deepEqual(all.slice(0, 3).map((r) => rowLabel(r, false)), ['1', '2', '3']);
  });

  test('an expanded block is followed by its layers in the table; the charts plot those layers instead of the block', () => {
    const block = llama.blocks[0].blocks[5];
    const rows = viewRows(llama.layers, llama.blocks, { grouped: true, expanded: new Set([blockKey(block)]) });
    const at = rows.findIndex((r) => r.kind === 'block' && r.block === block);
    assert.equal(rows[at].kind === 'block' && rows[at].expanded, true);
    const inner = rows.slice(at + 1, at + 7);
    assert.deepEqual(inner.map((r) => (r.kind === 'layer' ? [r.layer.index, r.block] : null)),
      Array.from({ length: 6 }, (_, i) => [block.firstLayer + i, block]));
    const points = chartRows(rows);
    assert.equal(points.length, rows.length - 1);
    assert.ok(!points.includes(rows[at]));
    // Its layers are named as the copy they are: the imported repeat's `*` is the block's number.
    assert.deepEqual(points.slice(at, at + 6).map(rowTitle), ['input_layernorm (rmsnorm)', 'self_attn (attention)', ' attention block (residual)',
      'post_attention_layernorm (rmsnorm)', 'mlp (gated_mlp)', ' MLP block (residual)'].map((n, i) => `${block.firstLayer + i + 1}: layers.5${n.startsWith(' ') ? '' : '.'}${n}`));
    assert.equal(rowLabel(points[at]), 'layers.5.input_…');
  });

  test('a block\'s point is its stream std at the output, its gradient at the input, its worst layer\'s fractions and least uniform attention', () => {
    const report = panelReport(analyze(residualMlp(6), { mode: 'both' }), 1);
    const rows = viewRows(report.layers, report.blocks, { grouped: true, expanded: none });
    assert.deepEqual(rows.map((r) => rowLabel(r)), ['dense', '0', '1', '2', '3', '4', '5', 'dense']);
    for (const row of rows) {
      if (row.kind !== 'block') continue;
      const last = report.layers[row.block.lastLayer];
      const before = report.layers[row.block.firstLayer - 1];
      assert.deepEqual(outputStd(row), { sampled: last.activation!.std, predicted: last.predicted!.activationStd });
      assert.deepEqual(gradientStd(row), { sampled: before.gradient!.std, predicted: before.predicted!.gradientStd });
      const saturated = Math.max(...row.layers.map((l) => l.activation!.saturatedFraction));
      assert.equal(fractions(row, true).saturated, saturated);
      assert.equal(attentionOf(row), null);
    }
    // The tanh branches with std 0.6 saturate: the view keeps the worst layer's fraction, not the block output's.
    assert.ok(rows.some((r) => r.kind === 'block' && fractions(r, true).saturated > (report.layers[r.block.lastLayer].activation!.saturatedFraction)));
    assert.deepEqual(histogramLayers(rows).map((l) => l.index), [0, 3, 6, 9, 12, 15, 18, 19]);
  });

  test('fewer than four blocks are shown as layers', () => {
    const report = panelReport(analyze(residualMlp(3), { mode: 'analytic' }), 1);
    assert.equal(report.blocks[0].blocks.length, 3);
    assert.equal(hasBlockView(report.blocks), false);
    assert.equal(viewRows(report.layers, report.blocks, { grouped: true, expanded: none }).length, report.layers.length);
  });

  test('while a what-if\'s run is pending, the blocks keep the previous run\'s samples beside the new prediction', () => {
    const last = panelReport(analyze(residualMlp(5), { mode: 'both' }), 1);
    const prediction = panelReport(analyze(residualMlp(5), { mode: 'analytic', whatIf: { target: 'all', scheme: 'keep', multiplier: 2 } }), 1);
    const shown = shownReport(last, prediction)!;
    shown.report.blocks[0].blocks.forEach((b, k) => {
      assert.equal(b.outputStd.sampled, last.blocks[0].blocks[k].outputStd.sampled);
      assert.equal(b.outputStd.predicted, prediction.blocks[0].blocks[k].outputStd.predicted);
      assert.equal(b.gradientStd.sampled, last.blocks[0].blocks[k].gradientStd.sampled);
    });
    assert.notEqual(shown.report.blocks[0].blocks[2].outputStd.predicted, last.blocks[0].blocks[2].outputStd.predicted);
  });
});
