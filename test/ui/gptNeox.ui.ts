import * as assert from 'node:assert/strict';
import { analyzeFromExplorer, chartSeries, type UiTest, wideScreenshot } from './uiTest';

export const tests: UiTest[] = [
  {
    // The workspace's pythia-normal-init.yml is the project's Pythia-70M GPT-NeoX YAML with "init_method": "normal" at
    // "init-method-std": 0.1 (test/fixtures/gptNeox/pythia-70m-normal-init.yml).
    name: 'right-clicking a GPT-NeoX YAML config offers Analyze Network; its panel shows the findings, a finding selects its YAML key, and the editor title offers Analyze Network',
    async run({ page, screenshot }) {
      const frame = await analyzeFromExplorer(page, 'pythia-normal-init.yml');
      const series = await chartSeries(frame);
      // The block view: word_embeddings, one point per block (6 blocks of 6 layers: input_layernorm, attention,
      // post_attention_layernorm, dense_h_to_4h, dense_4h_to_h, the parallel residual), the final norm, final_linear.
      assert.equal(series.predicted.length, 1 + 6 + 2);
      assert.ok(series.sampled.every((v: number) => Number.isFinite(v)), 'the sampled run drew every layer');
      const codes = await frame.locator('#findings').getAttribute('data-codes') ?? '';
      for (const code of ['attention-entropy-collapse', 'output-loss-above-uniform', 'residual-stream-growth']) assert.match(codes, new RegExp(code));
      await wideScreenshot(page, screenshot, 'panel-neox-yaml');
      await frame.locator('#findings').scrollIntoViewIfNeeded();
      await wideScreenshot(page, screenshot, 'panel-neox-yaml-findings');
      // The attention finding sits on `"init_method": "normal"` (line 18, 23 characters): clicking it selects the entry.
      await frame.locator('.finding[data-code="attention-entropy-collapse"]').click();
      await page.locator('.statusbar').getByText(/Ln 18, Col \d+ \(23 selected\)/).waitFor({ timeout: 10000 });
      await page.locator('.editor-actions .action-label[aria-label^="Analyze Network"]').first().waitFor({ timeout: 10000 });
      await screenshot('panel-neox-yaml-reveal');
    },
  },
];
