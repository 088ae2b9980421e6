import * as assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import { openExplorerMenu, type UiTest } from './uiTest';

/** The analysis panel's document: the webview's outer iframe hosts an inner iframe with our HTML. */
function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

async function analyzeFromExplorer(page: Page, file: string): Promise<FrameLocator> {
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'View: Close Panel');
  await openExplorerMenu(page, file, 'Analyze Network');
  await page.getByRole('menuitem', { name: 'Analyze Network', exact: true }).click();
  const frame = panelFrame(page);
  await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 60000 });
  await frame.locator('#chart-std[data-ready="true"]').waitFor({ timeout: 10000 });
  return frame;
}

export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await page.keyboard.type(title);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 5000 });
  await page.waitForTimeout(200);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(200);
}

/** Screenshots the workbench with the side bar hidden, so the panel gets the whole width. */
async function wideScreenshot(page: Page, screenshot: (name: string) => Promise<void>, name: string): Promise<void> {
  await page.keyboard.press('Control+B');
  await page.waitForTimeout(1200);
  await screenshot(name);
  await page.keyboard.press('Control+B');
  await page.waitForTimeout(300);
}

export const tests: UiTest[] = [
  {
    name: 'right-click → Analyze Network opens the panel and draws every chart (dark and light themes)',
    async run({ page, screenshot }) {
      for (const file of ['tanh-0.01-randn.net.json', 'tanh-0.05-randn.net.json', 'kaiming-relu.net.json']) {
        const frame = await analyzeFromExplorer(page, file);
        const series = JSON.parse(await frame.locator('#chart-std').getAttribute('data-series') ?? '{}');
        assert.equal(series.sampled.length, 6);
        assert.equal(series.predicted.length, 6);
        assert.equal(await frame.locator('#histograms canvas[data-ready="true"]').count(), 6);
        await wideScreenshot(page, screenshot, `panel-dark-${file.replace('.net.json', '')}`);
        if (file.startsWith('tanh-0.01')) {
          await frame.locator('#histograms').scrollIntoViewIfNeeded();
          await wideScreenshot(page, screenshot, 'panel-dark-tanh-0.01-randn-histograms');
        }
      }
      await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
      await page.waitForTimeout(1000);
      for (const file of ['tanh-0.01-randn.net.json', 'tanh-0.05-randn.net.json', 'kaiming-relu.net.json']) {
        await analyzeFromExplorer(page, file);
        await wideScreenshot(page, screenshot, `panel-light-${file.replace('.net.json', '')}`);
      }
      await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
    },
  },
];
