import * as assert from 'node:assert/strict';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { openPanelFromExplorer, type UiTest } from './uiTest';

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

/** Moves the mouse to slider position `p`, then waits about a frame. */
async function moveTo(page: Page, track: (position: number) => { x: number; y: number }, p: number): Promise<void> {
  const at = track(p);
  await page.mouse.move(at.x, at.y);
  await page.waitForTimeout(16);
}

/** Drags from `from` to `to` (slider positions) in moves of 0.025, one about every frame, without resting. */
async function drag(page: Page, track: (position: number) => { x: number; y: number }, from: number, to: number): Promise<number> {
  const step = Math.sign(to - from) * 0.025;
  let moves = 0;
  for (let p = from + step; Math.abs(to - p) > 1e-9 && Math.sign(to - p) === Math.sign(step); p += step) {
    await moveTo(page, track, p);
    moves++;
  }
  const end = track(to);
  await page.mouse.move(end.x, end.y);
  return moves + 1;
}

/** A sampled run the slider asked for (webview/scaleSlider.ts's ScrubCommit). */
interface Commit { at: number; scale: number; by: 'rest' | 'release' }

/**
 * One reading of the panel, taken at a single moment inside it: the slider's trace (its inputs and commits, on the
 * page's clock), the runs started, whose samples are drawn, and what the output-std chart shows.
 */
interface Snapshot {
  restMs: number;
  inputs: number[];
  commits: Commit[];
  runStarts: { runId: number; at: number }[];
  reportRunId: string;
  reportWhatIf: string;
  whatIf: string;
  state: string;
  pending: boolean;
  previousFindings: number;
  /** Findings lines that say whose they are (the prediction's, or the previous run's). */
  markedFindings: number;
  series: Record<string, number[]>;
  predictionsDrawn: number;
}

async function snapshot(frame: FrameLocator): Promise<Snapshot> {
  return frame.locator('#app').evaluate((app) => {
    const doc = app.ownerDocument;
    const slider = doc.querySelector<HTMLElement>('#whatif-scale')!;
    const chart = doc.getElementById('chart-std')!;
    return {
      restMs: Number(slider.dataset.restMs),
      inputs: JSON.parse(slider.dataset.inputTimes ?? '[]') as number[],
      commits: JSON.parse(slider.dataset.commits ?? '[]') as Commit[],
      runStarts: JSON.parse(app.dataset.runStarts ?? '[]') as { runId: number; at: number }[],
      reportRunId: app.dataset.reportRunId ?? '',
      reportWhatIf: app.dataset.reportWhatif ?? '',
      whatIf: app.dataset.whatif ?? '',
      state: app.dataset.state ?? '',
      pending: chart.dataset.pending === 'true',
      previousFindings: doc.querySelectorAll('#findings [data-origin="previous"]').length,
      markedFindings: doc.querySelectorAll('#findings [data-origin]').length,
      series: JSON.parse(chart.dataset.series ?? '{}') as Record<string, number[]>,
      predictionsDrawn: Number(app.dataset.predictionsDrawn ?? '0'),
    };
  });
}

