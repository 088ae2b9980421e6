import * as vscode from 'vscode';
import { isModelDescription } from '../engine';

/** Context key listing the workspace's network descriptions, for `resourcePath in initInspector.networkFiles`. */
export const NETWORK_FILES_CONTEXT = 'initInspector.networkFiles';
/** Files larger than this are not read to decide whether they are networks. */
const MAX_SNIFF_BYTES = 2 * 1024 * 1024;
/** The files that may be network descriptions: JSON, and YAML (a GPT-NeoX config). */
const NETWORK_FILE_GLOB = '**/*.{json,jsonc,yml,yaml}';

/**
 * Keeps the set of JSON and YAML files that are network descriptions (decided by content: an object with `input` and
 * `layers`, or a framework's file the engine reads, such as a Hugging Face config.json with `model_type` or a GPT-NeoX
 * YAML config with `num-layers` and `hidden-size`), updated by a file watcher and by edits of open documents, and
 * mirrors it into a context key.
 */
export class NetworkFileIndex implements vscode.Disposable {
  private readonly paths = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private publishTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly editTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher(NETWORK_FILE_GLOB);
    this.disposables.push(
      watcher,
      watcher.onDidCreate((uri) => void this.refresh(uri)),
      watcher.onDidChange((uri) => void this.refresh(uri)),
      watcher.onDidDelete((uri) => this.set(uri, false)),
      vscode.workspace.onDidOpenTextDocument((doc) => this.fromDocument(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => this.fromDocumentSoon(e.document)),
    );
  }

  /** Scans the workspace once; resolves when the context key holds the result. */
  async scan(): Promise<void> {
    const uris = await vscode.workspace.findFiles(NETWORK_FILE_GLOB, '**/node_modules/**', 5000);
    await Promise.all(uris.map((uri) => this.refresh(uri)));
    for (const doc of vscode.workspace.textDocuments) this.fromDocument(doc);
    await this.publish();
  }

  has(uri: vscode.Uri): boolean {
    return this.paths.has(uri.path);
  }

  /** Re-decides after typing pauses, so a large JSON file is not re-parsed on every keystroke. */
  private fromDocumentSoon(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.editTimers.get(key));
    this.editTimers.set(key, setTimeout(() => { this.editTimers.delete(key); this.fromDocument(doc); }, 500));
  }

  private fromDocument(doc: vscode.TextDocument): void {
    // Files on disk, and those of a virtual workspace's folders; not other views of a file (git:, output:, …).
    if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'vscode-remote' && !vscode.workspace.getWorkspaceFolder(doc.uri)) return;
    if (!/\.(jsonc?|ya?ml)$/i.test(doc.uri.path)) return;
    this.set(doc.uri, doc.getText().length <= MAX_SNIFF_BYTES && isModelDescription(doc.getText()));
  }

  private async refresh(uri: vscode.Uri): Promise<void> {
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > MAX_SNIFF_BYTES) return this.set(uri, false);
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      this.set(uri, isModelDescription(text));
    } catch {
      this.set(uri, false);
    }
  }

  private set(uri: vscode.Uri, isNetwork: boolean): void {
    const had = this.paths.has(uri.path);
    if (had === isNetwork) return;
    if (isNetwork) this.paths.add(uri.path);
    else this.paths.delete(uri.path);
    clearTimeout(this.publishTimer);
    this.publishTimer = setTimeout(() => void this.publish(), 50);
  }

  private async publish(): Promise<void> {
    await vscode.commands.executeCommand('setContext', NETWORK_FILES_CONTEXT, [...this.paths].sort());
  }

  dispose(): void {
    clearTimeout(this.publishTimer);
    for (const t of this.editTimers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}
