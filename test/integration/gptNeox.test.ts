import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Report } from '../../src/engine';
import { activateExtension, waitFor, workspaceUri } from './workspace';

const SOURCE = 'Init Inspector';
const FILE = 'pythia-normal-init.yml';
const codeOf = (d: vscode.Diagnostic): string => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));
const ours = (uri: vscode.Uri): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);

/** The range of a YAML entry as the file writes it, e.g. `"init_method": "normal"`. */
function entryRange(doc: vscode.TextDocument, entry: string): vscode.Range {
  const at = doc.getText().indexOf(entry);
  assert.ok(at >= 0, `${entry} is in the document`);
  return new vscode.Range(doc.positionAt(at), doc.positionAt(at + entry.length));
}

// The workspace's pythia-normal-init.yml is the project's Pythia-70M GPT-NeoX config (gpt-neox's own YAML) with
// "init_method": "normal" at "init-method-std": 0.1 (test/fixtures/gptNeox/pythia-70m-normal-init.yml).
suite('a GPT-NeoX YAML config in the editor', () => {
  suiteSetup(async () => { await activateExtension(); });
  teardown(async () => { await vscode.commands.executeCommand('workbench.action.closeAllEditors'); });

  test('is recognised by its content: warnings sit on the YAML keys that draw the weights, worded in gpt-neox\'s terms', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri(FILE));
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'yaml');
    const expected = ['attention-entropy-collapse', 'output-loss-above-uniform', 'residual-stream-growth'];
    const ds = await waitFor('the config\'s diagnostics', () => { const d = ours(doc.uri); return d.length === expected.length ? d : undefined; });
    assert.deepEqual(ds.map(codeOf).sort(), expected);
    const at = (code: string): vscode.Diagnostic => ds.find((d) => codeOf(d) === code)!;
    assert.deepEqual(at('attention-entropy-collapse').range, entryRange(doc, '"init_method": "normal"'));
    assert.match(at('attention-entropy-collapse').message, /Fix: set init_method to small_init \(std 0\.02795/);
    assert.deepEqual(at('residual-stream-growth').range, entryRange(doc, '"output_layer_init_method": "wang_init"'));
    assert.match(at('residual-stream-growth').message, /No one gpt-neox key makes this change: .* with std 0\.00425/);
  });

  test('the quick fix writes "init_method": "small_init" in the file\'s own quotes, the warnings go, and undo brings them back', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri(FILE));
    const editor = await vscode.window.showTextDocument(doc);
    const ds = await waitFor('diagnostics', () => { const d = ours(doc.uri); return d.length === 3 ? d : undefined; });
    const attention = ds.find((d) => codeOf(d) === 'attention-entropy-collapse')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, attention.range, vscode.CodeActionKind.QuickFix.value);
    const preferred = actions.find((a) => a.isPreferred);
    assert.ok(preferred, actions.map((a) => a.title).join(' | '));
    assert.match(preferred.title, /^Set init_method to small_init/);
    const before = doc.getText();
    assert.ok(await vscode.workspace.applyEdit(preferred.edit!));
    assert.equal(editor.document.getText(), before.replace('"init_method": "normal"', '"init_method": "small_init"'));
    // With Pythia's own init_method the config is Pythia-70M's: nothing is left to warn about.
    await waitFor('the warnings to go', () => (ours(doc.uri).length === 0 ? true : undefined));
    await vscode.commands.executeCommand('undo');
    await waitFor('the warnings back', () => (ours(doc.uri).length === 3 ? true : undefined));
    assert.equal(editor.document.getText(), before);
  });

  test('hovering init_method shows the weights it draws and their std', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri(FILE));
    await vscode.window.showTextDocument(doc);
    await waitFor('diagnostics', () => (ours(doc.uri).length === 3 ? true : undefined));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, entryRange(doc, '"init_method"').start.translate(0, 3));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /Init Inspector.*init_method/);
    assert.match(text, /`layers\.\*\.attention\.query_key_value\.weight` \| 0\.1 \|/);
  });

  test('Analyze Network opens its panel: gpt-neox\'s model and init, 70,426,624 parameters, every layer at a YAML key', async () => {
    const report = await vscode.commands.executeCommand<Report>('initInspector.analyzeNetwork', workspaceUri(FILE));
    assert.equal(report.source?.format, 'gpt-neox');
    assert.match(report.source!.initRules, /^gpt-neox megatron\/model\/init_functions\.py: init_method normal → N\(0, 0\.1²\)/);
    assert.equal(report.cost?.parameterCount, 70_426_624);
    assert.equal(report.layers[0].path, '/vocab-file');
    assert.ok(report.layers.every((l) => Number.isFinite(l.activation!.std)));
    assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === `Init: ${FILE}`).length, 1);
  });
});
