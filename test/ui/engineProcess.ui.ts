import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../repo';
import { openPanelFromExplorer, type UiTest } from './uiTest';

/** The ids of the running engine processes of this tree's extension (their command line names its engineProcess.js). */
function engineProcesses(): number[] {
  const entry = path.join(ROOT, 'dist', 'engineProcess.js');
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(entry);
    } catch {
      return false; // ended meanwhile
    }
  }).map(Number);
}

export const tests: UiTest[] = [
  {
    name: 'the engine killed mid-run (SIGKILL) shows an error in the panel, and Re-run starts a fresh engine process',
    async run({ page, screenshot }) {
      const frame = await openPanelFromExplorer(page, 'deep-wide.net.json');
      await frame.locator('#progress-text').filter({ hasText: /Running the sampled pass… [1-9]\d?%/ }).waitFor({ timeout: 30000 });
      const killed = engineProcesses();
      assert.ok(killed.length > 0, 'an engine process runs the analysis');
      for (const pid of killed) process.kill(pid, 'SIGKILL');
      await frame.locator('#app[data-state="failed"]').waitFor({ timeout: 15000 });
      assert.match(await frame.locator('#status').textContent() ?? '', /Analysis stopped: the engine process stopped \(killed by SIGKILL\)/);
      await page.keyboard.press('Control+B');
      await page.waitForTimeout(1200);
      await screenshot('panel-engine-killed');
      await page.keyboard.press('Control+B');
      // The workbench and its extension host are untouched: Re-run gets a new engine, which finishes the run.
      await frame.locator('#rerun').click();
      await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 120000 });
      const fresh = engineProcesses();
      assert.ok(fresh.length > 0 && fresh.every((pid) => !killed.includes(pid)), `engines before ${killed}, after ${fresh}`);
    },
  },
];
