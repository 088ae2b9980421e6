import * as assert from 'node:assert/strict';
import { analyze } from '../../src/engine';
import { panelReport } from '../../src/protocol/panelProtocol';
import { shownReport } from '../../webview/pendingReport';

const net = (times: number) => JSON.stringify({ input: { shape: [32] }, batch_size: 16, layers: [{ type: 'repeat', times, layers: [{ type: 'dense', units: 32, activation: 'tanh', init: { scheme: 'normal', std: 0.05 } }] }] });

suite('what the panel draws while a what-if\'s run is pending (webview/pendingReport.ts)', () => {
  const last = panelReport(analyze(net(3), { mode: 'both' }), 1);
  const prediction = panelReport(analyze(net(3), { mode: 'analytic', whatIf: { target: 'all', scheme: 'keep', multiplier: 4 } }), 1);

  test('the new prediction beside the previous run\'s samples, layer by layer, marked pending', () => {
    const shown = shownReport(last, prediction)!;
    assert.equal(shown.pending, true);
    assert.equal(shown.previous, last);
    shown.report.layers.forEach((l, i) => {
      assert.deepEqual(l.predicted, prediction.layers[i].predicted, `layer ${i}: the prediction is the new what-if's`);
      assert.deepEqual(l.activation, last.layers[i].activation, `layer ${i}: the samples are the previous run's`);
      assert.deepEqual(l.gradient, last.layers[i].gradient);
      assert.equal(l.init!.std, prediction.layers[i].init!.std, 'the init is the what-if\'s');
      assert.equal(l.init!.sampledStd, last.layers[i].init!.sampledStd);
    });
    // The what-if scaled the weights by 4: its prediction is not the previous one.
    assert.ok(shown.report.layers[2].predicted!.activationStd > 2 * last.layers[2].predicted!.activationStd);
    assert.deepEqual(shown.report.findings, prediction.findings);
  });

  test('when the layers differ (the file was edited), no old sample is laid beside the new prediction', () => {
    const edited = panelReport(analyze(net(4), { mode: 'analytic' }), 1);
    const shown = shownReport(last, edited)!;
    assert.equal(shown.pending, false);
    assert.ok(shown.report.layers.every((l) => l.activation === null && l.gradient === null));
    assert.equal(shown.previous, last, 'the previous run\'s findings and histograms are still shown, marked');
  });

  test('without a prediction, the last report as it is; without a report, the prediction alone', () => {
    assert.deepEqual(shownReport(last, null), { report: last, pending: false, previous: null });
    assert.deepEqual(shownReport(null, prediction), { report: prediction, pending: false, previous: null });
    assert.equal(shownReport(null, null), null);
  });
});
