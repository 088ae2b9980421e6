import * as vscode from 'vscode';
import { isKerasZipFile, type ModelText, readModelText } from './modelText';
import { applySourceFixes, DEFAULT_BUDGET, INIT_SCHEMES, MAX_BUDGET, readNetwork, type Report, sourceLocator, type WhatIf, whatIfFixesInFile } from '../engine';
import { AnalysisCancelled, type AnalysisRunner } from '../worker/analysisRunner';
import { type AnalysisComputed, type HostToWebview, panelReport, type PanelReport, type PanelState, type PanelTimings, type RunSettings, type WeightLayerChoice } from '../protocol/panelProtocol';
import type { AnalyzeOptions } from '../protocol/workerProtocol';
import { rangeOf, wholeDocument } from '../editor/networkDocument';
import { panelHtml } from './panelHtml';
import { reportCsv } from './reportExport';
import { PNG_DATA_URL_PREFIX, validateWebviewToHost } from '../protocol/validatePanelMessage';

/** Edits re-analyze after this quiet time. */
const FOLLOW_DEBOUNCE_MS = 400;
/** How long an image export waits for the webview to answer with its PNG. */
const IMAGE_EXPORT_TIMEOUT_MS = 30_000;

/**
 * One analysis panel for one network file: runs the engine in the worker for the file's current text, the panel's
 * settings and what-if, and posts the report to the webview. The mean-field prediction comes first, from a second
 * worker that only ever predicts (milliseconds, never queued behind a sampled run, and never on the extension host's
 * thread), then the sampled run's report. While the scale slider is dragged the webview asks for predictions only; a
 * newer request cancels the sampled run in flight at its next layer, and a result whose request or document version is
 * stale is never shown.
 */
