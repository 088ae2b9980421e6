import * as assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import type { UiTest } from './uiTest';

/**
 * Selects `text` in the editor with its find widget, as a user would: a click into the editor, Ctrl+F, the text,
 * Enter, Escape. On a loaded machine the Problems panel opened just before can keep the keyboard after the click, and
 * Ctrl+F then opens the panel's filter instead: until the editor's own find widget shows, Escape and click again.
 */
async function findInEditor(page: Page, editor: Locator, text: string, position?: { x: number; y: number }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await editor.click(position ? { position } : {});
    await page.keyboard.press('Control+F');
    try {
      await editor.locator('.find-widget.visible').waitFor({ timeout: 3000 });
      break;
    } catch (err) {
      if (attempt >= 4) throw err;
      await page.keyboard.press('Escape');
    }
  }
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
}

export const tests: UiTest[] = [
  {
    name: 'typing a bad std shows the warning in the Problems panel; the light bulb\'s fix removes it',
    async run({ page, screenshot }) {
      await page.keyboard.press('Escape');
      await page.getByRole('treeitem', { name: 'edit-me.net.json', exact: true }).click();
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await editor.locator('.view-lines').filter({ hasText: '0.0625' }).waitFor({ timeout: 30000 });
      // Select the std with the find widget, then type over it as a user would.
      await findInEditor(page, editor, '0.0625');
      await page.keyboard.type('0.01');
      await page.keyboard.press('Control+Shift+M');
      const rows = page.locator('.markers-panel .monaco-list-row');
      await rows.filter({ hasText: 'activations vanish' }).first().waitFor({ timeout: 15000 });
      const texts = (await rows.allInnerTexts()).join('\n');
      assert.match(texts, /output std falls from 0\.156 to 0\.0000164 over 6 layers \(×0\.16 per layer\)/);
      assert.match(texts, /vanishing-activations/);
      await editor.locator('.squiggly-warning').first().waitFor({ timeout: 5000 });
      await screenshot('diagnostics-problems-panel');

      // The cursor sits right after the typed number, on the squiggle: open the light bulb's menu.
      await findInEditor(page, editor, '0.01 }', { x: 5, y: 5 });
      const fix = page.getByText(/^Use xavier_normal: std 0\.0625/).first();
      for (let attempt = 1; ; attempt++) {
        await page.keyboard.press('Control+.');
        try {
          await fix.waitFor({ timeout: 3000 });
          break;
        } catch (err) {
          if (attempt >= 4) throw err;
          await page.keyboard.press('Escape');
        }
      }
      await screenshot('diagnostics-quick-fix-menu');
      await fix.click();
      await editor.locator('.view-lines').filter({ hasText: '"init": "xavier_normal"' }).waitFor({ timeout: 10000 });
      await page.locator('.markers-panel').getByText('No problems have been detected in the workspace.').waitFor({ timeout: 10000 });
      await screenshot('diagnostics-fixed');
      await page.keyboard.press('Control+S');
    },
  },
];
