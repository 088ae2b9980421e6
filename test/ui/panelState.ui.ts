import * as assert from 'node:assert/strict';
import { openPanelFromExplorer, panelFrame, runCommand, type UiTest } from './uiTest';

export const tests: UiTest[] = [
  {
    name: 'a run longer than half a second shows progress and can be cancelled',
    async run({ page, screenshot }) {
      const frame = await openPanelFromExplorer(page, 'deep-wide.net.json');
      await frame.locator('#progress:not([hidden])').waitFor({ timeout: 15000 });
      await frame.locator('#progress-text').filter({ hasText: /Running the sampled pass… [1-9]\d?%/ }).waitFor({ timeout: 15000 });
      await screenshot('panel-progress');
      await frame.locator('#cancel').click();
      await frame.locator('#status').filter({ hasText: 'cancelled' }).waitFor({ timeout: 10000 });
      assert.equal(await frame.locator('#progress').getAttribute('hidden'), '');
    },
  },
  {
    name: 'the panel keeps its what-if when hidden and shown again, and after a reload',
    async run({ page }) {
      let frame = await openPanelFromExplorer(page, 'residual-zero-last.net.json');
      await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 30000 });
      const field = frame.locator('#whatif-multiplier input');
      await field.click({ clickCount: 3 });
      await page.keyboard.type('0.5');
      await page.keyboard.press('Enter');
      await frame.locator('#app[data-whatif*="0.5"][data-state="ready"]').waitFor({ timeout: 30000 });
      // Hide the panel behind another editor in its group (its webview is destroyed), then show it again.
      await page.getByRole('treeitem', { name: 'package.json', exact: true }).dblclick();
      await page.locator('.tab').filter({ hasText: 'Init: residual-zero-last.net.json' }).click();
      frame = panelFrame(page);
      await frame.locator('#app[data-whatif*="0.5"][data-state="ready"]').waitFor({ timeout: 30000 });
      assert.equal(await frame.locator('#whatif-multiplier').getAttribute('current-value') ?? await frame.locator('#whatif-multiplier input').inputValue(), '0.5');
      // Reload the window (as a user does, so that the workbench saves its state): the serializer restores the panel.
      await runCommand(page, 'Developer: Reload Window');
      await page.waitForLoadState('load');
      await page.locator('.tab').filter({ hasText: 'Init: residual-zero-last.net.json' }).first().waitFor({ timeout: 60000 });
      await page.locator('.tab').filter({ hasText: 'Init: residual-zero-last.net.json' }).first().click();
      frame = panelFrame(page);
      await frame.locator('#app[data-whatif*="0.5"][data-state="ready"]').waitFor({ timeout: 60000 });
    },
  },
];
