import * as assert from 'node:assert/strict';
import { chartSeries, openPanelFromExplorer, type UiTest } from './uiTest';

export const tests: UiTest[] = [
  {
    name: 'a GPT-2-small-shaped stack: the panel charts its 12 blocks and, on demand, its 88 layers, names the residual-stream growth, and its table gives the attention logits, entropy and the loss at init',
    async run({ page, screenshot }) {
      const frame = await openPanelFromExplorer(page, 'gpt2-small-unscaled.net.json');
      await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 120000 });
      await frame.locator('#chart-std[data-ready="true"]').waitFor({ timeout: 10000 });
      // 12 blocks: one point each, between wte, wpe and ln_f, lm_head; all 88 layers on demand.
      await frame.locator('#app[data-view="blocks"]').waitFor({ timeout: 10000 });
      const series = await chartSeries(frame);
      assert.equal(series.sampled.length, 16);
      assert.match(await frame.locator('#layers tr.block-row').first().innerText(), /block 0.*warning/s, 'the residual-stream finding marks block 0');
      await page.keyboard.press('Control+B');
      await page.waitForTimeout(1200);
      await screenshot('transformer-blocks');
      await page.keyboard.press('Control+B');
      await frame.locator('#view-toggle').click();
      await frame.locator('#app[data-view="layers"]').waitFor({ timeout: 10000 });
      assert.equal((await chartSeries(frame)).sampled.length, 88);
      assert.match(await frame.locator('#findings').getAttribute('data-codes') ?? '', /residual-stream-growth/);
      const table = await frame.locator('#layers').innerText();
      assert.match(table, /logit std 0\.3\d* · entropy 0\.9\d*/);
      assert.match(table, /loss 10\.9\d · ln V 10\.82/);
      await page.keyboard.press('Control+B');
      await page.waitForTimeout(1200);
      await screenshot('transformer-panel');
      await frame.locator('#layers').locator('tr', { hasText: 'lm_head' }).scrollIntoViewIfNeeded();
      await page.waitForTimeout(500);
      await screenshot('transformer-table');
      await page.keyboard.press('Control+B');
    },
  },
];
