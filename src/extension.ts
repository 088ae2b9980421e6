import * as vscode from 'vscode';
import { AnalysisRunner } from './analysisRunner';
import { registerCommands } from './commands';
import { NetworkFileIndex } from './networkFileIndex';

/** Activates Init Inspector: the network file index (for menus), the engine worker runner and the commands. */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Init Inspector');
  const index = new NetworkFileIndex();
  context.subscriptions.push(output, index);
  registerCommands(context, { runner: new AnalysisRunner(context.asAbsolutePath('dist')), output });
  void index.scan();
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
