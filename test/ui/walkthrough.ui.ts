import * as assert from 'node:assert/strict';
import { panelFrame, runCommand, type UiTest } from './uiTest';

export const tests: UiTest[] = [
  {
    name: 'the walkthrough opens from the command palette and a step\'s button opens its example and panel',
    async run({ page, screenshot }) {
      await runCommand(page, 'Init Inspector: Open Demo Walkthrough');
      await page.getByText('Weight initialization, step by step').first().waitFor({ timeout: 15000 });
      await page.getByText('2. Small random init').first().click();
      await page.getByText('Small random weights break the symmetry').first().waitFor({ timeout: 10000 });
      await page.waitForTimeout(800);
      await screenshot('walkthrough');
      await page.getByRole('button', { name: 'Open the example and its analysis' }).first().click();
      const frame = panelFrame(page);
      await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 60000 });
      assert.match(await frame.locator('#title').innerText(), /tanh-0\.01-randn\.net\.json/);
      await screenshot('walkthrough-step-panel');
    },
  },
];
