// The analysis panel: receives reports from the extension host and draws them. Talks to the host only through the
// typed messages of src/protocol/panelProtocol.ts. A what-if's prediction is drawn as soon as it comes, with the
// previous run's sampled statistics marked pending until the new run's report replaces them.
import type { WhatIf } from '../src/engine/edit/whatIf';
import { isValidBatchSize, isValidSeed, RUN_BOUNDS } from '../src/engine/format/bounds';
import type { Mode } from '../src/engine/report/report';
import type { PanelReport, PanelState, PanelTimings, RunSettings, WebviewToHost, WeightLayerChoice } from '../src/protocol/panelProtocol';
import { validateHostToWebview } from '../src/protocol/validateHostMessage';
import { hasBlockView, histogramLayers, viewRows } from './blockView';
import { attentionChart, chartCount, destroyAll, fractionsChart, stdChart } from './charts';
import { h } from './dom';
import { chartsImage } from './exportImage';
import { renderFindings } from './findingsList';
import { histogramGrid } from './histograms';
import { renderLayerTable } from './layerTable';
import { shownReport } from './pendingReport';
import { scaleSlider, showScale } from './scaleSlider';
import { renderSource } from './sourceInfo';
import { MODE_NAMES, statusLine } from './statusLine';
import { chartTheme, watchTheme } from './theme';
import { button, type Choice, defineControls, dropdown, onCommit, onPress, progressBar, setChoices, setEnabled, setProgress, setValue, textField, valueOf } from './toolkit';

defineControls();

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

/** A prediction newer than the last run's report: for the what-if and settings it was computed for. */
interface Prediction {
  report: PanelReport;
  whatIf: WhatIf | null;
  /** A sampled run for it is on its way (false while the slider is dragged). */
  sampledPending: boolean;
}

/** Everything the panel shows, derived from the last messages. */
const view = {
  fileName: '',
  fileUri: '',
  schemes: [] as string[],
  settings: { seed: 0, batchSize: 0, mode: 'both' } as RunSettings,
  whatIf: null as WhatIf | null,
  /** The last run's report, and the what-if it ran with. */
  report: null as PanelReport | null,
  reportWhatIf: null as WhatIf | null,
  /** The prediction for a newer what-if while its sampled run is pending, else null. */
  prediction: null as Prediction | null,
  weightLayers: [] as WeightLayerChoice[],
  /** Whether the last run's sampled pass was refused by the default budget alone (the banner offers Run anyway). */
  offersPastBudget: false,
  latestRun: 0,
  /** The run whose report was shown last. */
  computedRun: 0,
  progressTimer: undefined as ReturnType<typeof setTimeout> | undefined,
  /** When the webview last asked for a run (performance.now()); the next `analysisStarted` takes it. */
  requestedAt: undefined as number | undefined,
  /** When the run `latestRun` was asked for (when the host started it on its own: when its start arrived). */
  runRequestedAt: undefined as number | undefined,
  /** When the slider last asked for a prediction. */
  previewSentAt: undefined as number | undefined,
  /** Where the last run's time went. */
  timings: null as PanelTimings | null,
  /** Repeated blocks shown one point and row each (when the report has them), and the blocks expanded to their layers. */
  grouped: true,
  expanded: new Set<string>(),
};

const app = document.getElementById('app')!;
const post = (m: WebviewToHost): void => vscode.postMessage(m);

function saveState(): void {
  if (view.fileUri) vscode.setState({ fileUri: view.fileUri, settings: view.settings, whatIf: view.whatIf });
}

// Any CSP violation is made visible to the tests (and to users, who should never see one).
document.addEventListener('securitypolicyviolation', (e) => {
  document.body.dataset.cspViolations = String(Number(document.body.dataset.cspViolations ?? '0') + 1);
  document.body.dataset.lastCspViolation = `${e.violatedDirective} ${e.blockedURI}`;
});

/** Counts an event in a data-* attribute of #app (for tests: predictions drawn, runs started, …). */
function count(name: 'predictionsDrawn' | 'runsStarted' | 'runsDrawn'): void {
  app.dataset[name] = String(Number(app.dataset[name] ?? '0') + 1);
}

