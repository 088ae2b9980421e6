import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import type { FrameLocator, Page } from 'playwright-core';
import { analyzeFromExplorer, chartSeries, type UiTest } from './uiTest';

/** The panel's numbers for the last draw (data-* of #app and the output-std chart). */
async function drawn(frame: FrameLocator): Promise<{ view: string; rows: number; points: number; labels: string[]; drawMs: number; paintMs: number; parts: string }> {
  const app = frame.locator('#app');
  const chart = frame.locator('#chart-std');
  return {
    view: await app.getAttribute('data-view') ?? '',
    rows: Number(await app.getAttribute('data-view-rows')),
    points: Number(await chart.getAttribute('data-points')),
    labels: JSON.parse(await chart.getAttribute('data-labels') ?? '[]'),
    drawMs: Number(await app.getAttribute('data-draw-ms')),
    paintMs: Number(await app.getAttribute('data-paint-ms')),
    parts: await app.getAttribute('data-draw-parts') ?? '',
  };
}

/** The machine's 1-minute load average, beside the timings (2 cores shared with other work). */
function loadAverage(): string {
  return os.loadavg()[0].toFixed(1);
}

/** Hides the side bar (the panel gets the whole width), runs `body`, then shows it again. */
async function wide(page: Page, body: () => Promise<void>): Promise<void> {
  await page.keyboard.press('Control+B');
  await page.waitForTimeout(1200);
  try {
    await body();
  } finally {
    await page.keyboard.press('Control+B');
    await page.waitForTimeout(300);
  }
}

export const tests: UiTest[] = [
  {
    // test/fixtures/llama-32-blocks.config.json: Llama-shaped (pre-RMSNorm, grouped-query attention, SwiGLU), 64 wide,
    // 32 blocks: 195 layers, sampled. llama-64-blocks: the same with 64 blocks, 387 layers.
    name: 'a 32-block Llama: one point and row per block, a block expands to its layers, and all layers on demand',
    async run({ page, screenshot }) {
      const frame = await analyzeFromExplorer(page, 'llama-32-blocks.config.json');
      await frame.locator('#app[data-view="blocks"]').waitFor({ timeout: 10000 });
      const blocks = await drawn(frame);
      // embed_tokens, the 32 blocks, norm, lm_head.
      assert.equal(blocks.points, 35);
      assert.deepEqual(blocks.labels.slice(1, 33), Array.from({ length: 32 }, (_, i) => `layers.${i}`));
      assert.equal(await frame.locator('#layers tr.block-row').count(), 32);
      const series = await chartSeries(frame);
      assert.ok(series.sampled.every((v: number | null) => v !== null && v > 0), 'every block has its sampled stream std');
      assert.equal((await chartSeries(frame, 'attention')).entropy.length, 32);
      assert.match(await frame.locator('#block-summary').innerText(), /32 blocks of 6 layers \(residual\(rmsnorm, attention\) \+ residual\(rmsnorm, gated_mlp\)\)/);

      const colours = await frame.locator('body').evaluate(() => ['--vscode-charts-orange', '--vscode-charts-blue', '--vscode-charts-green']
        .map((name) => `${name}: ${getComputedStyle(document.body).getPropertyValue(name)}`).join(', '));
      console.log(`      (theme: ${colours})`);
      await wide(page, async () => {
        await screenshot('blocks-llama32-charts');
        // Block 5 expanded: its row, then its 6 layers; the charts plot those 6 instead of its point.
        const toggle = frame.locator('#layers tr.block-row', { hasText: 'layers.5' }).locator('button.block-toggle');
        await toggle.click();
        await frame.locator('#layers tr.block-row[data-expanded="true"]').waitFor({ timeout: 10000 });
        assert.equal(await frame.locator('#layers tr.in-block').count(), 6);
        assert.equal((await drawn(frame)).points, 35 - 1 + 6);
        await frame.locator('#layers tr.block-row[data-expanded="true"]').scrollIntoViewIfNeeded();
        await page.waitForTimeout(400);
        await screenshot('blocks-llama32-expanded');
        await frame.locator('#charts').scrollIntoViewIfNeeded();
        await page.waitForTimeout(400);
        await screenshot('blocks-llama32-expanded-charts');
        const viewDrawMs = Number(await frame.locator('#app').getAttribute('data-view-draw-ms'));

        await frame.locator('#view-toggle').click();
        await frame.locator('#app[data-view="layers"]').waitFor({ timeout: 10000 });
        const layers = await drawn(frame);
        assert.equal(layers.points, 195);
        const allDrawMs = Number(await frame.locator('#app').getAttribute('data-view-draw-ms'));
        const allParts = await frame.locator('#app').getAttribute('data-draw-parts');
        await screenshot('blocks-llama32-all-layers');
        console.log(`      (32-block Llama, 195 layers, sampled: report arrival to charts and table drawn ${blocks.drawMs} ms, ` +
          `to the next frame ${blocks.paintMs} ms, in the block view (ms per part: ${blocks.parts}); expanding a block redrew in ${viewDrawMs} ms, ` +
          `all 195 layers in ${allDrawMs} ms (${allParts}); load average ${loadAverage()})`);
      });

      // 64 blocks, 387 layers: the same panel stays quick in both views.
      const deep = await analyzeFromExplorer(page, 'llama-64-blocks.config.json');
      await deep.locator('#app[data-view="blocks"]').waitFor({ timeout: 10000 });
      const deepBlocks = await drawn(deep);
      assert.equal(deepBlocks.points, 67);
      await deep.locator('#view-toggle').click();
      await deep.locator('#app[data-view="layers"]').waitFor({ timeout: 10000 });
      const deepLayers = await drawn(deep);
      assert.equal(deepLayers.points, 387);
      const deepAllMs = Number(await deep.locator('#app').getAttribute('data-view-draw-ms'));
      const deepAllParts = await deep.locator('#app').getAttribute('data-draw-parts');
      await wide(page, () => screenshot('blocks-llama64-all-layers'));
      console.log(`      (64-block Llama, 387 layers, sampled: report arrival to charts and table drawn ${deepBlocks.drawMs} ms ` +
        `(next frame ${deepBlocks.paintMs} ms; ${deepBlocks.parts}) in the block view; switching to all 387 layers redrew in ${deepAllMs} ms ` +
        `(${deepAllParts}); load average ${loadAverage()})`);
    },
  },
];
