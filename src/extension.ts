import * as vscode from 'vscode';
import { AnalysisRunner } from './worker/analysisRunner';
import { registerCommands } from './commands';
import { NetworkDiagnostics } from './editor/diagnostics';
import { InitHover } from './editor/initHover';
import { NetworkFileIndex } from './editor/networkFileIndex';
import { NETWORK_LANGUAGES } from './editor/networkDocument';
import { PANEL_VIEW_TYPE } from './panel/panelHtml';
import { PanelManager } from './panel/panelManager';
import { InitQuickFixes } from './editor/quickFixes';

const NETWORK_DOCUMENTS: vscode.DocumentSelector = NETWORK_LANGUAGES.map((language) => ({ language }));

/**
 * Activates Init Inspector: the network file index (for menus), live diagnostics with quick fixes and hovers, the
 * analysis panels (engine in worker threads) and the commands.
 */
export function activate(context: vscode.ExtensionContext): void {
  const index = new NetworkFileIndex();
  const diagnostics = new NetworkDiagnostics(vscode.Uri.joinPath(context.extensionUri, 'README.md'));
  const runner = new AnalysisRunner(context.asAbsolutePath('dist'));
  // A second engine worker for the panels' mean-field predictions (analytic runs only: no kernels, no threads), so a
  // prediction never waits behind a sampled run and never runs on this thread.
  const predictions = new AnalysisRunner(context.asAbsolutePath('dist'));
  const panels = new PanelManager(context.extensionUri, runner, predictions);
  context.subscriptions.push(
    index, diagnostics, panels, runner, predictions,
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, panels),
    vscode.languages.registerCodeActionsProvider(NETWORK_DOCUMENTS, new InitQuickFixes(diagnostics), { providedCodeActionKinds: InitQuickFixes.kinds }),
    vscode.languages.registerHoverProvider(NETWORK_DOCUMENTS, new InitHover(diagnostics)),
  );
  registerCommands(context, { panels, extensionUri: context.extensionUri });
  void index.scan();
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