/** When the latest sampled runs started (their `analysisStarted` arrived, performance.now() in ms), for tests. */
const runStarts: { runId: number; at: number }[] = [];
function noteRunStart(runId: number): void {
  runStarts.push({ runId, at: Math.round(performance.now() * 10) / 10 });
  if (runStarts.length > 200) runStarts.shift();
  app.dataset.runStarts = JSON.stringify(runStarts);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = validateHostToWebview(event.data);
  if (!m) {
    console.warn('[init-inspector] ignored a malformed message from the host', event.data);
    return;
  }
  switch (m.type) {
    case 'panelOpened':
      if (m.fileUri !== view.fileUri) view.expanded = new Set();
      Object.assign(view, { fileName: m.fileName, fileUri: m.fileUri, settings: m.settings, whatIf: m.whatIf, schemes: m.schemes });
      saveState();
      renderShell();
      return;
    case 'analysisStarted':
      view.latestRun = m.runId;
      view.runRequestedAt = view.requestedAt ?? performance.now();
      view.requestedAt = undefined;
      count('runsStarted');
      noteRunStart(m.runId);
      clearTimeout(view.progressTimer);
      // Only runs longer than half a second show progress (and a Cancel button).
      view.progressTimer = setTimeout(() => showProgress(0), 500);
      app.dataset.state = 'running';
      return;
    case 'analysisProgressed':
      if (m.runId === view.latestRun && progressVisible()) showProgress(m.fraction);
      return;
    case 'predictionComputed': {
      // A stale request's prediction is never shown, nor one that comes after its own run's report.
      if (m.runId < view.latestRun || m.runId <= view.computedRun) return;
      view.latestRun = m.runId;
      view.prediction = { report: m.report, whatIf: m.whatIf, sampledPending: m.sampledPending };
      const arrived = performance.now();
      renderReport();
      app.dataset.predictionDrawMs = String(Math.round(performance.now() - arrived));
      // From the request (the edit, or the slider's move) to its prediction drawn.
      const askedAt = m.sampledPending ? view.runRequestedAt : view.previewSentAt;
      if (askedAt !== undefined) app.dataset.predictionMs = String(Math.round(performance.now() - askedAt));
      // What the output-std chart showed then (for tests: the prediction came first, beside the pending samples).
      app.dataset.predictionRunId = String(m.runId);
      app.dataset.predictionSeries = document.getElementById('chart-std')?.dataset.series ?? '';
      count('predictionsDrawn');
      return;
    }
    case 'analysisComputed': {
      if (m.runId < view.latestRun) return; // a stale run's result is never shown
      const arrived = performance.now();
      view.computedRun = m.runId;
      // Whose sampled statistics are drawn from now on (for tests): this run's, computed for this what-if.
      app.dataset.reportRunId = String(m.runId);
      app.dataset.reportWhatif = m.whatIf ? JSON.stringify(m.whatIf) : '';
      hideProgress();
      Object.assign(view, { report: m.report, reportWhatIf: m.whatIf, weightLayers: m.weightLayers, offersPastBudget: m.offersPastBudget });
      // A result for an older what-if than the controls hold (the slider moved while it was on its way) is the
      // previous run now: the newer prediction stays, and its points stay pending.
      if (sameRequest(m.settings, m.whatIf)) view.prediction = null;
      renderReport();
      syncWhatIfControls();
      const drawn = performance.now();
      // From the report's arrival to its charts and table drawn (for tests and the deep-model measurements).
      app.dataset.drawMs = String(Math.round(drawn - arrived));
      // And to the next frame after it: the table's layout and the paint included.
      requestAnimationFrame(() => { app.dataset.paintMs = String(Math.round(performance.now() - arrived)); });
      const requested = view.runRequestedAt;
      view.runRequestedAt = undefined;
      // A result with no start before it answers the panel's `ready` by showing the last one again: that request is done.
      if (requested === undefined) view.requestedAt = undefined;
      const timings = { engineMs: m.engineMs, transferMs: requested === undefined ? null : Math.max(0, arrived - requested - m.engineMs), drawMs: drawn - arrived };
      view.timings = timings;
      renderStatus();
      post({ type: 'runDrawn', runId: m.runId, transferMs: timings.transferMs, drawMs: timings.drawMs });
      // The what-if loop, measured where the user sees it: from the request to these charts drawn.
      if (requested !== undefined) app.dataset.whatifLoopMs = String(Math.round(drawn - requested));
      app.dataset.charts = String(chartCount());
      count('runsDrawn');
      saveState(); // after drawing: the charts come first
      return;
    }
    case 'analysisFailed':
      if (m.runId < view.latestRun) return;
      hideProgress();
      setStatus(`Analysis stopped: ${m.message}`, 'error');
      app.dataset.state = 'failed';
      return;
    case 'analysisCancelled':
      if (m.runId < view.latestRun) return;
      hideProgress();
      if (view.prediction) view.prediction.sampledPending = false;
      setStatus(view.prediction
        ? 'Sampled run cancelled: the prediction drawn is the new one, the hollow sampled points the previous run\'s; press Re-run to run it.'
        : 'Analysis cancelled: showing nothing new; press Re-run to try again.');
      app.dataset.state = 'cancelled';
      return;
    case 'whatIfApplied':
      view.whatIf = null;
      saveState();
      syncWhatIfControls();
      return;
    case 'exportRequested':
      post({ type: 'exportImage', dataUrl: chartsDataUrl() });
      return;
    default: {
      const never: never = m;
      return never;
    }
  }
});

