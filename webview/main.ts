// The analysis panel: receives reports from the extension host and draws them. Talks to the host only through the
// typed messages of src/protocol/panelProtocol.ts.
import type { WhatIf } from '../src/engine/edit/whatIf';
import { isValidBatchSize, isValidSeed, RUN_BOUNDS } from '../src/engine/format/bounds';
import type { Mode } from '../src/engine/report/report';
import type { PanelReport, PanelState, RunSettings, WebviewToHost, WeightLayerChoice } from '../src/protocol/panelProtocol';
import { validateHostToWebview } from '../src/protocol/validateHostMessage';
import { chartCount, destroyAll, fractionsChart, stdChart } from './charts';
import { h } from './dom';
import { chartsImage } from './exportImage';
import { renderFindings } from './findingsList';
import { histogramGrid } from './histograms';
import { renderLayerTable } from './layerTable';
import { chartTheme, watchTheme } from './theme';
import { button, type Choice, defineControls, dropdown, onCommit, onPress, progressRing, setChoices, setEnabled, setValue, textField, valueOf } from './toolkit';

defineControls();

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

/** Everything the panel shows, derived from the last messages. */
const view = {
  fileName: '',
  fileUri: '',
  schemes: [] as string[],
  settings: { seed: 0, batchSize: 0, mode: 'both' } as RunSettings,
  whatIf: null as WhatIf | null,
  report: null as PanelReport | null,
  weightLayers: [] as WeightLayerChoice[],
  latestRun: 0,
  progressTimer: undefined as ReturnType<typeof setTimeout> | undefined,
  /** When the last what-if went to the host (performance.now()), to time the loop until its charts are drawn. */
  whatIfSentAt: undefined as number | undefined,
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

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = validateHostToWebview(event.data);
  if (!m) {
    console.warn('[init-inspector] ignored a malformed message from the host', event.data);
    return;
  }
  switch (m.type) {
    case 'panelOpened':
      Object.assign(view, { fileName: m.fileName, fileUri: m.fileUri, settings: m.settings, whatIf: m.whatIf, schemes: m.schemes });
      saveState();
      renderShell();
      return;
    case 'analysisStarted':
      view.latestRun = m.runId;
      clearTimeout(view.progressTimer);
      // Only runs longer than half a second show progress (and a Cancel button).
      view.progressTimer = setTimeout(() => showProgress(0), 500);
      app.dataset.state = 'running';
      return;
    case 'analysisProgressed':
      if (m.runId === view.latestRun && progressVisible()) showProgress(m.fraction);
      return;
    case 'analysisComputed':
      if (m.runId < view.latestRun) return; // a stale run's result is never shown
      hideProgress();
      Object.assign(view, { report: m.report, settings: m.settings, whatIf: m.whatIf, weightLayers: m.weightLayers });
      {
        const started = performance.now();
        renderReport();
        app.dataset.renderMs = String(Math.round(performance.now() - started));
        app.dataset.charts = String(chartCount());
      }
      saveState(); // after drawing: the charts come first
      return;
    case 'analysisFailed':
      if (m.runId < view.latestRun) return;
      hideProgress();
      setStatus(`Analysis stopped: ${m.message}`, 'error');
      app.dataset.state = 'failed';
      return;
    case 'analysisCancelled':
      if (m.runId < view.latestRun) return;
      hideProgress();
      setStatus('Analysis cancelled: showing nothing new; press Re-run to try again.');
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

// ---------------------------------------------------------------- layout
/** The modes, as the mode drop-down and the status line name them (a table, so that a new Mode must be named). */
const MODE_NAMES: Record<Mode, string> = { both: 'sampled + analytic', sampled: 'sampled', analytic: 'analytic (mean field)' };

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
      runControls, whatIf,
      h('div', { id: 'progress', class: 'progress', hidden: '' }, progressRing(), h('span', { id: 'progress-text' }, 'Running…'), button('cancel', 'Cancel', 'secondary'))),
    h('div', { id: 'banner', class: 'banner', hidden: '' }),
    h('section', { id: 'findings-section' }, h('h2', {}, 'Findings'), h('ul', { id: 'findings', class: 'findings' })),
    h('section', { id: 'charts', class: 'charts' },
      h('div', { class: 'chart' }, h('canvas', { id: 'chart-std', 'aria-label': 'output std per layer' })),
      h('div', { class: 'chart' }, h('canvas', { id: 'chart-grad', 'aria-label': 'gradient std per layer' })),
      h('div', { class: 'chart wide' }, h('canvas', { id: 'chart-fractions', 'aria-label': 'saturated and dead fractions' }))),
    h('section', {}, h('h2', {}, 'Output histograms per layer'), h('div', { id: 'histograms' })),
    h('section', {}, h('h2', {}, 'Layers'), h('div', { class: 'table-wrap' }, h('table', { id: 'layers' }))),
  );
  onPress(control('rerun'), rerun);
  onPress(control('cancel'), () => post({ type: 'cancel' }));
  onPress(control('whatif-apply'), () => post({ type: 'applyWhatIf' }));
  onPress(control('whatif-reset'), () => { view.whatIf = null; syncWhatIfControls(); saveState(); post({ type: 'setWhatIf', whatIf: null }); });
  for (const id of ['whatif-target', 'whatif-scheme', 'whatif-multiplier']) onCommit(control(id), sendWhatIf);
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
  post({ type: 'rerun', settings: view.settings });
}

