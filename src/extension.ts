import * as vscode from 'vscode';
import { AnalysisRunner } from './analysisRunner';
import { registerCommands } from './commands';
import { NetworkDiagnostics } from './diagnostics';
import { InitHover } from './initHover';
import { NetworkFileIndex } from './networkFileIndex';
import { InitQuickFixes } from './quickFixes';

const JSON_DOCUMENTS: vscode.DocumentSelector = [{ language: 'json' }, { language: 'jsonc' }];

/**
 * Activates Init Inspector: the network file index (for menus), live diagnostics with quick fixes and hovers, the
 * engine worker runner and the commands.
 */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Init Inspector');
  const index = new NetworkFileIndex();
  const diagnostics = new NetworkDiagnostics(vscode.Uri.joinPath(context.extensionUri, 'README.md'));
  context.subscriptions.push(
    output, index, diagnostics,
    vscode.languages.registerCodeActionsProvider(JSON_DOCUMENTS, new InitQuickFixes(diagnostics), { providedCodeActionKinds: InitQuickFixes.kinds }),
    vscode.languages.registerHoverProvider(JSON_DOCUMENTS, new InitHover(diagnostics)),
  );
  registerCommands(context, { runner: new AnalysisRunner(context.asAbsolutePath('dist')), output });
  void index.scan();
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