/** Whether a result was computed for the settings and what-if the panel asks for now. */
function sameRequest(settings: RunSettings, whatIf: WhatIf | null): boolean {
  return JSON.stringify([settings, whatIf]) === JSON.stringify([view.settings, view.whatIf]);
}

// ---------------------------------------------------------------- layout

const ALL_LAYERS: Choice = ['all', 'all dense / conv layers'];

/** The value of the control with this id ('' when there is none). */
function controlValue(id: string): string {
  return valueOf(document.getElementById(id));
}

/** The control with this id, which renderShell made. */
function control(id: string): HTMLElement {
  return document.getElementById(id)!;
}

function labeled(id: string, label: string, field: HTMLElement): HTMLElement {
  return h('div', { class: 'labeled' }, h('label', { for: id }, label), field);
}

/** Every chart on one PNG, as a data URL. */
function chartsDataUrl(): string {
  return chartsImage(document.querySelectorAll<HTMLCanvasElement>('#charts canvas, #histograms canvas'), chartTheme());
}

function renderShell(): void {
  destroyAll();
  const runControls = h('div', { class: 'controls', id: 'run-controls' },
    textField('seed', 'Seed', String(view.settings.seed)),
    textField('batch', 'Batch size', String(view.settings.batchSize)),
    labeled('mode', 'Mode', dropdown('mode', Object.entries(MODE_NAMES), view.settings.mode)),
    button('rerun', 'Re-run', 'primary'),
  );
  const whatIf = h('div', { class: 'controls whatif', id: 'whatif-controls' },
    h('span', { class: 'section-label' }, 'What if'),
    labeled('whatif-target', 'Layers', dropdown('whatif-target', [ALL_LAYERS], 'all')),
    labeled('whatif-scheme', 'Init scheme', dropdown('whatif-scheme', view.schemes.map((s): Choice => [s, s === 'keep' ? 'keep the file\'s' : s]), 'keep')),
    textField('whatif-multiplier', 'Scale ×', '1'),
    scaleSlider('whatif-scale', view.whatIf?.multiplier ?? 1, { preview: previewScale, commit: commitScale }),
    button('whatif-apply', 'Apply to file', 'primary', { disabled: true }),
    button('whatif-reset', 'Reset', 'secondary', { disabled: true }),
  );
  app.replaceChildren(
    h('header', {},
      h('div', { class: 'title-row' },
        h('h1', { id: 'title' }, view.fileName),
        h('div', { class: 'exports' },
          button('export-png', 'Export PNG', 'secondary'),
          button('export-json', 'JSON', 'secondary'),
          button('export-csv', 'CSV', 'secondary'))),
      h('div', { id: 'status', class: 'status' }, 'Analyzing…'),
      h('details', { id: 'source', class: 'source', hidden: '' }),
      runControls, whatIf,
      h('div', { id: 'progress', class: 'progress', hidden: '' }, progressBar('progress-bar', 'sampled pass'), h('span', { id: 'progress-text' }, 'Running…'), button('cancel', 'Cancel', 'secondary'))),
    h('div', { id: 'banner', class: 'banner', hidden: '' }),
    h('section', { id: 'findings-section' }, h('h2', {}, 'Findings'), h('ul', { id: 'findings', class: 'findings' })),
    h('div', { id: 'block-bar', class: 'block-bar', hidden: '' }, h('span', { id: 'block-summary' }), button('view-toggle', 'Show all layers', 'secondary')),
    h('section', { id: 'charts', class: 'charts' },
      h('div', { class: 'chart' }, h('canvas', { id: 'chart-std', 'aria-label': 'output std per layer' })),
      h('div', { class: 'chart' }, h('canvas', { id: 'chart-grad', 'aria-label': 'gradient std per layer' })),
      h('div', { class: 'chart', id: 'attention-chart', hidden: '' }, h('canvas', { id: 'chart-attention', 'aria-label': 'attention entropy and logit std' })),
      h('div', { class: 'chart wide' }, h('canvas', { id: 'chart-fractions', 'aria-label': 'saturated and dead fractions' }))),
    h('section', {}, h('h2', {}, 'Output histograms per layer'), h('div', { id: 'histograms' })),
    h('section', {}, h('h2', {}, 'Layers'), h('div', { class: 'table-wrap' }, h('table', { id: 'layers' }))),
  );
  onPress(control('rerun'), rerun);
  onPress(control('cancel'), () => post({ type: 'cancel' }));
  onPress(control('whatif-apply'), () => post({ type: 'applyWhatIf' }));
  onPress(control('whatif-reset'), () => { view.whatIf = null; syncWhatIfControls(); saveState(); request({ type: 'setWhatIf', whatIf: null }); });
  for (const id of ['whatif-target', 'whatif-scheme', 'whatif-multiplier']) onCommit(control(id), sendWhatIf);
  onPress(control('view-toggle'), () => { view.grouped = !view.grouped; redraw(); });
  onPress(control('export-png'), () => post({ type: 'exportImage', dataUrl: chartsDataUrl() }));
  onPress(control('export-json'), () => post({ type: 'exportReport', format: 'json' }));
  onPress(control('export-csv'), () => post({ type: 'exportReport', format: 'csv' }));
  syncWhatIfControls();
}

