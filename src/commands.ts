import * as vscode from 'vscode';
import { pointerLocator } from './engine';
import type { AnalysisRunner } from './analysisRunner';
import { formatReport } from './reportText';

/** Command ids, mirroring `contributes.commands` in package.json. */
export const Commands = {
  analyzeNetwork: 'initInspector.analyzeNetwork',
} as const;

export interface CommandDeps {
  runner: AnalysisRunner;
  output: vscode.OutputChannel;
}

/** Registers every command of the extension. */
export function registerCommands(context: vscode.ExtensionContext, deps: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.analyzeNetwork, (uri?: vscode.Uri) => analyzeNetwork(deps, uri)),
  );
}

/**
 * Analyzes a network file (the Explorer's selection, else the active editor) in the engine worker and shows the
 * report; a file that is not a network description, or is broken, gets a message naming its first problem.
 * Resolves to the report (tests read it), or undefined when there was nothing to analyze.
 */
async function analyzeNetwork(deps: CommandDeps, uri?: vscode.Uri) {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target) {
    void vscode.window.showWarningMessage('Init Inspector: open or select a network description (.net.json) to analyze.');
    return undefined;
  }
  const doc = await vscode.workspace.openTextDocument(target);
  const text = doc.getText();
  const name = vscode.workspace.asRelativePath(target);
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Init Inspector: analyzing ${name}`, cancellable: true },
    async (progress, token) => {
      let last = 0;
      return deps.runner.run({ text, options: { mode: 'both', file: name } }, (fraction) => {
        progress.report({ increment: (fraction - last) * 100 });
        last = fraction;
      }, token);
    },
  ).then((r) => r, (err: Error) => {
    if (err.message !== 'cancelled') void vscode.window.showErrorMessage(`Init Inspector: analysis of ${name} failed: ${err.message}`);
    return undefined;
  });
  if (!report) return undefined;
  deps.output.clear();
  deps.output.appendLine(formatReport(report, pointerLocator(text), name));
  deps.output.show(true);
  const firstProblem = report.problems.find((p) => p.severity === 'error');
  if (firstProblem) {
    void vscode.window.showErrorMessage(`Init Inspector: ${name} is not a valid network description: ${name}:${firstProblem.line}:${firstProblem.column}: ${firstProblem.message}`);
  }
  return report;
}
