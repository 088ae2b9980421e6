import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Report } from '../../src/engine';
import { activateExtension, waitFor, workspaceUri } from './workspace';

const SOURCE = 'Init Inspector';
const codeOf = (d: vscode.Diagnostic): string => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));
const ours = (uri: vscode.Uri): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);

/** The range of a key's value in the document: `"key": value`. */
function valueRange(doc: vscode.TextDocument, key: string): vscode.Range {
  const match = new RegExp(`"${key}":\\s*([^,\\n}]+)`).exec(doc.getText());
  assert.ok(match, `${key} is in the document`);
  const start = match.index + match[0].length - match[1].length;
  return new vscode.Range(doc.positionAt(start), doc.positionAt(start + match[1].trimEnd().length));
}

// The workspace's config.json is the project's tiny GPT-2 with initializer_range 0.2 (ten times GPT-2's).
suite('a Hugging Face config.json in the editor', () => {
  suiteSetup(async () => { await activateExtension(); });
  teardown(async () => { await vscode.commands.executeCommand('workbench.action.closeAllEditors'); });

  test('is recognised by its content: warnings sit on the config keys that decide them, worded for the config', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri('config.json'));
    await vscode.window.showTextDocument(doc);
    const expected = ['attention-entropy-collapse', 'output-loss-above-uniform', 'residual-stream-growth'];
    const ds = await waitFor('the config\'s diagnostics', () => { const d = ours(doc.uri); return d.length === expected.length ? d : undefined; });
    assert.deepEqual(ds.map(codeOf).sort(), expected);
    const at = (code: string): vscode.Diagnostic => ds.find((d) => codeOf(d) === code)!;
    assert.deepEqual(at('output-loss-above-uniform').range, valueRange(doc, 'initializer_range'));
    assert.deepEqual(at('attention-entropy-collapse').range, valueRange(doc, 'n_head'));
    assert.deepEqual(at('residual-stream-growth').range, valueRange(doc, 'n_layer'));
    assert.match(at('residual-stream-growth').message, /Not a config\.json setting: transformers draws these weights in the gpt2 model's code/);
    assert.match(at('output-loss-above-uniform').message, /Fix: set initializer_range to 0\.031\d* \(from 0\.2/);
  });

  test('the quick fix rewrites initializer_range, the warning goes, and undo brings it back', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri('config.json'));
    const editor = await vscode.window.showTextDocument(doc);
    const ds = await waitFor('diagnostics', () => { const d = ours(doc.uri); return d.length === 3 ? d : undefined; });
    const loss = ds.find((d) => codeOf(d) === 'output-loss-above-uniform')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, loss.range, vscode.CodeActionKind.QuickFix.value);
    const preferred = actions.find((a) => a.isPreferred);
    assert.ok(preferred, actions.map((a) => a.title).join(' | '));
    assert.match(preferred.title, /^Set initializer_range to 0\.031\d*/);
    assert.ok(await vscode.workspace.applyEdit(preferred.edit!));
    assert.match(editor.document.getText(), /"initializer_range": 0\.031\d*/);
    await waitFor('the output-loss warning to go', () => (ours(doc.uri).some((d) => codeOf(d) === 'output-loss-above-uniform') ? undefined : true));
    await vscode.commands.executeCommand('undo');
    await waitFor('the warning back', () => (ours(doc.uri).some((d) => codeOf(d) === 'output-loss-above-uniform') ? true : undefined));
    assert.match(editor.document.getText(), /"initializer_range": 0\.2/);
  });

  test('Analyze Network opens its panel: the model built, its init rules and its parameter count, every layer at a config key', async () => {
    const report = await vscode.commands.executeCommand<Report>('initInspector.analyzeNetwork', workspaceUri('config.json'));
    assert.equal(report.source?.family, 'gpt2');
    assert.equal(report.source?.architecture, 'GPT2LMHeadModel');
    assert.match(report.source!.initRules, /^transformers 4\.x GPT2PreTrainedModel\._init_weights/);
    assert.equal(report.cost?.parameterCount, 1_660_928);
    assert.equal(report.batchSize, 1);
    assert.equal(report.sampledRefused, null);
    assert.equal(report.layers[0].path, '/vocab_size');
    assert.ok(report.layers.every((l) => Number.isFinite(l.activation!.std)));
    assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === 'Init: config.json').length, 1);
  });
});
