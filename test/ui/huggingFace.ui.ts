import * as assert from 'node:assert/strict';
import { analyzeFromExplorer, chartSeries, type UiTest, wideScreenshot } from './uiTest';

export const tests: UiTest[] = [
  {
    // The workspace's config.json is the project's tiny GPT-2 with initializer_range 0.2 (ten times GPT-2's).
    name: 'right-clicking a Hugging Face config.json offers Analyze Network; its panel shows the findings, and a finding selects its config key',
    async run({ page, screenshot }) {
      const frame = await analyzeFromExplorer(page, 'config.json');
      const series = await chartSeries(frame);
      // wte, wpe, 2 blocks of 7 layers (ln_1, attn, its residual, ln_2, c_fc, c_proj, its residual), ln_f, lm_head.
      assert.equal(series.predicted.length, 18);
      assert.ok(series.sampled.every((v: number) => Number.isFinite(v)), 'the sampled run drew every layer');
      const codes = await frame.locator('#findings').getAttribute('data-codes') ?? '';
      for (const code of ['attention-entropy-collapse', 'output-loss-above-uniform', 'residual-stream-growth']) assert.match(codes, new RegExp(code));
      await wideScreenshot(page, screenshot, 'panel-hf-config');
      await frame.locator('#findings').scrollIntoViewIfNeeded();
      await wideScreenshot(page, screenshot, 'panel-hf-config-findings');
      // The output-loss finding sits on "initializer_range": 0.2 (line 11 of the file): clicking it selects the value.
      await frame.locator('.finding[data-code="output-loss-above-uniform"]').click();
      await page.locator('.statusbar').getByText(/Ln 11, Col \d+ \(3 selected\)/).waitFor({ timeout: 10000 });
      await screenshot('panel-hf-config-reveal');
    },
  },
];
