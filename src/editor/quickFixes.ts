import * as vscode from 'vscode';
import { applySourceFixes, type Fix, sourceFixEdits } from '../engine';
import { DIAGNOSTIC_SOURCE, type NetworkDiagnostics } from './diagnostics';
import { wholeDocument } from './networkDocument';

/**
 * Quick fixes for Init Inspector's diagnostics: the finding's fix (preferred), its alternatives (the std number the
 * fan implies), and "fix all in file". Each is a normal, undoable workspace edit, in the file's own syntax (JSON or
 * YAML).
 */
export class InitQuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(private readonly diagnostics: NetworkDiagnostics) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const analysis = this.diagnostics.analysisOf(doc.uri);
    if (!analysis || analysis.version !== doc.version) return [];
    const actions: vscode.CodeAction[] = [];
    // Several findings can share a fix (vanishing activations and gradients both ask for the same init): offer it once.
    const offered = new Set<string>();
    const offer = (fix: Fix, diagnostic: vscode.Diagnostic, preferred: boolean): void => {
      const key = `${fix.path} ${JSON.stringify(fix.value)}`;
      if (offered.has(key)) return;
      offered.add(key);
      actions.push(this.action(doc, fix, diagnostic, preferred));
    };
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
      const code = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
      const match = analysis.findings.find((f) => f.finding.code === code && f.range.isEqual(diagnostic.range));
      if (!match?.finding.fix) continue;
      offer(match.finding.fix, diagnostic, !actions.some((a) => a.isPreferred));
      for (const alt of match.finding.alternatives) offer(alt, diagnostic, false);
    }
    const fixable = analysis.findings.filter((f) => f.finding.fix).map((f) => f.finding.fix as Fix);
    if (actions.length > 0 && fixable.length > 1) {
      const all = new vscode.CodeAction('Init Inspector: fix all init problems in this file', vscode.CodeActionKind.QuickFix);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, wholeDocument(doc), applySourceFixes(doc.getText(), fixable));
      all.edit = edit;
      all.diagnostics = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
      actions.push(all);
    }
    return actions;
  }

  private action(doc: vscode.TextDocument, fix: Fix, diagnostic: vscode.Diagnostic, preferred: boolean): vscode.CodeAction {
    const action = new vscode.CodeAction(fix.description.replace(/^./, (c) => c.toUpperCase()), vscode.CodeActionKind.QuickFix);
    const edit = new vscode.WorkspaceEdit();
    for (const e of sourceFixEdits(doc.getText(), fix, indentationOf(doc))) {
      edit.replace(doc.uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
    }
    action.edit = edit;
    action.diagnostics = [diagnostic];
    action.isPreferred = preferred;
    return action;
  }
}

function indentationOf(doc: vscode.TextDocument): { tabSize: number; insertSpaces: boolean } {
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
  const tabSize = typeof editor?.options.tabSize === 'number' ? editor.options.tabSize : 2;
  return { tabSize, insertSpaces: editor?.options.insertSpaces !== false };
}