function isMode(value: string): value is Mode {
  return Object.hasOwn(MODE_NAMES, value);
}

function rerun(): void {
  const seed = Number(controlValue('seed'));
  const batchSize = Number(controlValue('batch'));
  const mode = controlValue('mode');
  if (!isValidSeed(seed) || !isValidBatchSize(batchSize) || !isMode(mode)) {
    const { seed: s, batchSize: b } = RUN_BOUNDS;
    setStatus(`Seed must be a whole number from ${s.min} to ${s.max} and batch size from ${b.min} to ${b.max}.`, 'error');
    return;
  }
  view.settings = { seed, batchSize, mode };
  saveState();
  request({ type: 'rerun', settings: view.settings });
}

/** Asks the host for a run, noting when (the run's transfer time and the what-if loop are timed from here). */
function request(message: WebviewToHost): void {
  view.requestedAt = performance.now();
  post(message);
}

/** The what-if the controls hold, with `multiplier` as its scale; null when it is the file's own inits. */
function whatIfWith(multiplier: number): WhatIf | null {
  const scheme = controlValue('whatif-scheme') || 'keep';
  const target = controlValue('whatif-target') || 'all';
  return scheme === 'keep' && multiplier === 1 ? null : { target, scheme, multiplier };
}

function sendWhatIf(): void {
  const multiplier = Number(controlValue('whatif-multiplier'));
  if (!Number.isFinite(multiplier) || multiplier < 0) {
    setStatus('The scale must be a number ≥ 0.', 'error');
    return;
  }
  view.whatIf = whatIfWith(multiplier);
  syncWhatIfControls();
  request({ type: 'setWhatIf', whatIf: view.whatIf });
  saveState();
}

