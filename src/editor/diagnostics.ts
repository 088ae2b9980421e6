import * as vscode from 'vscode';
import { analyze, type Finding, type Report, sourceLocator } from '../engine';
import { isNetworkDocument, LIVE_ANALYSIS_MAX_CHARS, rangeOf } from './networkDocument';
import { diagnosticsSettings, toDiagnosticSeverity } from '../settings';

export const DIAGNOSTIC_SOURCE = 'Init Inspector';
/** Delay after the last keystroke before a document is re-analyzed. */
export const DEBOUNCE_MS = 300;

/** The analysis behind a document's diagnostics, kept for quick fixes and hovers. */
export interface DocumentAnalysis {
  version: number;
  text: string;
  report: Report;
  /** Each finding with the editor range its diagnostic sits on. */
  findings: { finding: Finding; range: vscode.Range }[];
  /** Milliseconds the analysis took (parse, prediction, findings, ranges). */
  elapsedMs: number;
}

/**
 * Live diagnostics for network descriptions: on open and on every edit (debounced), the analytic prediction and the
 * symmetry rules (never a sampled run) give findings and parse problems, each placed on the exact range (a JSON value,
 * a YAML key and its value) that causes it. Severities follow the findings unless `initInspector.diagnostics.severity` overrides them.
 */
export class NetworkDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('init-inspector');
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly analyses = new Map<string, DocumentAnalysis>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document's diagnostics were recomputed. */
  readonly onDidAnalyze = this.changed.event;

  constructor(private readonly readme: vscode.Uri) {
    this.disposables.push(
      this.collection,
      this.changed,
      vscode.workspace.onDidOpenTextDocument((doc) => this.update(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.contentChanges.length > 0) this.schedule(e.document); }),
      vscode.workspace.onDidCloseTextDocument((doc) => this.forget(doc.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('initInspector.diagnostics')) for (const doc of vscode.workspace.textDocuments) this.update(doc);
      }),
    );
    for (const doc of vscode.workspace.textDocuments) this.update(doc);
  }

  analysisOf(uri: vscode.Uri): DocumentAnalysis | undefined {
    return this.analyses.get(uri.toString());
  }

  private schedule(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => { this.timers.delete(key); this.update(doc); }, DEBOUNCE_MS));
  }

  private forget(uri: vscode.Uri): void {
    clearTimeout(this.timers.get(uri.toString()));
    this.analyses.delete(uri.toString());
    this.collection.delete(uri);
  }

  /** Recomputes a document's diagnostics now. */
  update(doc: vscode.TextDocument): void {
    const settings = diagnosticsSettings();
    if (!settings.enabled || doc.isClosed || !isNetworkDocument(doc)) {
      this.forget(doc.uri);
      return;
    }
    const text = doc.getText();
    if (text.length > LIVE_ANALYSIS_MAX_CHARS) {
      this.note(doc, `this file is ${(text.length / 1e6).toFixed(1)} MB, too large for live diagnostics; run "Init Inspector: Analyze Network"`);
      return;
    }
    const start = performance.now();
    let report: Report;
    try {
      report = analyze(text, { mode: 'analytic', file: vscode.workspace.asRelativePath(doc.uri), blocks: false });
    } catch (err) {
      // An engine bug must not take the editor down: say so on the document instead.
      this.note(doc, `Init Inspector could not analyze this file (internal error: ${(err as Error).message})`);
      return;
    }
    const locate = sourceLocator(text);
    const diagnostics: vscode.Diagnostic[] = [];
    for (const p of report.problems) {
      const d = new vscode.Diagnostic(rangeOf(doc, p.offset, p.length), p.message, p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = 'invalid-network';
      diagnostics.push(d);
    }
    const findings: DocumentAnalysis['findings'] = [];
    for (const finding of report.findings) {
      const loc = locate(finding.path);
      const range = rangeOf(doc, loc.offset, loc.length);
      findings.push({ finding, range });
      const severity = toDiagnosticSeverity(finding.severity, settings.severity[finding.code]);
      if (severity === null) continue;
      const d = new vscode.Diagnostic(range, finding.fix ? `${finding.message}. Fix: ${finding.fix.description}` : finding.message, severity);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = { value: finding.code, target: this.readme.with({ fragment: finding.code }) };
      d.relatedInformation = finding.related.map((r) => {
        const at = locate(r.path);
        return new vscode.DiagnosticRelatedInformation(new vscode.Location(doc.uri, rangeOf(doc, at.offset, at.length)), r.message);
      });
      diagnostics.push(d);
    }
    this.collection.set(doc.uri, diagnostics);
    this.analyses.set(doc.uri.toString(), { version: doc.version, text, report, findings, elapsedMs: performance.now() - start });
    this.changed.fire(doc.uri);
  }

  /** One information diagnostic at the start of the document, instead of an analysis. */
  private note(doc: vscode.TextDocument, message: string): void {
    const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 1), message, vscode.DiagnosticSeverity.Information);
    d.source = DIAGNOSTIC_SOURCE;
    this.collection.set(doc.uri, [d]);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}
