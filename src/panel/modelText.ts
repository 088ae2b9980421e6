import * as vscode from 'vscode';
import { isZip, kerasZipText } from '../engine';

/** A model file's text as the engine reads it, and the version of the document it came from (0 for a `.keras` zip). */
export interface ModelText {
  text: string;
  version: number;
  /** The open text document, or null for a binary `.keras` zip (no editor, no diagnostics). */
  doc: vscode.TextDocument | null;
}

/** Whether a file is a Keras `.keras` zip, by its extension (its bytes are checked when read). */
export function isKerasZipFile(uri: vscode.Uri): boolean {
  return /\.keras$/i.test(uri.path);
}

/**
 * Reads a model file: a `.keras` zip from its bytes (its `config.json` with the zip's Keras version, `kerasZipText`),
 * any other file as its text document. Throws with a readable message when the file cannot be read.
 */
export async function readModelText(uri: vscode.Uri): Promise<ModelText> {
  if (isKerasZipFile(uri)) {
    const bytes = await vscode.workspace.fs.readFile(uri);
    const text = isZip(bytes) ? kerasZipText(bytes) : null;
    if (text === null) throw new Error('not a .keras zip with a config.json (Keras 3, tf.keras 2.13+)');
    return { text, version: 0, doc: null };
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  return { text: doc.getText(), version: doc.version, doc };
}
