import * as assert from 'node:assert/strict';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { chartSeries, openPanelFromExplorer, panelFrame, type UiTest } from './uiTest';

/** A counter the panel keeps on #app (predictions drawn, sampled runs started, runs whose report was drawn). */
async function counter(frame: FrameLocator, name: 'predictions-drawn' | 'runs-started' | 'runs-drawn'): Promise<number> {
  return Number(await frame.locator('#app').getAttribute(`data-${name}`) ?? '0');
}

/** The page coordinates of the slider's positions for log10(scale) = `position` in its range [-2, 2]. */
async function sliderTrack(slider: Locator): Promise<(position: number) => { x: number; y: number }> {
  const box = (await slider.boundingBox())!;
  // The thumb's centre runs from half a thumb in from the left edge to half a thumb in from the right (about 8 px).
  const inset = 8;
  return (position) => ({ x: box.x + inset + ((position + 2) / 4) * (box.width - 2 * inset), y: box.y + box.height / 2 });
}

/** Drags from `from` to `to` (slider positions) in moves of 0.025, one about every frame, without resting. */
async function drag(page: Page, track: (position: number) => { x: number; y: number }, from: number, to: number): Promise<number> {
  const step = Math.sign(to - from) * 0.025;
  let moves = 0;
  for (let p = from + step; Math.abs(to - p) > 1e-9 && Math.sign(to - p) === Math.sign(step); p += step) {
    const at = track(p);
    await page.mouse.move(at.x, at.y);
    moves++;
    await page.waitForTimeout(16);
  }
  const end = track(to);
  await page.mouse.move(end.x, end.y);
  return moves + 1;
}

export const tests: UiTest[] = [
  {
    name: 'dragging the scale slider redraws the prediction as it moves, marks the samples pending, and runs only when it rests',
    async run({ page, screenshot }) {
      const frame = await openPanelFromExplorer(page, 'tanh-0.01-randn.net.json');
      await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 60000 });
      await page.keyboard.press('Control+B'); // the side bar hidden: the panel gets the whole width, as in the screenshots
      await page.waitForTimeout(1000);
      const slider = frame.getByRole('slider', { name: /Scale/ });
      const [predictions0, runs0, drawn0] = [await counter(frame, 'predictions-drawn'), await counter(frame, 'runs-started'), await counter(frame, 'runs-drawn')];
      const sampledBefore = (await chartSeries(frame)).sampled;

      // Grab the thumb at ×1 and drag it right in small moves, one every frame or so, without resting.
      const track = await sliderTrack(slider);
      await page.mouse.move(track(0).x, track(0).y);
      await page.mouse.down();
      let moves = await drag(page, track, 0, 0.75);
      // Mid-drag: the prediction is the new scale's, the samples are the previous run's, marked pending.
      await frame.locator('#chart-std[data-pending="true"]').waitFor({ timeout: 10000 });
      await frame.locator('#findings [data-origin="previous"]').first().waitFor({ timeout: 10000 });
      await screenshot('scrub-mid-drag-status');
      await frame.locator('#charts').evaluate((charts) => charts.scrollIntoView());
      await screenshot('scrub-mid-drag-charts');
      const midDrag = await chartSeries(frame);
      assert.deepEqual(midDrag.sampled, sampledBefore, 'mid-drag, the samples drawn are the previous run\'s');
      assert.ok(midDrag.predicted[5] > 0.0461 * 3, `the prediction moved with the slider: last layer ${midDrag.predicted[5]}`);
      const predictionsMid = await counter(frame, 'predictions-drawn') - predictions0;
      const runsMid = await counter(frame, 'runs-started') - runs0;

      // Keep dragging a little, then let go: one sampled run, for where the slider was let go.
      moves += await drag(page, track, 0.75, 0.3);
      await page.mouse.up();
      await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 60000 });
      await frame.locator('#status').evaluate((status) => status.scrollIntoView());
      const whatIf = JSON.parse(await frame.locator('#app').getAttribute('data-whatif') ?? '{}');
      const shown = await frame.locator('#whatif-multiplier input').inputValue();
      assert.equal(String(whatIf.multiplier), shown, 'the run is for the scale the slider was let go at');
      assert.ok(whatIf.multiplier > 1.5 && whatIf.multiplier < 2.5, `let go near ×2: ${whatIf.multiplier}`);
      assert.match(await frame.locator('#status').textContent() ?? '', new RegExp(`×${whatIf.multiplier} on all layers`));
      assert.equal(await frame.locator('#chart-std').getAttribute('data-pending'), 'false');
      const predictions = await counter(frame, 'predictions-drawn') - predictions0;
      const runs = await counter(frame, 'runs-started') - runs0;
      const drawn = await counter(frame, 'runs-drawn') - drawn0;
      console.log(`      (a drag of ${moves} moves in two strokes: ${predictionsMid} predictions drawn and ${runsMid} sampled runs started in the first stroke; ` +
        `${predictions} predictions and ${runs} sampled runs in all, of which ${drawn} finished and were drawn, the others cancelled by a newer what-if)`);
      assert.ok(predictionsMid >= 5, `the prediction followed the drag: ${predictionsMid} drawn`);
      // A loaded machine may pause the drag long enough for the slider to rest (a run that the next move cancels), but
      // runs never follow the moves: one per rest at most, and one at the release.
      assert.ok(runs <= Math.ceil(moves / 8), `${runs} sampled runs started for a drag of ${moves} moves`);
      assert.ok(runs >= 1, 'letting go started the sampled run');
      await page.keyboard.press('Control+B');
    },
  },
  {
    name: 'the scale slider works from the keyboard: Tab reaches it, arrow keys move it by a step, a run starts when it rests',
    async run({ page }) {
      const frame = panelFrame(page);
      await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 60000 });
      const slider = frame.getByRole('slider', { name: /Scale/ });
      // Tab from the scale's text field lands on the slider.
      await frame.locator('#whatif-multiplier input').focus();
      await page.keyboard.press('Tab');
      assert.equal(await slider.evaluate((el) => el === el.ownerDocument.activeElement), true, 'Tab moved the focus to the slider');
      const before = Number(await slider.inputValue());
      const runs0 = await counter(frame, 'runs-started');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await frame.locator(`#app[data-runs-started="${runs0 + 1}"][data-state="ready"]`).waitFor({ timeout: 60000 });
      const after = Number(await slider.inputValue());
      assert.ok(Math.abs(after - (before + 0.1)) < 1e-9, `two steps of 0.05 (log10): ${before} → ${after}`);
      const expected = Number((10 ** after).toPrecision(2));
      assert.equal(await slider.getAttribute('aria-valuetext'), `scale times ${expected}`);
      assert.equal(JSON.parse(await frame.locator('#app').getAttribute('data-whatif') ?? '{}').multiplier, expected);
      await frame.locator('#whatif-reset').click();
      await frame.locator('#app[data-state="ready"][data-whatif=""]').waitFor({ timeout: 60000 });
    },
  },
];
