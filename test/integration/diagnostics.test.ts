import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { analyze } from '../../src/engine';
import { activateExtension, waitFor, workspaceUri } from './workspace';

const SOURCE = 'Init Inspector';

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

/** Resolves with the diagnostics once `accept` holds for them (after the next change, or now if it already holds). */
async function diagnosticsWhen(uri: vscode.Uri, accept: (ds: vscode.Diagnostic[]) => boolean, ms = 15000): Promise<vscode.Diagnostic[]> {
  return waitFor('diagnostics', () => { const ds = ours(uri); return accept(ds) ? ds : undefined; }, ms);
}

async function open(name: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(workspaceUri(name));
  return vscode.window.showTextDocument(doc);
}

/** The range of the first occurrence of `needle` in the document, narrowed to `part` inside it. */
function rangeOfText(doc: vscode.TextDocument, needle: string, part = needle): vscode.Range {
  const at = doc.getText().indexOf(needle);
  assert.ok(at >= 0, `${needle} is in the document`);
  const start = at + needle.indexOf(part);
  return new vscode.Range(doc.positionAt(start), doc.positionAt(start + part.length));
}

suite('inline warnings and quick fixes', () => {
  suiteSetup(async () => { await activateExtension(); });

  test('each classic example yields exactly its expected codes at the expected ranges', async () => {
    const cases: [string, string[], string | null, string | null][] = [
      ['zero-init.net.json', ['zero-init-symmetry'], '"init": "zeros"', '"zeros"'],
      ['tanh-0.01-randn.net.json', ['vanishing-activations', 'vanishing-gradients'], '"std": 0.01', '0.01'],
      ['xavier-tanh.net.json', [], null, null],
      ['kaiming-relu.net.json', [], null, null],
      ['residual-kaiming.net.json', ['residual-variance-growth'], null, null],
    ];
    for (const [file, expected, needle, part] of cases) {
      const editor = await open(file);
      const ds = await diagnosticsWhen(editor.document.uri, (d) => d.length === expected.length);
      await new Promise((r) => setTimeout(r, 400)); // nothing else arrives later
      const now = ours(editor.document.uri);
      assert.deepEqual(now.map(codeOf).sort(), expected, file);
      if (needle) for (const d of ds) assert.deepEqual(d.range, rangeOfText(editor.document, needle, part!), `${file} ${codeOf(d)} range`);
    }
  });

  test('a finding inside a repeat sits once on the template layer and says how many copies it affects', async () => {
    const editor = await open('zero-init.net.json');
    const [d] = await diagnosticsWhen(editor.document.uri, (ds) => ds.length === 1);
    assert.match(d.message, /all 1024 units of 'dense' start with weights 0.*\(6 copies of this layer, made by repeat\)/);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.match(String((d.code as { target: vscode.Uri }).target), /README\.md#zero-init-symmetry$/);
  });

  test('residual-variance-growth sits on the block and relates the branch\'s last layer', async () => {
    const editor = await open('residual-kaiming.net.json');
    const [d] = await diagnosticsWhen(editor.document.uri, (ds) => ds.length === 1);
    assert.equal(d.range.start.line, 8);
    assert.match(d.message, /variance grows ×3\.00 per residual block/);
    assert.equal(d.relatedInformation!.length, 1);
    assert.equal(d.relatedInformation![0].location.range.start.line, 10);
  });

  test('the preferred quick fix removes the diagnostic, the file then analyzes healthy, and undo brings it back', async () => {
    const editor = await open('tanh-0.01-randn.net.json');
    const uri = editor.document.uri;
    const [d] = await diagnosticsWhen(uri, (ds) => ds.length === 2);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range, vscode.CodeActionKind.QuickFix.value);
    const preferred = actions.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, actions.map((a) => a.title).join(' | '));
    assert.match(preferred[0].title, /^Use xavier_normal: std 0\.0156/);
    assert.ok(actions.some((a) => /^Set std to 0\.01563/.test(a.title)), 'the std number is offered too');
    assert.ok(await vscode.workspace.applyEdit(preferred[0].edit!));
    await diagnosticsWhen(uri, (ds) => ds.length === 0);
    assert.match(editor.document.getText(), /"init": "xavier_normal"/);
    assert.deepEqual(analyze(editor.document.getText(), { mode: 'analytic' }).findings, []);
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    await diagnosticsWhen(uri, (ds) => ds.length === 2);
  });

  test('the std-number fix and "fix all" also leave a healthy file', async () => {
    const editor = await open('xavier-relu.net.json');
    const uri = editor.document.uri;
    const ds = await diagnosticsWhen(uri, (x) => x.length === 3);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, ds[0].range, vscode.CodeActionKind.QuickFix.value);
    const all = actions.find((a) => a.title.startsWith('Init Inspector: fix all'));
    assert.ok(all, actions.map((a) => a.title).join(' | '));
    assert.ok(await vscode.workspace.applyEdit(all.edit!));
    await diagnosticsWhen(uri, (x) => x.length === 0);
    assert.match(editor.document.getText(), /"init": \{ "scheme": "kaiming_normal", "nonlinearity": "relu" \}/);
    await vscode.commands.executeCommand('undo');
  });

  test('a typo becomes a parse diagnostic at its line and column, within the debounce', async () => {
    const editor = await open('kaiming-relu.net.json');
    const uri = editor.document.uri;
    await diagnosticsWhen(uri, (ds) => ds.length === 0);
    const range = rangeOfText(editor.document, '"activation": "relu"', 'relu');
    const started = Date.now();
    await editor.edit((b) => b.replace(range, 'reluu'));
    const [d] = await diagnosticsWhen(uri, (ds) => ds.length === 1);
    console.log(`      (edit → diagnostic: ${Date.now() - started} ms, of which 300 ms debounce)`);
    assert.equal(codeOf(d), 'invalid-network');
    assert.equal(d.range.start.line, range.start.line);
    assert.equal(d.range.start.character, range.start.character - 1);
    assert.match(d.message, /unknown activation 'reluu' at \/layers\/0\/layers\/0\/activation \(did you mean 'relu'\?\)/);
    await vscode.commands.executeCommand('undo');
    await diagnosticsWhen(uri, (ds) => ds.length === 0);
  });

  test('hovering an init shows its std, σ_w², the fans and the predicted output std', async () => {
    const editor = await open('kaiming-relu.net.json');
    await diagnosticsWhen(editor.document.uri, (ds) => ds.length === 0);
    const pos = rangeOfText(editor.document, '"kaiming_normal"').start.translate(0, 3);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, pos);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))).join('\n');
    assert.match(text, /Init Inspector/);
    assert.match(text, /weight std \| 0\.0221/);
    assert.match(text, /σ_w² = fanIn·Var\(W\) \| 2 \|/);
    assert.match(text, /0\.826 → 0\.826/);
  });

  test('severity follows the settings per code, and the feature can be switched off', async () => {
    const editor = await open('tanh-0.01-randn.net.json');
    const uri = editor.document.uri;
    const config = vscode.workspace.getConfiguration('initInspector.diagnostics');
    try {
      await config.update('severity', { 'vanishing-gradients': 'off', 'vanishing-activations': 'error' }, vscode.ConfigurationTarget.Global);
      const [d] = await diagnosticsWhen(uri, (ds) => ds.length === 1 && ds[0].severity === vscode.DiagnosticSeverity.Error);
      assert.equal(codeOf(d), 'vanishing-activations');
      await config.update('enabled', false, vscode.ConfigurationTarget.Global);
      await diagnosticsWhen(uri, (ds) => ds.length === 0);
    } finally {
      await config.update('severity', undefined, vscode.ConfigurationTarget.Global);
      await config.update('enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    await diagnosticsWhen(uri, (ds) => ds.length === 2);
  });

  test('a JSON file that is not a network gets nothing', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri('package.json'));
    await vscode.window.showTextDocument(doc);
    await new Promise((r) => setTimeout(r, 800));
    assert.deepEqual(ours(doc.uri), []);
  });
});

suite('schema help while typing', () => {
  test('completion inside a network file offers the activations from the schema', async () => {
    const editor = await open('kaiming-relu.net.json');
    const range = rangeOfText(editor.document, '"activation": "relu"', 'relu');
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', editor.document.uri, range.start);
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label).replace(/"/g, ''));
    for (const name of ['tanh', 'relu', 'leaky_relu', 'gelu', 'selu']) assert.ok(labels.includes(name), `completion offers ${name}: ${labels.join(', ')}`);
  });

  test('a huge file gets one note instead of a live analysis, and the editor stays responsive', async () => {
    const uri = workspaceUri('huge-text.net.json');
    const padding = ' '.repeat(3_000_000);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(`{ "input": { "shape": [4] },${padding} "layers": [ { "type": "dense", "units": 2 } ] }`));
    const doc = await vscode.workspace.openTextDocument(uri);
    const [d] = await diagnosticsWhen(doc.uri, (ds) => ds.length === 1);
    assert.match(d.message, /too large for live diagnostics/);
    const started = Date.now();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.ok(Date.now() - started < 5000);
  });
});