export class AnalysisPanel implements vscode.Disposable {
  private runId = 0;
  private cancel: vscode.CancellationTokenSource | undefined;
  private predictionCancel: vscode.CancellationTokenSource | undefined;
  /** A preview's prediction is in flight; `previewAgain`: another what-if came meanwhile (the latest is previewed next). */
  private previewing = false;
  private previewAgain = false;
  /** Where the time of the last shown run went (the webview reports the transfer and drawing times). */
  private lastTimings: (PanelTimings & { runId: number }) | undefined;
  private followTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private lastReport: Report | undefined;
  /** What the last shown report was computed from, so a re-created webview (hidden, then shown) gets it at once. */
  private lastComputed: { message: AnalysisComputed; version: number; key: string } | undefined;
  private pendingImage: { target: vscode.Uri; done: (ok: boolean) => void } | undefined;
  private settings: RunSettings;
  private whatIf: WhatIf | null;
  private readonly onDisposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.onDisposed.event;
  /** Called with the next report that reaches the webview, or undefined when that run fails. */
  private computedWaiters: ((r: Report | undefined) => void)[] = [];
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly fileUri: vscode.Uri,
    extensionUri: vscode.Uri,
    private readonly runner: AnalysisRunner,
    private readonly predictions: AnalysisRunner,
    state: PanelState | null,
  ) {
    this.settings = state?.settings ?? { seed: 0, batchSize: 0, mode: 'both' };
    this.whatIf = state?.whatIf ?? null;
    panel.webview.html = panelHtml(panel.webview, extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw) => {
        this.receive(raw).catch((err: Error) => void vscode.window.showErrorMessage(`Init Inspector: ${err.message}`));
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() !== this.fileUri.toString() || e.contentChanges.length === 0) return;
        clearTimeout(this.followTimer);
        this.followTimer = setTimeout(() => void this.run(), FOLLOW_DEBOUNCE_MS);
      }),
    );
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  /** The report last shown, and a promise of the next one. */
  get report(): Report | undefined {
    return this.lastReport;
  }

  nextReport(): Promise<Report | undefined> {
    if (this.disposed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.computedWaiters.push(resolve));
  }

  /** Posts to the webview unless the panel is gone (postMessage on a disposed webview throws). */
  private post(message: HostToWebview): void {
    if (this.disposed) return;
    void this.panel.webview.postMessage(message).then(undefined, () => undefined);
  }

  private async receive(raw: unknown): Promise<void> {
    const message = validateWebviewToHost(raw);
    if (!message) return;
    switch (message.type) {
      case 'ready':
        if (message.state && message.state.fileUri === this.fileUri.toString()) {
          this.settings = message.state.settings;
          this.whatIf = message.state.whatIf;
        }
        await this.resolveDefaults();
        this.post({ type: 'panelOpened', fileName: displayName(this.fileUri), fileUri: this.fileUri.toString(), settings: this.settings, whatIf: this.whatIf, schemes: ['keep', ...INIT_SCHEMES] });
        if (await this.reshowLast()) return;
        await this.run();
        return;
      case 'rerun':
        this.settings = message.settings;
        await this.run();
        return;
      case 'setWhatIf':
        this.whatIf = message.whatIf;
        this.previewAgain = false; // this request supersedes every preview before it
        await this.run();
        return;
      case 'previewWhatIf':
        this.whatIf = message.whatIf;
        await this.preview();
        return;
      case 'runDrawn':
        if (this.lastTimings?.runId === message.runId) Object.assign(this.lastTimings, { transferMs: message.transferMs, drawMs: message.drawMs });
        return;
      case 'applyWhatIf':
        await this.applyWhatIf();
        return;
      case 'cancel':
        this.cancel?.cancel();
        return;
      case 'runPastBudget':
        await this.run(false, true);
        return;
      case 'revealPath':
        await this.revealPath(message.path);
        return;
      case 'exportReport':
        await this.exportReport(message.format);
        return;
      case 'exportImage':
        await this.saveImage(message.dataUrl);
        return;
      default: {
        const never: never = message;
        return never;
      }
    }
  }

  /** Re-posts the last result when nothing it depends on changed since (the webview was only re-created). */
  private async reshowLast(): Promise<boolean> {
    const last = this.lastComputed;
    if (!last || last.key !== runKey(this.settings, this.whatIf)) return false;
    const doc = await readModelText(this.fileUri);
    if (doc.version !== last.version) return false;
    this.post(last.message);
    return true;
  }

  /** A new panel starts from the file's own seed and batch size. */
  private async resolveDefaults(): Promise<void> {
    if (this.settings.batchSize !== 0) return;
    const network = await readModelText(this.fileUri).then((d) => readNetwork(d.text).network, () => null);
    this.settings = { ...this.settings, seed: network?.seed ?? 0, batchSize: network?.batchSize ?? 64 };
  }

  /**
   * Analyzes the file's current text: posts the prediction as soon as it is computed (mode "both"), then the sampled
   * run's report; only the newest request's results are ever posted. With `previewOnly`, the prediction alone (the
   * scale slider is being dragged).
   */
  async run(previewOnly = false, pastBudget = false): Promise<void> {
    // An edit can come before the webview's `ready`: the file's own seed and batch size are read first then too.
    await this.resolveDefaults();
    const runId = ++this.runId;
    this.cancel?.cancel(); // the run in flight is for an older request: it stops at its next layer
    this.cancel = undefined;
    let doc: ModelText;
    try {
      doc = await readModelText(this.fileUri);
    } catch (err) {
      this.post({ type: 'analysisFailed', runId, message: `cannot open ${this.fileUri.fsPath}: ${(err as Error).message}` });
      return;
    }
    const version = doc.version;
    const text = doc.text;
    const { settings, whatIf } = this;
    const options: AnalyzeOptions = { mode: settings.mode, seed: settings.seed, batchSize: settings.batchSize, whatIf, file: vscode.workspace.asRelativePath(this.fileUri), ...(pastBudget ? { pastBudget } : {}) };
    // The live document's version (an edit since the read makes the run stale); a .keras zip has none.
    const current = (): boolean => runId === this.runId && (doc.doc?.version ?? version) === version;
    // The prediction is asked for first: its few milliseconds in the prediction worker then come before the sampled
    // run takes every core, and delay that run by no more than posting a message does.
    const predicted = settings.mode === 'sampled' || (!previewOnly && settings.mode === 'analytic')
      ? undefined // sampled mode shows no prediction; in analytic mode the run itself is the prediction
      : this.predict(text, options, current, (report) => ({ type: 'predictionComputed', runId, report, settings, whatIf, sampledPending: !previewOnly }));
    const sampled = previewOnly ? undefined : this.runSampled({ runId, version, settings, whatIf }, text, options, current);
    await Promise.all([predicted, sampled]);
  }

  /** Previews the current what-if (a prediction only); previews never pile up: one is in flight, the latest waits. */
  private async preview(): Promise<void> {
    if (this.previewing) {
      this.previewAgain = true;
      return;
    }
    this.previewing = true;
    try {
      do {
        this.previewAgain = false;
        await this.run(true);
      } while (this.previewAgain && !this.disposed);
    } finally {
      this.previewing = false;
    }
  }

  /** The mean-field prediction from the prediction worker, posted as `message(report)` while `current()`. */
  private async predict(text: string, options: AnalyzeOptions, current: () => boolean, message: (report: PanelReport) => HostToWebview): Promise<void> {
    this.predictionCancel?.cancel(); // an older prediction not yet started is skipped by the worker
    const cancel = new vscode.CancellationTokenSource();
    this.predictionCancel = cancel;
    const started = Date.now();
    try {
      const { report } = await this.predictions.run({ text, options: { ...options, mode: 'analytic' } }, () => undefined, cancel.token);
      if (current()) this.post(message(panelReport(report, Date.now() - started)));
    } catch {
      // A prediction that failed or was superseded shows nothing: the run's own result, or its failure, follows.
    } finally {
      cancel.dispose();
    }
  }

  /** The run in the engine worker: posts its start, progress and result (or failure) while `current()`. */
  private async runSampled(request: RunRequest, text: string, options: AnalyzeOptions, current: () => boolean): Promise<void> {
    const { runId, version, settings, whatIf } = request;
    const cancel = new vscode.CancellationTokenSource();
    this.cancel = cancel;
    this.post({ type: 'analysisStarted', runId });
    const started = Date.now();
    try {
      const { report, engineMs } = await this.runner.run(
        { text, options },
        (fraction) => { if (runId === this.runId) this.post({ type: 'analysisProgressed', runId, fraction }); },
        cancel.token,
      );
      if (!current()) return; // stale: a newer request or edit supersedes it
      this.lastReport = report;
      const message: AnalysisComputed = { type: 'analysisComputed', runId, report: panelReport(report, Date.now() - started), settings, whatIf, weightLayers: weightLayers(report), engineMs,
        offersPastBudget: offersPastBudget(report) };
      this.lastComputed = { message, version, key: runKey(settings, whatIf) };
      this.lastTimings = { runId, engineMs, transferMs: null, drawMs: null };
      this.post(message);
      for (const resolve of this.computedWaiters.splice(0)) resolve(report);
    } catch (err) {
      if (runId !== this.runId) return;
      if (err instanceof AnalysisCancelled) this.post({ type: 'analysisCancelled', runId });
      else this.post({ type: 'analysisFailed', runId, message: (err as Error).message });
      for (const resolve of this.computedWaiters.splice(0)) resolve(undefined);
    } finally {
      cancel.dispose();
    }
  }

  private async revealPath(path: string): Promise<void> {
    // A .keras zip is binary: there is no text to reveal a key in.
    if (isKerasZipFile(this.fileUri)) return;
    const doc = await vscode.workspace.openTextDocument(this.fileUri);
    const loc = sourceLocator(doc.getText())(path);
    const range = rangeOf(doc, loc.offset, loc.length);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: range, preserveFocus: false });
  }

  /** Writes the what-if into the file as one undoable edit, then drops it (the file now says it). */
  async applyWhatIf(): Promise<boolean> {
    if (!this.whatIf) return false;
    if (isKerasZipFile(this.fileUri)) {
      void vscode.window.showWarningMessage('Init Inspector: a what-if cannot be written into a .keras zip; change the initializers in the code that builds the model, or in an exported model.to_json().');
      return false;
    }
    const doc = await vscode.workspace.openTextDocument(this.fileUri);
    const read = readNetwork(doc.getText());
    if (!read.network) {
      void vscode.window.showErrorMessage('Init Inspector: the file has problems; fix them before applying the what-if.');
      return false;
    }
    const fixes = read.source?.format === 'gpt-neox' ? null : whatIfFixesInFile(read, this.whatIf);
    if (!fixes) {
      void vscode.window.showWarningMessage(`Init Inspector: ${whatIfRefusal(read.source)}`);
      return false;
    }
    const updated = applySourceFixes(doc.getText(), fixes);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(this.fileUri, wholeDocument(doc), updated);
    const applied = this.whatIf;
    this.whatIf = null;
    const ok = await vscode.workspace.applyEdit(edit);
    if (ok) this.post({ type: 'whatIfApplied', whatIf: applied });
    return ok;
  }

  /** Saves the last report as JSON or CSV (to `target`, or where the user picks). */
  async exportReport(format: 'json' | 'csv', target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    if (!this.lastReport) return undefined;
    const base = this.fileUri.path.replace(/\.(json|ya?ml)$/i, '').split('/').pop() ?? 'report';
    const uri = target ?? await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(this.fileUri, '..', `${base}.report.${format}`), filters: format === 'json' ? { JSON: ['json'] } : { CSV: ['csv'] } });
    if (!uri) return undefined;
    const text = format === 'json' ? JSON.stringify(this.exportedReport(), null, 2) + '\n' : reportCsv(this.lastReport);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    return uri;
  }

  /** The last report as the JSON export writes it: with `panelTimings`, where the time of its run went in the panel. */
  private exportedReport(): Report & { panelTimings: PanelTimings | null } {
    return { ...this.lastReport!, panelTimings: this.timings ?? null };
  }

  /** Where the time of the last shown run went (the transfer and drawing times once the webview has drawn it). */
  get timings(): PanelTimings | undefined {
    if (!this.lastTimings) return undefined;
    const { runId: _runId, ...timings } = this.lastTimings;
    return timings;
  }

  /** Asks the webview for a PNG of its charts and saves it (to `target`, or where the user picks). */
  exportImage(target: vscode.Uri): Promise<boolean> {
    if (this.disposed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.pendingImage?.done(false); // an older request is superseded, never left waiting
      // A webview that never answers (hidden and discarded, or broken) does not leave the caller waiting forever.
      const timer = setTimeout(() => { if (this.pendingImage === request) { this.pendingImage = undefined; resolve(false); } }, IMAGE_EXPORT_TIMEOUT_MS);
      const request = { target, done: (ok: boolean) => { clearTimeout(timer); resolve(ok); } };
      this.pendingImage = request;
      this.post({ type: 'exportRequested', format: 'png' });
    });
  }

  private async saveImage(dataUrl: string): Promise<void> {
    const pending = this.pendingImage;
    this.pendingImage = undefined;
    const base = this.fileUri.path.replace(/\.(json|ya?ml)$/i, '').split('/').pop() ?? 'charts';
    const uri = pending?.target ?? await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(this.fileUri, '..', `${base}.charts.png`), filters: { PNG: ['png'] } });
    if (!uri) return pending?.done(false);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(dataUrl.slice(PNG_DATA_URL_PREFIX.length), 'base64'));
    pending?.done(true);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.followTimer);
    this.cancel?.cancel();
    this.predictionCancel?.cancel();
    // Everything that waits on this panel is answered: no report is coming, and no image.
    for (const resolve of this.computedWaiters.splice(0)) resolve(undefined);
    this.pendingImage?.done(false);
    this.pendingImage = undefined;
    for (const d of this.disposables) d.dispose();
    this.onDisposed.fire();
    this.onDisposed.dispose();
  }
}

