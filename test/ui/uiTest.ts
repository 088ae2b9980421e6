import type { FrameLocator, Page } from 'playwright-core';

/** What a user-level test gets: the workbench page (the extension loaded) and a way to save screenshots. */
export interface UiContext {
  page: Page;
  /** Saves test-results/<name>.png. */
  screenshot(name: string): Promise<void>;
}

export interface UiTest {
  name: string;
  run(ctx: UiContext): Promise<void>;
}

/**
 * Right-clicks an Explorer entry until its context menu is open and settled; the first menus after load can miss
 * the entries of extensions still being registered, so it retries until `until` is visible or the deadline passes.
 */
export async function openExplorerMenu(page: Page, file: string, until: string, deadlineMs = 30000): Promise<void> {
  const row = page.getByRole('treeitem', { name: file, exact: true });
  await row.waitFor({ timeout: 60000 });
  const end = Date.now() + deadlineMs;
  await page.keyboard.press('Escape');
  for (;;) {
    await row.click({ button: 'right' });
    try {
      // A menu item's accessible name may end with its keybinding ("Copy Path Ctrl+Alt+C").
      await page.getByRole('menuitem', { name: new RegExp(`^${until.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`) }).first().waitFor({ timeout: 2000 });
      await page.waitForTimeout(400); // let the menu finish fading in before anyone takes a picture
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
}

/** The visible labels of the open context menu. */
export async function menuLabels(page: Page): Promise<string[]> {
  const labels = await page.locator('.monaco-menu .action-label').allInnerTexts();
  return labels.map((l) => l.trim()).filter(Boolean);
}

/** Moves keyboard focus from a webview back to the workbench (an empty spot of the Explorer), so F1 and shortcuts reach it. */
export async function focusWorkbench(page: Page): Promise<void> {
  await page.locator('.explorer-folders-view').click({ position: { x: 60, y: 420 } });
  await page.keyboard.press('Escape');
}

/** Runs a command from the command palette by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await focusWorkbench(page);
  await page.keyboard.press('F1');
  await page.keyboard.type(title);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 5000 });
  await page.waitForTimeout(200);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(200);
}

/**
 * Opens the command palette (F1), types `title` and clicks the command's own row (under load the list may still show
 * another match when Enter would land). A command an extension contributes may not be listed yet while the window is
 * still loading, and the open palette does not list it later: the palette is closed and opened again, every 10 s, until
 * `timeout` ms have passed.
 */
export async function pickCommand(page: Page, title: string, timeout = 30000): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  const end = Date.now() + timeout;
  for (;;) {
    await page.keyboard.press('F1');
    await page.keyboard.type(title);
    try {
      await row.click({ timeout: Math.max(1000, Math.min(10000, end - Date.now())) });
      break;
    } catch (err) {
      if (Date.now() >= end) throw err;
      await page.keyboard.press('Escape');
    }
  }
  await page.waitForTimeout(200);
}

/**
 * Runs a command from the command palette by its title without first clicking in the workbench (which may be in any
 * state): the focus leaves whatever had it (a webview, an editor, a menu), then the palette (`pickCommand`).
 */
async function paletteCommand(page: Page, title: string): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('Escape');
  await pickCommand(page, title);
}

/**
 * Brings the workbench to the state every user-level test starts from, whatever the test before it left (a failed
 * test stops half-way): no menu or dialog open, no unsaved edit (reverted), the dark theme, no editor or bottom panel
 * open (so no analysis panel, and no what-if), the side bar shown with the Explorer.
 */
export async function resetWorkbench(page: Page): Promise<void> {
  await page.mouse.up().catch(() => {}); // a test that failed mid-drag left the button down
  for (let i = 0; i < 3; i++) await page.keyboard.press('Escape');
  const dialog = page.locator('.monaco-dialog-box');
  if (await dialog.isVisible()) await dialog.getByRole('button', { name: /Don't Save|Cancel|OK/ }).first().click();
  for (let i = 0; i < 10 && await page.locator('.tab.dirty').count() > 0; i++) {
    await page.locator('.tab.dirty').first().click();
    await paletteCommand(page, 'File: Revert File');
  }
  if (!await page.locator('.monaco-workbench.vs-dark').isVisible()) await paletteCommand(page, 'Preferences: Toggle between Light/Dark Themes');
  if (!await page.locator('.explorer-folders-view').isVisible()) await paletteCommand(page, 'View: Show Explorer');
  if (await page.locator('.tab').count() > 0) await paletteCommand(page, 'View: Close All Editors');
  if (await page.locator('.part.panel').isVisible()) await paletteCommand(page, 'View: Close Panel');
  await page.locator('.explorer-folders-view').waitFor({ timeout: 30000 });
  await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 10000 });
  await page.locator('.tab').first().waitFor({ state: 'detached', timeout: 10000 });
}

/** The analysis panel's document: the webview's outer iframe hosts an inner iframe with our HTML. */
export function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

/**
 * Opens the analysis panel on an Explorer entry as a user does (right-click → Analyze Network), from a workbench with
 * no editor and no bottom panel open; returns the panel's document at once (a test may watch the run in progress).
 */
export async function openPanelFromExplorer(page: Page, file: string): Promise<FrameLocator> {
  await runCommand(page, 'View: Close All Editors');
  // With no panel open, the palette's first match for "Close Panel" is another command: only close one that is there.
  if (await page.locator('.part.panel').isVisible()) await runCommand(page, 'View: Close Panel');
  await openExplorerMenu(page, file, 'Analyze Network');
  await page.getByRole('menuitem', { name: 'Analyze Network', exact: true }).click();
  return panelFrame(page);
}

/** `openPanelFromExplorer`, then waits until the run's report is drawn (its charts ready). */
export async function analyzeFromExplorer(page: Page, file: string): Promise<FrameLocator> {
  const frame = await openPanelFromExplorer(page, file);
  await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 60000 });
  await frame.locator('#chart-std[data-ready="true"]').waitFor({ timeout: 10000 });
  return frame;
}

/** Screenshots the workbench with the side bar hidden, so the panel gets the whole width. */
export async function wideScreenshot(page: Page, screenshot: (name: string) => Promise<void>, name: string): Promise<void> {
  await page.keyboard.press('Control+B');
  await page.waitForTimeout(1200);
  await screenshot(name);
  await page.keyboard.press('Control+B');
  await page.waitForTimeout(300);
}

/** The values a panel chart draws (its `data-series` attribute): by series, one number per point. */
export async function chartSeries(frame: FrameLocator, chart: 'std' | 'attention' = 'std'): Promise<Record<string, number[]>> {
  return JSON.parse(await frame.locator(`#chart-${chart}`).getAttribute('data-series') ?? '{}') as Record<string, number[]>;
}
