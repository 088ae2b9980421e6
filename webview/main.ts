// The analysis panel: receives reports from the extension host and draws them. Talks to the host only through the
// typed messages of src/protocol/panelProtocol.ts.
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDropdown, vsCodeOption, vsCodeProgressRing, vsCodeTextField } from '@vscode/webview-ui-toolkit';
import type { WhatIf } from '../src/engine/edit/whatIf';
import type { HostToWebview, PanelReport, PanelState, RunSettings, WebviewToHost, WeightLayerChoice } from '../src/protocol/panelProtocol';
import { chartCount, destroyAll, fractionsChart, stdChart } from './charts';
import { fmt, h, pct } from './dom';
import { chartsImage } from './exportImage';
import { histogramGrid } from './histograms';
import { chartTheme, watchTheme } from './theme';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeTextField(), vsCodeProgressRing());

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

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const m = event.data;
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
    case 'whatIfApplied':
      view.whatIf = null;
      saveState();
      syncWhatIfControls();
      return;
    case 'exportRequested':
      post({ type: 'exportImage', dataUrl: chartsImage(document.querySelectorAll<HTMLCanvasElement>('#charts canvas, #histograms canvas'), chartTheme()) });
      return;
    default: {
      const never: never = m;
      return never;
    }
  }
});

// ---------------------------------------------------------------- layout
function field(id: string, label: string, value: string, size = '6'): HTMLElement {
  const f = h('vscode-text-field', { id, value, size });
  f.append(label);
  return f;
}

function dropdown(id: string, options: [string, string][], selected: string): HTMLElement {
  const d = h('vscode-dropdown', { id });
  for (const [value, text] of options) d.append(h('vscode-option', { value, ...(value === selected ? { selected: '' } : {}) }, text));
  return d;
}

function valueOf(id: string): string {
  return (document.getElementById(id) as HTMLInputElement | null)?.value ?? '';
}

function renderShell(): void {
  destroyAll();
  const runControls = h('div', { class: 'controls', id: 'run-controls' },
    field('seed', 'Seed', String(view.settings.seed)),
    field('batch', 'Batch size', String(view.settings.batchSize)),
    h('div', { class: 'labeled' }, h('label', { for: 'mode' }, 'Mode'), dropdown('mode', [['both', 'sampled + analytic'], ['sampled', 'sampled'], ['analytic', 'analytic (mean field)']], view.settings.mode)),
    h('vscode-button', { id: 'rerun', appearance: 'primary' }, 'Re-run'),
  );
  const whatIf = h('div', { class: 'controls whatif', id: 'whatif-controls' },
    h('span', { class: 'section-label' }, 'What if'),
    h('div', { class: 'labeled' }, h('label', { for: 'whatif-target' }, 'Layers'), dropdown('whatif-target', [['all', 'all dense / conv layers']], 'all')),
    h('div', { class: 'labeled' }, h('label', { for: 'whatif-scheme' }, 'Init scheme'), dropdown('whatif-scheme', view.schemes.map((s) => [s, s === 'keep' ? 'keep the file\'s' : s]), 'keep')),
    field('whatif-multiplier', 'Scale ×', '1'),
    h('vscode-button', { id: 'whatif-apply', appearance: 'primary', disabled: '' }, 'Apply to file'),
    h('vscode-button', { id: 'whatif-reset', appearance: 'secondary', disabled: '' }, 'Reset'),
  );
  app.replaceChildren(
    h('header', {},
      h('div', { class: 'title-row' },
        h('h1', { id: 'title' }, view.fileName),
        h('div', { class: 'exports' },
          h('vscode-button', { id: 'export-png', appearance: 'secondary' }, 'Export PNG'),
          h('vscode-button', { id: 'export-json', appearance: 'secondary' }, 'JSON'),
          h('vscode-button', { id: 'export-csv', appearance: 'secondary' }, 'CSV'))),
      h('div', { id: 'status', class: 'status' }, 'Analyzing…'),
      runControls, whatIf,
      h('div', { id: 'progress', class: 'progress', hidden: '' }, h('vscode-progress-ring', {}), h('span', { id: 'progress-text' }, 'Running…'), h('vscode-button', { id: 'cancel', appearance: 'secondary' }, 'Cancel'))),
    h('div', { id: 'banner', class: 'banner', hidden: '' }),
    h('section', { id: 'findings-section' }, h('h2', {}, 'Findings'), h('ul', { id: 'findings', class: 'findings' })),
    h('section', { id: 'charts', class: 'charts' },
      h('div', { class: 'chart' }, h('canvas', { id: 'chart-std', 'aria-label': 'output std per layer' })),
      h('div', { class: 'chart' }, h('canvas', { id: 'chart-grad', 'aria-label': 'gradient std per layer' })),
      h('div', { class: 'chart wide' }, h('canvas', { id: 'chart-fractions', 'aria-label': 'saturated and dead fractions' }))),
    h('section', {}, h('h2', {}, 'Output histograms per layer'), h('div', { id: 'histograms' })),
    h('section', {}, h('h2', {}, 'Layers'), h('div', { class: 'table-wrap' }, h('table', { id: 'layers' }))),
  );
  document.getElementById('rerun')!.addEventListener('click', rerun);
  document.getElementById('cancel')!.addEventListener('click', () => post({ type: 'cancel' }));
  document.getElementById('whatif-apply')!.addEventListener('click', () => post({ type: 'applyWhatIf' }));
  document.getElementById('whatif-reset')!.addEventListener('click', () => { view.whatIf = null; syncWhatIfControls(); saveState(); post({ type: 'setWhatIf', whatIf: null }); });
  for (const id of ['whatif-target', 'whatif-scheme']) document.getElementById(id)!.addEventListener('change', sendWhatIf);
  document.getElementById('whatif-multiplier')!.addEventListener('change', sendWhatIf);
  document.getElementById('export-png')!.addEventListener('click', () => post({ type: 'exportImage', dataUrl: chartsImage(document.querySelectorAll<HTMLCanvasElement>('#charts canvas, #histograms canvas'), chartTheme()) }));
  document.getElementById('export-json')!.addEventListener('click', () => post({ type: 'exportReport', format: 'json' }));
  document.getElementById('export-csv')!.addEventListener('click', () => post({ type: 'exportReport', format: 'csv' }));
  syncWhatIfControls();
}