/** What a request was made with: its id, the document's version, the settings and the what-if. */
interface RunRequest {
  runId: number;
  version: number;
  settings: RunSettings;
  whatIf: WhatIf | null;
}

/** What a run depends on besides the file's text: the settings and the what-if. */
function runKey(settings: RunSettings, whatIf: WhatIf | null): string {
  return JSON.stringify([settings, whatIf]);
}

/** The file's path relative to the workspace, or its name when it lies outside (an example shipped with the extension). */
function displayName(uri: vscode.Uri): string {
  const relative = vscode.workspace.asRelativePath(uri);
  return relative === uri.fsPath ? (uri.path.split('/').pop() ?? relative) : relative;
}

function weightLayers(report: Report): WeightLayerChoice[] {
  const seen = new Map<string, WeightLayerChoice>();
  for (const l of report.layers) {
    if (!l.init || l.type.includes('projection') || seen.has(l.path)) continue;
    const copies = report.layers.filter((x) => x.path === l.path).length;
    seen.set(l.path, { path: l.path, label: `${l.name} ${l.path}${copies > 1 ? ` (×${copies})` : ''}` });
  }
  return [...seen.values()];
}

/**
 * Whether a report's sampled run was refused by the default budget alone, so that the panel may offer to run it
 * anyway: its estimate is over DEFAULT_BUDGET and within MAX_BUDGET (which the engine process can hold).
 */
