import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import type { Report } from '../../src/engine';
import { activateExtension, EXTENSION_ID, waitFor, workspaceUri } from '../integration/workspace';

/** A digest of every file of the workspace folder (name and content), to show that nothing was written. */
async function snapshot(): Promise<string> {
  const hash = createHash('sha256');
  const uris = (await vscode.workspace.findFiles('**/*')).sort((a, b) => a.path.localeCompare(b.path));
  for (const uri of uris) hash.update(uri.path).update(await vscode.workspace.fs.readFile(uri));
  return hash.digest('hex');
}

suite('restricted mode (a workspace folder that is not trusted)', () => {
  test('the workspace is untrusted, and the extension is active all the same', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the runner opens this folder in restricted mode');
    const ext = await activateExtension();
    assert.equal(ext.isActive, true);
    assert.ok((await vscode.commands.getCommands(true)).includes('initInspector.analyzeNetwork'));
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.capabilities.untrustedWorkspaces.supported, true);
  });

  test('warnings, hovers, quick fixes and the panel work, and write nothing', async () => {
    const before = await snapshot();
    const uri = workspaceUri('zero-init.net.json');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diagnostics = await waitFor('the warnings', () => {
      const ds = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Init Inspector');
      return ds.length > 0 ? ds : undefined;
    });
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostics[0].range);
    assert.ok(actions.length > 0);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, doc.positionAt(doc.getText().indexOf('"init"') + 2));
    assert.ok(hovers.length > 0);
    const report = await vscode.commands.executeCommand<Report>('initInspector.analyzeNetwork', uri);
    assert.equal(report.layers.length, 6);
    assert.match(report.backend ?? '', /wasm-simd128/, 'the engine process runs in restricted mode too');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(await snapshot(), before, 'no file of the workspace changed');
  });
});
