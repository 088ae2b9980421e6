import * as vscode from 'vscode';
import { analyze, readNetwork, readNetworkBytes, type Report } from './engine';
import { isKerasZipFile } from './panel/modelText';
import { EXAMPLE_STEPS, WALKTHROUGH_ID } from './examples';
import { rangeOf } from './editor/networkDocument';
import type { PanelManager } from './panel/panelManager';

/** Command ids, mirroring `contributes.commands` in package.json. */
export const Commands = {
  analyzeNetwork: 'initInspector.analyzeNetwork',
  openWalkthrough: 'initInspector.openWalkthrough',
  /** `initInspector.openExample.<step id>`: opens a walkthrough step's example and its panel. */
  openExample: (id: string): string => `initInspector.openExample.${id}`,
  /** Writes the open panel's report of a file to a target (JSON/CSV) without a dialog. */
  exportReport: 'initInspector.exportReport',
  /** Writes the open panel's charts of a file as PNG to a target without a dialog. */
  exportChartsImage: 'initInspector.exportChartsImage',
} as const;

export interface CommandDeps {
  panels: PanelManager;
  extensionUri: vscode.Uri;
}

/** Registers every command of the extension. */
export function registerCommands(context: vscode.ExtensionContext, deps: CommandDeps): void {
  const register = (id: string, f: (...args: never[]) => unknown): void => { context.subscriptions.push(vscode.commands.registerCommand(id, f)); };
  register(Commands.analyzeNetwork, (uri?: vscode.Uri) => analyzeNetwork(deps, uri));
  register(Commands.openWalkthrough, () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false));
  for (const step of EXAMPLE_STEPS) {
    register(Commands.openExample(step.id), () => analyzeNetwork(deps, vscode.Uri.joinPath(deps.extensionUri, 'examples', step.file)));
  }
  register(Commands.exportReport, (uri: vscode.Uri, format: 'json' | 'csv', target: vscode.Uri) => deps.panels.get(uri)?.exportReport(format, target));
  register(Commands.exportChartsImage, (uri: vscode.Uri, target: vscode.Uri) => deps.panels.get(uri)?.exportImage(target));
}

/**
 * Opens the analysis panel of a network file (the Explorer's selection, else the active editor) and resolves to the
 * report it shows. A file that is not a network description, or is broken, gets a message naming its first problem
 * (with a button that goes there) and no panel; the report with the problems is returned.
 */
async function analyzeNetwork(deps: CommandDeps, uri?: vscode.Uri): Promise<Report | undefined> {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!target) {
    void vscode.window.showWarningMessage('Init Inspector: open or select a network description (*.net.json) to analyze.');
    return undefined;
  }
  if (isKerasZipFile(target)) return analyzeKerasZip(deps, target);
  let doc: vscode.TextDocument;
  try {
    doc = await vscode.workspace.openTextDocument(target);
  } catch (err) {
    void vscode.window.showErrorMessage(`Init Inspector: cannot open ${target.fsPath}: ${(err as Error).message}`);
    return undefined;
  }
  const name = vscode.workspace.asRelativePath(target);
  const first = readNetwork(doc.getText()).problems.find((p) => p.severity === 'error');
  if (first) {
    const report = analyze(doc.getText(), { mode: 'analytic', file: name });
    void vscode.window.showErrorMessage(`Init Inspector: ${name} is not a valid network description. ${name}:${first.line}:${first.column}: ${first.message}`, 'Go to Problem')
      .then(async (choice) => {
        if (choice) await vscode.window.showTextDocument(doc, { selection: rangeOf(doc, first.offset, first.length) });
      });
    return report;
  }
  const panel = deps.panels.open(target);
  return panel.report ?? panel.nextReport();
}

/**
 * A `.keras` zip (binary, no editor): read from its bytes; a problem is shown as a message (its location is in the
 * zip's config.json), else the panel opens on it as on any model file.
 */
async function analyzeKerasZip(deps: CommandDeps, target: vscode.Uri): Promise<Report | undefined> {
  const name = vscode.workspace.asRelativePath(target);
  let bytes: Uint8Array;
  try {
    bytes = await vscode.workspace.fs.readFile(target);
  } catch (err) {
    void vscode.window.showErrorMessage(`Init Inspector: cannot open ${target.fsPath}: ${(err as Error).message}`);
    return undefined;
  }
  const read = readNetworkBytes(bytes);
  const first = read.problems.find((p) => p.severity === 'error');
  if (first) {
    void vscode.window.showErrorMessage(`Init Inspector: ${name} cannot be analyzed. ${first.message}`);
    return { ...analyze('{}', { mode: 'analytic', file: name }), problems: read.problems };
  }
  const panel = deps.panels.open(target);
  return panel.report ?? panel.nextReport();
}