function rerun(): void {
  const seed = Number(valueOf('seed'));
  const batchSize = Number(valueOf('batch'));
  const mode = valueOf('mode') as RunSettings['mode'];
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 65536) {
    setStatus('Seed must be a whole number from 0 to 4294967295 and batch size from 1 to 65536.', 'error');
    return;
  }
  view.settings = { seed, batchSize, mode };
  saveState();
  post({ type: 'rerun', settings: view.settings });
}

function sendWhatIf(): void {
  const multiplier = Number(valueOf('whatif-multiplier'));
  if (!Number.isFinite(multiplier) || multiplier < 0) {
    setStatus('The scale must be a number ≥ 0.', 'error');
    return;
  }
  const scheme = valueOf('whatif-scheme') || 'keep';
  const target = valueOf('whatif-target') || 'all';
  view.whatIf = scheme === 'keep' && multiplier === 1 ? null : { target, scheme, multiplier };
  syncWhatIfControls();
  view.whatIfSentAt = performance.now();
  post({ type: 'setWhatIf', whatIf: view.whatIf });
  saveState();
}

/** Puts the what-if (restored or cleared) into the controls and enables Apply/Reset only when there is one. */
function syncWhatIfControls(): void {
  const target = document.getElementById('whatif-target') as HTMLSelectElement | null;
  if (!target) return;
  const options: [string, string][] = [['all', 'all dense / conv layers'], ...view.weightLayers.map((l): [string, string] => [l.path, l.label])];
  const current = view.whatIf?.target ?? valueOf('whatif-target') ?? 'all';
  target.replaceChildren(...options.map(([value, text]) => h('vscode-option', { value, ...(value === current ? { selected: '' } : {}) }, text)));
  (target as unknown as { value: string }).value = current;
  (document.getElementById('whatif-scheme') as unknown as { value: string }).value = view.whatIf?.scheme ?? 'keep';
  (document.getElementById('whatif-multiplier') as unknown as { value: string }).value = String(view.whatIf?.multiplier ?? 1);
  for (const id of ['whatif-apply', 'whatif-reset']) {
    const b = document.getElementById(id)!;
    if (view.whatIf) b.removeAttribute('disabled');
    else b.setAttribute('disabled', '');
  }
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
  const modeText = { both: 'sampled + analytic', sampled: 'sampled', analytic: 'analytic (mean field)' }[r.mode];
  setStatus([r.network, modeText, `seed ${r.seed}`, `batch ${r.batchSize}`, `${r.layers.length} layers`, `${(r.elapsedMs / 1000).toFixed(2)} s`,
    r.cost ? `${(r.cost.forwardFlops / 1e9).toFixed(2)} GFLOP/pass` : null, r.backend, view.whatIf ? `what-if: ${view.whatIf.scheme} ×${view.whatIf.multiplier} on ${view.whatIf.target === 'all' ? 'all layers' : view.whatIf.target}` : null]
    .filter(Boolean).join(' · '));
  const banner = document.getElementById('banner')!;
  banner.hidden = !r.sampledRefused;
  banner.textContent = r.sampledRefused ?? '';
  renderFindings(r);
  const theme = chartTheme();
  stdChart(document.getElementById('chart-std') as HTMLCanvasElement, r.layers, theme, 'activation');
  stdChart(document.getElementById('chart-grad') as HTMLCanvasElement, r.layers, theme, 'gradient');
  fractionsChart(document.getElementById('chart-fractions') as HTMLCanvasElement, r.layers, theme);
  histogramGrid(document.getElementById('histograms')!, r.layers, theme);
  renderTable(r);
  if (view.whatIfSentAt !== undefined) {
    // The what-if loop, measured where the user sees it: from sending the new scale to these charts drawn.
    app.dataset.whatifLoopMs = String(Math.round(performance.now() - view.whatIfSentAt));
    app.dataset.runMs = String(Math.round(view.report?.elapsedMs ?? NaN));
    view.whatIfSentAt = undefined;
  }
  app.dataset.state = 'ready';
  app.dataset.runId = String(view.latestRun);
}

