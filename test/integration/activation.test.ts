import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Report } from '../../src/engine';
import { activateExtension, workspaceUri } from './workspace';

suite('the extension in a real VS Code', () => {
  test('activates', async () => {
    const ext = await activateExtension();
    assert.equal(ext.isActive, true);
  });

  test('registers its commands, as package.json declares them', async () => {
    const ext = await activateExtension();
    const declared = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of declared) assert.ok(registered.has(id), `${id} is registered`);
  });

  test('opens an example network as JSON', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri('kaiming-relu.net.json'));
    const editor = await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'json');
    assert.match(editor.document.getText(), /"kaiming_normal"/);
  });

  test('Analyze Network runs the engine in its worker and reports the classic finding', async () => {
    const report = await vscode.commands.executeCommand<Report>('initInspector.analyzeNetwork', workspaceUri('zero-init.net.json'));
    assert.ok(report, 'the command returns the report');
    assert.deepEqual(report.findings.map((f) => f.code), ['zero-init-symmetry']);
    assert.equal(report.layers.length, 6);
    assert.equal(report.layers[0].activation!.distinctUnits, 1);
  });

  test('a broken file gets a located problem, and nothing throws', async () => {
    const uri = workspaceUri('broken.net.json');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('{\n  "input": { "shape": [4] },\n  "layers": [ { "type": "dense", "units": 2, "activation": "tanhh" } ]\n}\n'));
    const report = await vscode.commands.executeCommand<Report>('initInspector.analyzeNetwork', uri);
    assert.equal(report.problems.length, 1);
    assert.equal(report.problems[0].line, 3);
    assert.match(report.problems[0].message, /unknown activation 'tanhh'/);
  });
});