function offersPastBudget(report: Report): boolean {
  const cost = report.cost;
  if (!report.sampledRefused || !cost) return false;
  const overDefault = cost.forwardFlops > DEFAULT_BUDGET.flops || cost.peakBytes > DEFAULT_BUDGET.bytes;
  return overDefault && cost.forwardFlops <= MAX_BUDGET.flops && cost.peakBytes <= MAX_BUDGET.bytes;
}

/** Why a what-if cannot be written into a framework's file, and what to change instead. */
function whatIfRefusal(source: { format: string; family: string } | null): string {
  switch (source?.format) {
    // A GPT-NeoX config has one init per kind of weight, not per layer.
    case 'gpt-neox': return 'a what-if sets each layer\'s init, which a GPT-NeoX config cannot say per layer: set init_method or output_layer_init_method instead (the findings give the value).';
    case 'huggingface': return `a what-if cannot be written into this ${source.family} config: its init lives in the model's code; the findings give the change to make there.`;
    // A model saved as one JSON string (double-encoded) has no key to edit in place; a Keras MultiHeadAttention's one
    // kernel_initializer cannot hold separate q, k, v and output scales.
    default: return 'a what-if cannot be written into this file as it stands (a model stored as one JSON string, or a layer whose one initializer cannot hold it); the findings give the change to make in the code that builds the model.';
  }
}
