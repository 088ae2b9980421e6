import * as assert from 'node:assert/strict';
import { menuLabels, openExplorerMenu, type UiTest } from './uiTest';

export const tests: UiTest[] = [
  {
    name: 'right-clicking a network description in the Explorer offers "Analyze Network"',
    async run({ page, screenshot }) {
      await openExplorerMenu(page, 'small-cnn.net.json', 'Analyze Network');
      await screenshot('explorer-menu-network');
      assert.ok((await menuLabels(page)).includes('Analyze Network'));
      await page.keyboard.press('Escape');
    },
  },
  {
    name: 'a JSON file that is not a network (package.json) gets no entry',
    async run({ page, screenshot }) {
      await openExplorerMenu(page, 'package.json', 'Copy Path');
      const labels = await menuLabels(page);
      await screenshot('explorer-menu-package-json');
      await page.keyboard.press('Escape');
      assert.ok(labels.includes('Copy Path'), `the menu is the Explorer's: ${labels.join(', ')}`);
      assert.ok(!labels.includes('Analyze Network'), `menu of package.json: ${labels.join(', ')}`);
    },
  },
];
