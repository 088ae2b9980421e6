import * as assert from 'node:assert/strict';
import { chartSeries, openPanelFromExplorer, type UiTest } from './uiTest';

export const tests: UiTest[] = [
  {
    name: 'a network past the default budget: the panel shows the refusal with its estimate and a Run anyway button, which runs the sampled pass with progress',
    async run({ page, screenshot }) {
      const frame = await openPanelFromExplorer(page, 'past-budget.net.json');
      await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 120000 });
      const banner = frame.locator('#banner');
      await banner.waitFor({ state: 'visible', timeout: 30000 });
      assert.match(await banner.innerText(), /sampled run refused: it would need 17\.\d\d GFLOP per forward pass \(budget 8\.00\)/);
      const run = frame.locator('#run-past-budget');
      assert.match(await run.innerText(), /Run anyway \(17 GFLOP, 0\.\d\d GiB\)/);
      let series = await chartSeries(frame);
      assert.ok((series.sampled ?? []).every((v: number | null) => v === null), 'no sampled statistics before Run anyway');
      await screenshot('past-budget-refused');
      await run.click();
      // The sampled pass: its result replaces the refusal.
      await banner.waitFor({ state: 'hidden', timeout: 120000 });
      await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 120000 });
      await frame.locator('#chart-std[data-ready="true"]').waitFor({ timeout: 10000 });
      series = await chartSeries(frame);
      assert.equal(series.sampled.length, 2);
      assert.ok(series.sampled.every((v: number | null) => typeof v === 'number' && v > 0.3 && v < 1), JSON.stringify(series.sampled));
      await screenshot('past-budget-run');
    },
  },
];