function sendWhatIf(): void {
  const multiplier = Number(controlValue('whatif-multiplier'));
  if (!Number.isFinite(multiplier) || multiplier < 0) {
    setStatus('The scale must be a number ≥ 0.', 'error');
    return;
  }
  const scheme = controlValue('whatif-scheme') || 'keep';
  const target = controlValue('whatif-target') || 'all';
  view.whatIf = scheme === 'keep' && multiplier === 1 ? null : { target, scheme, multiplier };
  syncWhatIfControls();
  view.whatIfSentAt = performance.now();
  post({ type: 'setWhatIf', whatIf: view.whatIf });
  saveState();
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
  document.getElementById('progress-text')!.textContent = `Running the sampled pass… ${Math.round(fraction * 100)}%`;
}

function hideProgress(): void {
  clearTimeout(view.progressTimer);
  const p = document.getElementById('progress');
  if (p) p.hidden = true;
}

// ---------------------------------------------------------------- the report
function renderReport(): void {
  const r = view.report;
  if (!r) return;
  if (!document.getElementById('charts')) renderShell();
  syncWhatIfControls();
  setStatus([r.network, MODE_NAMES[r.mode], `seed ${r.seed}`, `batch ${r.batchSize}`, `${r.layers.length} layers`, `${(r.elapsedMs / 1000).toFixed(2)} s`,
    r.cost ? `${(r.cost.forwardFlops / 1e9).toFixed(2)} GFLOP/pass` : null, r.backend, view.whatIf ? `what-if: ${view.whatIf.scheme} ×${view.whatIf.multiplier} on ${view.whatIf.target === 'all' ? 'all layers' : view.whatIf.target}` : null]
    .filter(Boolean).join(' · '));
  const banner = document.getElementById('banner')!;
  banner.hidden = !r.sampledRefused;
  banner.textContent = r.sampledRefused ?? '';
  renderFindings(document.getElementById('findings')!, r, (path) => post({ type: 'revealPath', path }));
  const theme = chartTheme();
  stdChart(document.getElementById('chart-std') as HTMLCanvasElement, r.layers, theme, 'activation');
  stdChart(document.getElementById('chart-grad') as HTMLCanvasElement, r.layers, theme, 'gradient');
  fractionsChart(document.getElementById('chart-fractions') as HTMLCanvasElement, r.layers, theme);
  histogramGrid(document.getElementById('histograms')!, r.layers, theme);
  renderLayerTable(document.getElementById('layers')!, r);
  if (view.whatIfSentAt !== undefined) {
    // The what-if loop, measured where the user sees it: from sending the new scale to these charts drawn.
    app.dataset.whatifLoopMs = String(Math.round(performance.now() - view.whatIfSentAt));
    app.dataset.runMs = String(Math.round(view.report?.elapsedMs ?? NaN));
    view.whatIfSentAt = undefined;
  }
  app.dataset.state = 'ready';
  app.dataset.runId = String(view.latestRun);
}

watchTheme(() => { if (view.report) renderReport(); });
post({ type: 'ready', state: vscode.getState() ?? null });
