import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Report } from '../../src/engine';
import { activateExtension, EXTENSION_ID, waitFor } from './workspace';

/**
 * A file system that lives in memory, as a virtual workspace's does (no disk, no `file:` URI), and counts what is
 * written to it: the extension must read from it and write nothing unless the user saves or applies.
 */
class MemoryFileSystem implements vscode.FileSystemProvider {
  readonly files = new Map<string, Uint8Array>();
  writes = 0;
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const file = this.files.get(uri.path);
    if (file) return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: file.byteLength };
    if ([...this.files.keys()].some((p) => p.startsWith(`${uri.path.replace(/\/$/, '')}/`))) return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    throw vscode.FileSystemError.FileNotFound(uri);
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  readFile(uri: vscode.Uri): Uint8Array {
    const file = this.files.get(uri.path);
    if (!file) throw vscode.FileSystemError.FileNotFound(uri);
    return file;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    this.writes++;
    this.files.set(uri.path, content);
  }

  createDirectory(): void { /* directories are implied by the files' paths */ }

  delete(uri: vscode.Uri): void {
    this.writes++;
    this.files.delete(uri.path);
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions('read-only test file system');
  }
}

suite('virtual workspaces and restricted mode: read-only analysis', () => {
  const fsys = new MemoryFileSystem();
  let registration: vscode.Disposable;
  suiteSetup(async () => {
    await activateExtension();
    registration = vscode.workspace.registerFileSystemProvider('initinspector-mem', fsys, { isCaseSensitive: true });
  });
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    registration.dispose();
  });

  test('package.json declares both capabilities: untrusted workspaces supported, virtual workspaces supported', () => {
    const capabilities = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.capabilities;
    assert.deepEqual(capabilities, { untrustedWorkspaces: { supported: true }, virtualWorkspaces: true });
  });

  test('a network on a virtual file system gets its warnings, hover and panel, and nothing is written to it', async () => {
    const uri = vscode.Uri.from({ scheme: 'initinspector-mem', path: '/models/vanishing.net.json' });
    const text = JSON.stringify({ input: { shape: [256] }, batch_size: 8, layers: [{ type: 'repeat', times: 5, layers: [{ type: 'dense', units: 256, activation: 'tanh', init: { scheme: 'normal', std: 0.01 } }] }] }, null, 2);
    fsys.files.set(uri.path, new TextEncoder().encode(text));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diagnostics = await waitFor('diagnostics on the virtual file', () => {
      const ds = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Init Inspector');
      return ds.length > 0 ? ds : undefined;
    });
    assert.ok(diagnostics.some((d) => /vanishing/.test(String(typeof d.code === 'object' ? d.code.value : d.code))));
    const at = doc.positionAt(text.indexOf('"scheme"'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, at);
    assert.ok(hovers.length > 0);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostics[0].range);
    assert.ok(actions.length > 0, 'quick fixes are offered');
    const report = await vscode.commands.executeCommand<Report>('initInspector.analyzeNetwork', uri);
    assert.equal(report.layers.length, 5);
    assert.ok(report.layers[4].activation!.std < report.layers[0].activation!.std / 10, 'the sampled run read the virtual file');
    assert.equal(fsys.writes, 0, 'nothing was written');
    // A quick fix is an edit of the open document (undoable, unsaved), never a write of the file by itself.
    assert.ok(await vscode.workspace.applyEdit(actions[0].edit!));
    assert.equal(fsys.writes, 0);
    assert.ok(doc.isDirty);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.equal(doc.isDirty, false);
    assert.equal(fsys.writes, 0);
  });
});
