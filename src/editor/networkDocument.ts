import * as vscode from 'vscode';
import { isModelDescription } from '../engine';

/** Larger documents are not analyzed live (they could hold the editor); the panel and the CLI still analyze them. */
export const LIVE_ANALYSIS_MAX_CHARS = 2_000_000;

/** The languages a network description can be written in: JSON, and YAML for a GPT-NeoX config. */
export const NETWORK_LANGUAGES: readonly string[] = ['json', 'jsonc', 'yaml'];

/**
 * Whether a document is a network description: JSON named *.net.json, or JSON or YAML whose content is one (the
 * engine's format, or a framework's file such as a Hugging Face config.json or a GPT-NeoX YAML config).
 */
export function isNetworkDocument(doc: vscode.TextDocument): boolean {
  if (!NETWORK_LANGUAGES.includes(doc.languageId)) return false;
  if (/\.net\.jsonc?$/i.test(doc.uri.path)) return true;
  return doc.getText().length <= LIVE_ANALYSIS_MAX_CHARS && isModelDescription(doc.getText());
}

/** The editor range of a character range of a document (zero-length ranges widen to one character). */
export function rangeOf(doc: vscode.TextDocument, offset: number, length: number): vscode.Range {
  const start = doc.positionAt(offset);
  const end = doc.positionAt(offset + Math.max(length, 1));
  return new vscode.Range(start, end);
}

/** The whole text of a document, for an edit that rewrites it (one undo step). */
export function wholeDocument(doc: vscode.TextDocument): vscode.Range {
  return new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
}