/** Polls `snapshot` until `done` holds (or throws after `ms`); returns the snapshot that satisfied it. */
async function until(frame: FrameLocator, what: string, done: (s: Snapshot) => boolean, ms = 60000, between?: () => Promise<void>): Promise<Snapshot> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await snapshot(frame);
    if (done(s)) return s;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting until ${what}; last reading ${JSON.stringify({ ...s, series: undefined, inputs: s.inputs.length })}`);
    await (between ? between() : new Promise((r) => setTimeout(r, 50)));
  }
}

/** The panel shows the sampled run of the what-if its controls hold, and nothing is pending. */
const settled = (s: Snapshot): boolean => s.state === 'ready' && s.reportWhatIf === s.whatIf && !s.pending;

/**
 * The scrubbing rule, checked on the page's own clock for everything after `since` (ms): a commit by rest comes only
 * after the slider had no input for at least the rest time, a release commits at most once (last), and every sampled
 * run started follows its own commit (the k-th run after the k-th commit: no run without one). Returns the commits.
 */
function checkRestRule(s: Snapshot, since: number): { commits: Commit[]; runs: { runId: number; at: number }[] } {
  const commits = s.commits.filter((c) => c.at > since);
  const runs = s.runStarts.filter((r) => r.at > since);
  for (const c of commits) {
    if (c.by !== 'rest') continue;
    const last = Math.max(...s.inputs.filter((t) => t <= c.at));
    // 1 ms: the page's clock is rounded to 0.1 ms, and coarsened by the browser.
    assert.ok(c.at - last >= s.restMs - 1, `a run was asked for ${(c.at - last).toFixed(1)} ms after the slider's last input (rest time ${s.restMs} ms)`);
  }
  const releases = commits.filter((c) => c.by === 'release');
  assert.ok(releases.length <= 1 && (releases.length === 0 || releases[0] === commits.at(-1)), `releases: ${JSON.stringify(commits)}`);
  assert.ok(runs.length <= commits.length, `${runs.length} sampled runs started for ${commits.length} commits (${JSON.stringify(commits)})`);
  runs.forEach((r, k) => assert.ok(commits[k].at <= r.at, `run ${r.runId} started at ${r.at} ms, before the commit at ${commits[k].at} ms`));
  return { commits, runs };
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
      const before = await snapshot(frame);
      const sampledBefore = before.series.sampled;
      const since = Math.max(0, ...before.commits.map((c) => c.at), ...before.runStarts.map((r) => r.at));

      // Grab the thumb at ×1 and drag it right in small moves, one every frame or so, without resting.
      const track = await sliderTrack(slider);
      await page.mouse.move(track(0).x, track(0).y);
      await page.mouse.down();
      let moves = await drag(page, track, 0, 0.75);
      // Mid-drag: the prediction is the new scale's, the samples are the previous run's, marked pending. The thumb
      // keeps moving (back and forth by a step) while the panel is read, so that the reading is mid-drag.
      let wiggle = 0;
      const mid = await until(frame, 'the prediction is drawn beside pending samples mid-drag',
        (s) => s.pending && s.markedFindings > 0 && s.predictionsDrawn - predictions0 >= 5 && s.series.predicted[5] > 0.0461 * 3
          // The run at ×1 found vanishing activations, which the prediction at ×5 does not: listed as the previous run's.
          && (s.reportRunId !== before.reportRunId || s.previousFindings > 0), 20000,
        async () => { wiggle++; moves++; await moveTo(page, track, wiggle % 2 ? 0.725 : 0.75); });
      // Which run's samples are drawn: the previous run's, unless the slider rested during the drag (a loaded machine
      // may pause the test's moves longer than the rest time); then the run that rest started, for its scale.
      const midRule = checkRestRule(mid, since);
      assert.ok(midRule.commits.every((c) => c.by === 'rest'), 'no release while the pointer is down');
      if (mid.reportRunId === before.reportRunId) {
        assert.deepEqual(mid.series.sampled, sampledBefore, 'mid-drag, with no run finished since the drag began, the samples drawn are the previous run\'s');
      } else {
        const k = midRule.runs.findIndex((r) => String(r.runId) === mid.reportRunId);
        assert.ok(k >= 0, `mid-drag, the samples drawn are of run ${mid.reportRunId}, which no rest of this drag started (${JSON.stringify(midRule)})`);
        assert.equal(JSON.parse(mid.reportWhatIf).multiplier, midRule.commits[k].scale, 'the samples drawn are of the scale the slider rested at');
        assert.notDeepEqual(mid.series.sampled, sampledBefore);
      }
      const predictionsMid = mid.predictionsDrawn - predictions0;
      const runsMid = midRule.runs.length;
      await screenshot('scrub-mid-drag-status');
      await frame.locator('#charts').evaluate((charts) => charts.scrollIntoView());
      await screenshot('scrub-mid-drag-charts');

      // Keep dragging a little, then let go: a sampled run for where the slider was let go (or, if it rested there
      // before the release, the run that rest started).
      moves += await drag(page, track, 0.75, 0.3);
      await page.mouse.up();
      const end = await until(frame, 'the sampled run for the scale let go at is drawn', settled);
      await frame.locator('#status').evaluate((status) => status.scrollIntoView());
      const rule = checkRestRule(end, since);
      const lastInput = Math.max(...end.inputs);
      const afterLastInput = rule.commits.filter((c) => c.at >= lastInput);
      assert.equal(afterLastInput.length, 1, `one commit after the last move: ${JSON.stringify(afterLastInput)}`);
      const whatIf = JSON.parse(end.whatIf || '{}');
      const shown = await frame.locator('#whatif-multiplier input').inputValue();
      assert.equal(String(whatIf.multiplier), shown, 'the run is for the scale the slider was let go at');
      assert.equal(afterLastInput[0].scale, whatIf.multiplier, 'the last commit is for the scale the slider was let go at');
      assert.ok(whatIf.multiplier > 1.5 && whatIf.multiplier < 2.5, `let go near ×2: ${whatIf.multiplier}`);
      assert.match(await frame.locator('#status').textContent() ?? '', new RegExp(`×${whatIf.multiplier} on all layers`));
      assert.equal(await frame.locator('#chart-std').getAttribute('data-pending'), 'false');
      const predictions = await counter(frame, 'predictions-drawn') - predictions0;
      const runs = await counter(frame, 'runs-started') - runs0;
      const drawn = await counter(frame, 'runs-drawn') - drawn0;
      const rests = rule.commits.filter((c) => c.by === 'rest').length;
      console.log(`      (a drag of ${moves} moves in two strokes: ${predictionsMid} predictions drawn and ${runsMid} sampled runs started in the first stroke; ` +
        `${predictions} predictions and ${runs} sampled runs in all (${rests} at a rest of the slider, ${rule.commits.length - rests} at the release), of which ${drawn} finished and were drawn, the others cancelled by a newer what-if)`);
      assert.ok(predictionsMid >= 5, `the prediction followed the drag: ${predictionsMid} drawn`);
      // Runs never follow the moves: each one was asked for by a rest of the slider (checked above on the page's clock)
      // or by the release.
      assert.equal(runs, rule.runs.length);
      assert.ok(runs >= 1, 'letting go started the sampled run');
      await page.keyboard.press('Control+B');
    },
  },
  {
    name: 'the scale slider works from the keyboard: Tab reaches it, arrow keys move it by a step, a run starts when it rests',
    async run({ page }) {
      const frame = await openPanelFromExplorer(page, 'tanh-0.01-randn.net.json');
      await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 60000 });
      const slider = frame.getByRole('slider', { name: /Scale/ });
      // Tab from the scale's text field lands on the slider.
      await frame.locator('#whatif-multiplier input').focus();
      await page.keyboard.press('Tab');
      assert.equal(await slider.evaluate((el) => el === el.ownerDocument.activeElement), true, 'Tab moved the focus to the slider');
      const before = Number(await slider.inputValue());
      const start = await snapshot(frame);
      const since = Math.max(0, ...start.commits.map((c) => c.at), ...start.runStarts.map((r) => r.at));
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      const after = Number(await slider.inputValue());
      assert.ok(Math.abs(after - (before + 0.1)) < 1e-9, `two steps of 0.05 (log10): ${before} → ${after}`);
      const expected = Number((10 ** after).toPrecision(2));
      const end = await until(frame, `the sampled run for ×${expected} is drawn`, (s) => settled(s) && s.whatIf !== '' && JSON.parse(s.whatIf).multiplier === expected);
      // A run starts when the slider rests: one after the two steps (two if the machine paused longer than the rest
      // time between the key presses), each asked for at a rest.
      const rule = checkRestRule(end, since);
      assert.ok(rule.commits.length >= 1 && rule.commits.length <= 2 && rule.commits.every((c) => c.by === 'rest'), `commits ${JSON.stringify(rule.commits)}`);
      assert.equal(rule.commits.at(-1)!.scale, expected);
      assert.ok(rule.runs.length >= 1, 'a run started when the slider rested');
      assert.equal(await slider.getAttribute('aria-valuetext'), `scale times ${expected}`);
      await frame.locator('#whatif-reset').click();
      await frame.locator('#app[data-state="ready"][data-whatif=""]').waitFor({ timeout: 60000 });
    },
  },
];
