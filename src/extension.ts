import * as vscode from 'vscode';
import { AnalysisRunner } from './worker/analysisRunner';
import { registerCommands } from './commands';
import { NetworkDiagnostics } from './editor/diagnostics';
import { InitHover } from './editor/initHover';
import { NetworkFileIndex } from './editor/networkFileIndex';
import { PANEL_VIEW_TYPE } from './panel/panelHtml';
import { PanelManager } from './panel/panelManager';
import { InitQuickFixes } from './editor/quickFixes';

const JSON_DOCUMENTS: vscode.DocumentSelector = [{ language: 'json' }, { language: 'jsonc' }];

/**
 * Activates Init Inspector: the network file index (for menus), live diagnostics with quick fixes and hovers, the
 * analysis panels (engine in a worker thread) and the commands.
 */
export function activate(context: vscode.ExtensionContext): void {
  const index = new NetworkFileIndex();
  const diagnostics = new NetworkDiagnostics(vscode.Uri.joinPath(context.extensionUri, 'README.md'));
  const runner = new AnalysisRunner(context.asAbsolutePath('dist'));
  const panels = new PanelManager(context.extensionUri, runner);
  context.subscriptions.push(
    index, diagnostics, panels, runner,
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, panels),
    vscode.languages.registerCodeActionsProvider(JSON_DOCUMENTS, new InitQuickFixes(diagnostics), { providedCodeActionKinds: InitQuickFixes.kinds }),
    vscode.languages.registerHoverProvider(JSON_DOCUMENTS, new InitHover(diagnostics)),
  );
  registerCommands(context, { panels, extensionUri: context.extensionUri });
  void index.scan();
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