const ICONS: Record<string, string> = { error: '⛔', warning: '⚠', info: 'ℹ' };

function renderFindings(r: PanelReport): void {
  const list = document.getElementById('findings')!;
  const items: HTMLElement[] = [];
  for (const p of r.problems) {
    items.push(findingItem('error', 'invalid-network', `${p.line}:${p.column} ${p.message}`, null, p.path));
  }
  for (const f of r.findings) items.push(findingItem(f.severity, f.code, f.message, f.fix?.description ?? null, f.path));
  if (items.length === 0) items.push(h('li', { class: 'finding ok' }, h('span', { class: 'icon ok' }, '✓'), h('span', {}, r.layers.length ? 'No problem found: the signal keeps its scale forward and backward.' : 'Nothing to analyze.')));
  list.replaceChildren(...items);
  list.dataset.codes = JSON.stringify(r.findings.map((f) => f.code));
}

function findingItem(severity: string, code: string, message: string, fix: string | null, path: string): HTMLElement {
  const li = h('li', { class: `finding ${severity}`, tabindex: '0', role: 'button', 'data-path': path, 'data-code': code, title: `Show ${path || 'the document'} in the editor` },
    h('span', { class: `icon ${severity}`, 'aria-label': severity }, ICONS[severity] ?? '•'),
    h('div', { class: 'finding-body' },
      h('div', {}, h('code', { class: 'code' }, code), ' ', message),
      fix ? h('div', { class: 'fix' }, `Fix: ${fix}`) : null));
  const reveal = (): void => post({ type: 'revealPath', path });
  li.addEventListener('click', reveal);
  li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') reveal(); });
  return li;
}

function renderTable(r: PanelReport): void {
  const table = document.getElementById('layers')!;
  const head = h('tr', {}, ...['#', 'layer', 'output', 'init (std)', 'std sampled', 'std predicted', 'grad sampled', 'grad predicted', 'saturated', 'dead', 'distinct units'].map((t) => h('th', {}, t)));
  const rows = r.layers.map((l) => h('tr', { 'data-index': String(l.index) },
    h('td', {}, String(l.index + 1)),
    h('td', { title: l.path }, `${l.name === l.type ? l.type : `${l.name} (${l.type})`}${l.activationFunction && l.activationFunction !== 'linear' ? ` · ${l.activationFunction}` : ''}`),
    h('td', {}, `[${l.outputShape.join('×')}]`),
    h('td', {}, l.init ? `${l.init.label} (${fmt(l.init.std)})${l.init.source === 'assumed' ? ' *' : ''}` : ''),
    h('td', { class: 'num', 'data-field': 'std' }, fmt(l.activation?.std)),
    h('td', { class: 'num', 'data-field': 'predicted-std' }, `${fmt(l.predicted?.activationStd)}${l.predicted?.approximate ? ' ~' : ''}`),
    h('td', { class: 'num' }, fmt(l.gradient?.std)),
    h('td', { class: 'num' }, fmt(l.predicted?.gradientStd)),
    h('td', { class: 'num' }, pct(l.activation?.saturatedFraction ?? l.predicted?.saturatedFraction)),
    h('td', { class: 'num' }, pct(l.activation?.deadFraction ?? l.predicted?.deadFraction)),
    h('td', { class: 'num' }, l.activation?.distinctUnits != null ? String(l.activation.distinctUnits) : '')));
  table.replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
}

watchTheme(() => { if (view.report) renderReport(); });
post({ type: 'ready', state: vscode.getState() ?? null });