/** The slider moves: the prediction for its scale, no sampled run (that starts when it rests). */
function previewScale(multiplier: number): void {
  view.whatIf = whatIfWith(multiplier);
  setValue(control('whatif-multiplier'), String(multiplier));
  app.dataset.whatif = view.whatIf ? JSON.stringify(view.whatIf) : '';
  view.previewSentAt = performance.now();
  post({ type: 'previewWhatIf', whatIf: view.whatIf });
  hideProgress(); // the run in flight is for an older scale: the host cancels it
  // In sampled mode no prediction comes back: say what the slider does instead.
  if (view.settings.mode === 'sampled') setStatus(`Scale ×${multiplier}: the sampled run starts when the slider rests.`);
}

/** The slider rests (or is let go of): the sampled run for its scale. */
function commitScale(multiplier: number): void {
  setValue(control('whatif-multiplier'), String(multiplier));
  sendWhatIf();
}

/** Puts the what-if (restored or cleared) into the controls and enables Apply/Reset only when there is one. */
function syncWhatIfControls(): void {
  const target = document.getElementById('whatif-target');
  if (!target) return;
  const choices: Choice[] = [ALL_LAYERS, ...view.weightLayers.map((l): Choice => [l.path, l.label])];
  const current = view.whatIf?.target ?? valueOf(target);
  setChoices(target, choices, current);
  setValue(control('whatif-scheme'), view.whatIf?.scheme ?? 'keep');
  setValue(control('whatif-multiplier'), String(view.whatIf?.multiplier ?? 1));
  showScale(control('whatif-scale').parentElement!, view.whatIf?.multiplier ?? 1);
  for (const id of ['whatif-apply', 'whatif-reset']) setEnabled(control(id), view.whatIf !== null);
  app.dataset.whatif = view.whatIf ? JSON.stringify(view.whatIf) : '';
}

function setStatus(text: string, kind: 'info' | 'error' = 'info'): void {
  const s = document.getElementById('status');
  if (!s) return;
  s.textContent = text;
  s.className = `status ${kind}`;
}

function progressVisible(): boolean {
  return !document.getElementById('progress')?.hidden;
}

function showProgress(fraction: number): void {
  const p = document.getElementById('progress');
  if (!p) return;
  p.hidden = false;
  setProgress(control('progress-bar'), fraction);
  document.getElementById('progress-text')!.textContent = `Running the sampled pass… ${Math.round(fraction * 100)}%`;
}

function hideProgress(): void {
  clearTimeout(view.progressTimer);
  const p = document.getElementById('progress');
  if (p) p.hidden = true;
}

// ---------------------------------------------------------------- the report
/**
 * Draws the last run's report, or, while a newer what-if's run is pending, its prediction with the previous run's
 * sampled statistics marked pending (charts, histograms, table) and the findings list saying which lines are old.
 */
function renderReport(): void {
  const shown = shownReport(view.report, view.prediction?.report ?? null);
  if (!shown) return;
  if (!document.getElementById('charts')) renderShell();
  const { report: r, pending, previous } = shown;
  renderStatus();
  renderSource(document.getElementById('source')!, r);
  const banner = document.getElementById('banner')!;
  const refused = view.prediction ? null : r.sampledRefused;
  banner.hidden = !refused;
  banner.replaceChildren(refused ?? '');
  if (refused && view.offersPastBudget && r.cost) {
    // A big model's run streams its weights: it fits the engine, it only takes longer than the default allows.
    const estimate = `${(r.cost.forwardFlops / 1e9).toFixed(0)} GFLOP, ${(r.cost.peakBytes / 2 ** 30).toFixed(2)} GiB`;
    const run = button('run-past-budget', `Run anyway (${estimate})`, 'primary');
    onPress(run, () => { view.offersPastBudget = false; request({ type: 'runPastBudget' }); });
    banner.append(h('div', { class: 'banner-actions' }, run));
  }
  renderFindings(document.getElementById('findings')!, r, (path) => post({ type: 'revealPath', path }), previous, view.prediction !== null);
  // Where a draw's time goes, for the measurements of deep models (data-draw-parts, milliseconds per part).
  const parts: Record<string, number> = {};
  let mark = performance.now();
  const lap = (part: string): void => { const t = performance.now(); parts[part] = Math.round(t - mark); mark = t; };
  lap('findings');
  const theme = chartTheme();
  const grouped = view.grouped && hasBlockView(r.blocks);
  const state = { grouped, expanded: view.expanded };
  const rows = viewRows(r.layers, r.blocks, state);
  renderBlockBar(r, grouped);
  stdChart(document.getElementById('chart-std') as HTMLCanvasElement, rows, theme, 'activation', pending, grouped, toggleBlock);
  stdChart(document.getElementById('chart-grad') as HTMLCanvasElement, rows, theme, 'gradient', pending, grouped, toggleBlock);
  const attention = attentionChart(document.getElementById('chart-attention') as HTMLCanvasElement, rows, theme, pending, grouped);
  document.getElementById('attention-chart')!.hidden = !attention;
  // Beside the attention chart when there is one, else across the whole width.
  document.getElementById('chart-fractions')!.parentElement!.classList.toggle('wide', !attention);
  fractionsChart(document.getElementById('chart-fractions') as HTMLCanvasElement, rows, theme, view.prediction !== null, grouped);
  lap('charts');
  histogramGrid(document.getElementById('histograms')!, histogramSource(previous ?? r, state), theme, previous !== null);
  lap('histograms');
  renderLayerTable(document.getElementById('layers')!, r, rows, toggleBlock, pending);
  lap('table');
  app.dataset.drawParts = JSON.stringify(parts);
  app.dataset.view = grouped ? 'blocks' : 'layers';
  app.dataset.viewRows = String(rows.length);
  app.dataset.state = view.prediction ? 'predicted' : 'ready';
  app.dataset.runId = String(view.latestRun);
}

