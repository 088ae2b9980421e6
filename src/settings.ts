import * as vscode from 'vscode';
import type { FindingCode, Severity } from './engine';

export type SeveritySetting = 'error' | 'warning' | 'information' | 'hint' | 'off';

/** Reads `initInspector.diagnostics.*`. */
export function diagnosticsSettings(): { enabled: boolean; severity: Partial<Record<FindingCode, SeveritySetting>> } {
  const config = vscode.workspace.getConfiguration('initInspector.diagnostics');
  return { enabled: config.get<boolean>('enabled', true), severity: config.get<Partial<Record<FindingCode, SeveritySetting>>>('severity', {}) };
}

/** The editor severity of a finding: the per-code setting when there is one, else the finding's own. */
export function toDiagnosticSeverity(severity: Severity, override: SeveritySetting | undefined): vscode.DiagnosticSeverity | null {
  const s = override ?? (severity === 'info' ? 'information' : severity);
  switch (s) {
    case 'error': return vscode.DiagnosticSeverity.Error;
    case 'warning': return vscode.DiagnosticSeverity.Warning;
    case 'information': return vscode.DiagnosticSeverity.Information;
    case 'hint': return vscode.DiagnosticSeverity.Hint;
    case 'off': return null;
  }
}
