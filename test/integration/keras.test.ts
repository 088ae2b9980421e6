import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import * as vscode from 'vscode';
import type { Report } from '../../src/engine';
import { activateExtension, waitFor, workspaceUri } from './workspace';

const SOURCE = 'Init Inspector';
const ROOT = path.resolve(__dirname, '..', '..', '..');
const codeOf = (d: vscode.Diagnostic): string => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));
const ours = (uri: vscode.Uri): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);

/** The range of the value at a JSON path of the document, found by jsonc-parser. */
function valueRange(doc: vscode.TextDocument, at: (string | number)[]): vscode.Range {
  const node = findNodeAtLocation(parseTree(doc.getText())!, at);
  assert.ok(node, `${at.join('/')} is in the document`);
  return new vscode.Range(doc.positionAt(node.offset), doc.positionAt(node.offset + node.length));
}

const INIT = ['config', 'layers', 6, 'config', 'kernel_initializer'];

// The workspace's keras-cnn.json is the project's tf.keras 2.11 CNN (test/fixtures/keras/keras2-sequential-cnn.json):
// its second Conv2D keeps the default GlorotUniform before a LeakyReLU(0.3).
suite('a Keras model.to_json() and a .keras zip', () => {
  suiteSetup(async () => { await activateExtension(); });
  teardown(async () => { await vscode.commands.executeCommand('workbench.action.closeAllEditors'); });

  test('the warning sits on the kernel_initializer that decides it; hover gives its std; the quick fix writes a tf.keras initializer and the warning goes', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri('keras-cnn.json'));
    const editor = await vscode.window.showTextDocument(doc);
    const ds = await waitFor('the Keras file\'s diagnostics', () => { const d = ours(doc.uri); return d.length > 0 ? d : undefined; });
    assert.deepEqual(ds.map(codeOf), ['init-activation-mismatch']);
    assert.deepEqual(ds[0].range, valueRange(doc, INIT));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, ds[0].range.start.translate(0, 3));
    const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(hoverText, /xavier_uniform/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, ds[0].range, vscode.CodeActionKind.QuickFix.value);
    const preferred = actions.find((a) => a.isPreferred) ?? actions[0];
    assert.ok(preferred?.edit, actions.map((a) => a.title).join(' | '));
    assert.ok(await vscode.workspace.applyEdit(preferred.edit));
    const written = JSON.parse(editor.document.getText()) as { config: { layers: { config: { kernel_initializer: unknown } }[] } };
    // He for leaky_relu(0.3) as tf.keras writes it: VarianceScaling(2/(1 + 0.3²), fan_in, truncated_normal).
    assert.deepEqual(written.config.layers[6].config.kernel_initializer, { class_name: 'VarianceScaling', config: { scale: 1.83486, mode: 'fan_in', distribution: 'truncated_normal', seed: null } });
    await waitFor('the warning to go', () => (ours(doc.uri).length === 0 ? true : undefined));
    await vscode.commands.executeCommand('undo');
    await waitFor('the warning back', () => (ours(doc.uri).length === 1 ? true : undefined));
  });

  test('Analyze Network opens the panel on the Keras JSON: Keras 2.11\'s rules, and model.summary()\'s total', async () => {
    const report = await vscode.commands.executeCommand<Report>('initInspector.analyzeNetwork', workspaceUri('keras-cnn.json'));
    assert.equal(report.source?.format, 'keras');
    assert.match(report.source!.initRules, /^Keras 2\.11\.0: a truncated normal is divided by 0\.87962566103423978/);
    assert.equal(report.cost!.parameterCount + report.source!.uncountedParameters!, 9_122);
    assert.equal(report.layers[0].path, '/config/layers/2');
  });

  test('a .keras zip (binary) opens its panel from its config.json and metadata.json; the residual findings apply', async () => {
    const config = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'keras', 'keras3-functional-residual-mlp.json'), 'utf8');
    const uri = workspaceUri('residual-mlp.keras');
    await vscode.workspace.fs.writeFile(uri, zipSync({ 'metadata.json': strToU8('{"keras_version": "3.8.0", "date_saved": "2026-12-01@00:00:00"}'), 'config.json': strToU8(config) }));
    try {
      const report = await vscode.commands.executeCommand<Report>('initInspector.analyzeNetwork', uri);
      assert.equal(report.source?.format, 'keras');
      assert.match(report.source!.initRules, /^Keras 3\.8\.0/);
      assert.equal(report.cost!.parameterCount, 137_290);
      assert.ok(report.findings.some((f) => f.code === 'residual-variance-growth' && f.path === '/config/layers/5'));
      assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === 'Init: residual-mlp.keras').length, 1);
    } finally {
      await vscode.workspace.fs.delete(uri);
    }
  });
});