/** The layers the histograms show, the same array while the report and the view stay (so the grid is not redrawn). */
const histogramMemo = { report: null as PanelReport | null, key: '', layers: [] as PanelReport['layers'] };
function histogramSource(report: PanelReport, state: { grouped: boolean; expanded: ReadonlySet<string> }): PanelReport['layers'] {
  // Expanding a block keeps its histogram (its output's): only the view itself changes the grid.
  const key = String(state.grouped);
  if (histogramMemo.report !== report || histogramMemo.key !== key) {
    Object.assign(histogramMemo, { report, key, layers: state.grouped ? histogramLayers(viewRows(report.layers, report.blocks, state)) : report.layers });
  }
  return histogramMemo.layers;
}

/** Above the charts when the report has repeated blocks: what they are, and the switch between blocks and all layers. */
function renderBlockBar(r: PanelReport, grouped: boolean): void {
  const bar = document.getElementById('block-bar')!;
  bar.hidden = !hasBlockView(r.blocks);
  if (bar.hidden) return;
  const groups = r.blocks.filter((g) => g.blocks.length >= 2);
  const text = groups.map((g) => `${g.blocks.length} blocks of ${g.layersPerBlock} layers (${g.pattern})`).join('; ');
  document.getElementById('block-summary')!.textContent = grouped
    ? `${text}: one point and row per block; click a block's point or its name in the table to see its layers.`
    : `${text}: showing all ${r.layers.length} layers.`;
  control('view-toggle').textContent = grouped ? 'Show all layers' : 'Group by block';
}

/** Expands a block to its layers, or collapses it, and redraws. */
function toggleBlock(key: string): void {
  if (view.expanded.has(key)) view.expanded.delete(key);
  else view.expanded.add(key);
  redraw();
}

/** Redraws the report in the view just changed (blocks or layers, a block expanded), timing it. */
function redraw(): void {
  const t0 = performance.now();
  renderReport();
  app.dataset.viewDrawMs = String(Math.round(performance.now() - t0));
  requestAnimationFrame(() => { app.dataset.viewPaintMs = String(Math.round(performance.now() - t0)); });
  app.dataset.expanded = [...view.expanded].join(',');
}

/** The status line: what is shown, and where the last run's time went. */
function renderStatus(): void {
  const s = document.getElementById('status');
  const r = view.prediction?.report ?? view.report;
  if (!s || !r) return;
  const pending = view.prediction ? (view.prediction.sampledPending ? 'sampled' : 'drag') : null;
  s.replaceChildren(...statusLine(r, view.prediction ? view.prediction.whatIf : view.reportWhatIf, view.timings, pending));
  s.className = 'status info';
}

watchTheme(() => { if (view.report || view.prediction) renderReport(); });
request({ type: 'ready', state: vscode.getState() ?? null });
