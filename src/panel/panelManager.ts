import * as vscode from 'vscode';
import type { AnalysisRunner } from '../worker/analysisRunner';
import { validatePanelState } from '../protocol/validatePanelMessage';
import { AnalysisPanel } from './analysisPanel';
import { PANEL_VIEW_TYPE, panelOptions } from './panelHtml';

/** Keeps one analysis panel per network file, and restores panels after a reload (WebviewPanelSerializer). */
export class PanelManager implements vscode.Disposable, vscode.WebviewPanelSerializer<unknown> {
  private readonly panels = new Map<string, AnalysisPanel>();

  /** `runner` runs the panels' analyses, `predictions` only their mean-field predictions (see AnalysisPanel). */
  constructor(private readonly extensionUri: vscode.Uri, private readonly runner: AnalysisRunner, private readonly predictions: AnalysisRunner) {}

  /** Opens the panel of `uri`, or reveals it when it is already open. */
  open(uri: vscode.Uri): AnalysisPanel {
    const existing = this.panels.get(uri.toString());
    if (existing) {
      existing.reveal();
      return existing;
    }
    const title = `Init: ${uri.path.split('/').pop()}`;
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, panelOptions(this.extensionUri));
    return this.track(new AnalysisPanel(panel, uri, this.extensionUri, this.runner, this.predictions, null));
  }

  get(uri: vscode.Uri): AnalysisPanel | undefined {
    return this.panels.get(uri.toString());
  }

  /** Revives a panel from the state its webview kept, checked like any message from a webview; a panel without one closes. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, saved: unknown): Promise<void> {
    const state = validatePanelState(saved);
    if (!state) {
      panel.dispose();
      return;
    }
    panel.webview.options = panelOptions(this.extensionUri);
    this.track(new AnalysisPanel(panel, vscode.Uri.parse(state.fileUri), this.extensionUri, this.runner, this.predictions, state));
  }

  private track(panel: AnalysisPanel): AnalysisPanel {
    const key = panel.fileUri.toString();
    this.panels.set(key, panel);
    panel.onDidDispose(() => { if (this.panels.get(key) === panel) this.panels.delete(key); });
    return panel;
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
  }
}
