import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Report } from '../../src/engine';
import { activateExtension, waitFor, workspaceUri } from './workspace';

const analyzeCommand = (uri: vscode.Uri): Thenable<Report> => vscode.commands.executeCommand<Report>('initInspector.analyzeNetwork', uri);

function panelTabs(name: string): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === `Init: ${name}`);
}

async function write(name: string, doc: unknown): Promise<vscode.Uri> {
  const uri = workspaceUri(name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify(doc, null, 2) + '\n'));
  return uri;
}

suite('the analysis panel', () => {
  suiteSetup(async () => { await activateExtension(); });
  teardown(async () => { await vscode.commands.executeCommand('workbench.action.closeAllEditors'); });

  test('the command opens one panel per file, and running it again reveals that panel', async () => {
    const uri = workspaceUri('small-cnn.net.json');
    const first = await analyzeCommand(uri);
    assert.equal(first.layers.length, 12);
    assert.equal(first.mode, 'both');
    await analyzeCommand(uri);
    assert.equal(panelTabs('small-cnn.net.json').length, 1);
    await analyzeCommand(workspaceUri('residual-zero-last.net.json'));
    assert.equal(panelTabs('residual-zero-last.net.json').length, 1);
  });

  test('the panel follows the file: an edit re-analyzes, and only the newest text\'s result is kept', async () => {
    const net = (std: number, name: string) => ({ name, input: { shape: [64] }, batch_size: 8, layers: [{ type: 'repeat', times: 4, layers: [{ type: 'dense', units: 64, activation: 'tanh', init: { scheme: 'normal', std } }] }] });
    const uri = await write('follow.net.json', net(0.125, 'v0'));
    const before = await analyzeCommand(uri);
    assert.equal(before.network, 'v0');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    for (const [i, std] of [[1, 0.01], [2, 0.02]] as const) {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), JSON.stringify(net(std, `v${i}`), null, 2));
      await vscode.workspace.applyEdit(edit);
    }
    const after = await waitFor('the panel to show v2', async () => { const r = await analyzeCommand(uri); return r.network === 'v2' ? r : undefined; });
    assert.equal(after.layers[0].init!.std, 0.02);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await analyzeCommand(uri)).network, 'v2', 'a stale run never replaces the newest');
  });

  test('a sampled run over budget is refused with the estimate, and the prediction is still shown', async () => {
    const uri = await write('huge.net.json', { input: { shape: [200000] }, batch_size: 512, layers: [{ type: 'dense', units: 200000, activation: 'relu', init: 'he_normal' }] });
    const report = await analyzeCommand(uri);
    assert.match(report.sampledRefused!, /sampled run refused: it would need 40960\.00 GFLOP per forward pass/);
    assert.equal(report.layers[0].activation, null);
    assert.ok(Math.abs(report.layers[0].predicted!.activationStd - Math.sqrt(1 - 1 / Math.PI)) < 1e-3);
  });

  test('exports the report as JSON and CSV and the charts as PNG', async () => {
    const uri = workspaceUri('small-cnn.net.json');
    await analyzeCommand(uri);
    const json = workspaceUri('out.report.json');
    const csv = workspaceUri('out.report.csv');
    const png = workspaceUri('out.charts.png');
    await vscode.commands.executeCommand('initInspector.exportReport', uri, 'json', json);
    await vscode.commands.executeCommand('initInspector.exportReport', uri, 'csv', csv);
    assert.equal(await vscode.commands.executeCommand('initInspector.exportChartsImage', uri, png), true);
    const report = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(json)));
    assert.equal(report.layers.length, 12);
    // Where the run's time went: the engine's own time at once; the transfer and drawing times once the webview drew it.
    assert.ok(report.panelTimings.engineMs >= report.timings.parseMs + report.timings.analyticMs + report.timings.sampledMs, JSON.stringify(report.panelTimings));
    const drawn = await waitFor('the webview to report drawing the run', async () => {
      await vscode.commands.executeCommand('initInspector.exportReport', uri, 'json', json);
      const { panelTimings } = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(json)));
      return panelTimings.drawMs === null ? undefined : panelTimings;
    });
    assert.ok(drawn.drawMs >= 0 && drawn.transferMs >= 0 && drawn.engineMs === report.panelTimings.engineMs, JSON.stringify(drawn));
    const rows = new TextDecoder().decode(await vscode.workspace.fs.readFile(csv)).trim().split('\n');
    assert.equal(rows.length, 13);
    assert.match(rows[0], /^index,path,name,type,output_shape/);
    const bytes = await vscode.workspace.fs.readFile(png);
    assert.deepEqual([...bytes.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(bytes.length > 20000, `PNG of ${bytes.length} bytes holds the charts`);
  });

  test('closing the panel mid-run answers everything pending: the report (none) and an image export (false)', async () => {
    const uri = workspaceUri('tanh-0.01-randn.net.json');
    const pending = analyzeCommand(uri);
    await waitFor('the panel to open', async () => (panelTabs('tanh-0.01-randn.net.json').length === 1 ? true : undefined));
    const image = vscode.commands.executeCommand<boolean>('initInspector.exportChartsImage', uri, workspaceUri('never.charts.png'));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const settled = await Promise.race([Promise.all([pending, image]), new Promise((r) => setTimeout(() => r('still waiting'), 10000))]);
    assert.deepEqual(settled, [undefined, false]);
  });

  test('a broken file opens no panel and the message points at its first problem', async () => {
    const uri = workspaceUri('broken-panel.net.json');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('{ "input": { "shape": [4] }, "layers": [ { "type": "dense" } ] }'));
    const report = await analyzeCommand(uri);
    assert.match(report.problems[0].message, /missing required property "units"/);
    assert.equal(panelTabs('broken-panel.net.json').length, 0);
  });
});
