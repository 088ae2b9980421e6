import * as assert from 'node:assert/strict';
import { analyze } from '../../../src/engine';
import { type HostToWebview, type PanelReport, panelReport } from '../../../src/protocol/panelProtocol';
import { validateHostToWebview } from '../../../src/protocol/validateHostMessage';

type Example<M extends { type: string }> = { [K in M['type']]: Extract<M, { type: K }> };
type Variants<M extends { type: string }> = { [K in M['type']]: [string, unknown][] };

const text = JSON.stringify({ input: { shape: [8] }, batch_size: 4, layers: [{ type: 'dense', units: 8, activation: 'tanh', init: { scheme: 'normal', std: 0.01 } },
  { type: 'repeat', times: 2, layers: [{ type: 'residual', layers: [{ type: 'dense', units: 8 }, { type: 'dense', units: 8 }] }] }, { type: 'dense', units: 2 }] });
const report: PanelReport = panelReport(analyze(text, { mode: 'analytic' }), 3);
const settings = { seed: 0, batchSize: 4, mode: 'analytic' as const };
assert.equal(report.blocks[0].blocks.length, 2, 'the example report has repeated blocks');

/** One valid message of every host → webview type, as the panel sends them; a new type does not compile until it has one. */
const valid: Example<HostToWebview> = {
  panelOpened: { type: 'panelOpened', fileName: 'a.net.json', fileUri: 'file:///work/a.net.json', settings, whatIf: null, schemes: ['keep', 'xavier_normal'] },
  analysisStarted: { type: 'analysisStarted', runId: 3 },
  analysisProgressed: { type: 'analysisProgressed', runId: 3, fraction: 0.5 },
  analysisComputed: { type: 'analysisComputed', runId: 3, report, settings, whatIf: { target: '/layers/0', scheme: 'keep', multiplier: 2 }, weightLayers: [{ path: '/layers/0', label: 'dense' }], engineMs: 41.5, offersPastBudget: false },
  predictionComputed: { type: 'predictionComputed', runId: 4, report, settings, whatIf: { target: 'all', scheme: 'keep', multiplier: 0.5 }, sampledPending: true },
  analysisFailed: { type: 'analysisFailed', runId: 3, message: 'the engine worker stopped' },
  analysisCancelled: { type: 'analysisCancelled', runId: 3 },
  whatIfApplied: { type: 'whatIfApplied', whatIf: { target: 'all', scheme: 'xavier_normal', multiplier: 1 } },
  exportRequested: { type: 'exportRequested', format: 'png' },
};

const malformed: Variants<HostToWebview> = {
  panelOpened: [['no settings', { ...valid.panelOpened, settings: undefined }], ['schemes not strings', { ...valid.panelOpened, schemes: [1] }]],
  analysisStarted: [['a negative run id', { type: 'analysisStarted', runId: -1 }], ['a string run id', { type: 'analysisStarted', runId: '3' }]],
  analysisProgressed: [['a fraction above 1', { type: 'analysisProgressed', runId: 3, fraction: 1.5 }], ['no fraction', { type: 'analysisProgressed', runId: 3 }]],
  analysisComputed: [
    ['no report', { ...valid.analysisComputed, report: null }],
    ['a report without layers', { ...valid.analysisComputed, report: { ...report, layers: undefined } }],
    ['a layer without its index', { ...valid.analysisComputed, report: { ...report, layers: [{ name: 'x' }] } }],
    ['a report without blocks', { ...valid.analysisComputed, report: { ...report, blocks: undefined } }],
    ['a block past the last layer', { ...valid.analysisComputed, report: { ...report, blocks: [{ ...report.blocks[0], blocks: [{ ...report.blocks[0].blocks[0], lastLayer: report.layers.length }] }] } }],
    ['a block ending before it starts', { ...valid.analysisComputed, report: { ...report, blocks: [{ ...report.blocks[0], blocks: [{ ...report.blocks[0].blocks[1], lastLayer: 1 }] }] } }],
    ['a group without blocks', { ...valid.analysisComputed, report: { ...report, blocks: [{ ...report.blocks[0], blocks: [] }] } }],
    ['a target that is no pointer', { ...valid.analysisComputed, weightLayers: [{ path: 'layers/0', label: 'dense' }] }],
    ['constructor as what-if scheme', { ...valid.analysisComputed, whatIf: { target: 'all', scheme: 'constructor', multiplier: 1 } }],
    ['no engine time', { ...valid.analysisComputed, engineMs: undefined }],
    ['a negative engine time', { ...valid.analysisComputed, engineMs: -2 }],
    ['a NaN engine time', { ...valid.analysisComputed, engineMs: NaN }],
    ['no offer past the budget', { ...valid.analysisComputed, offersPastBudget: undefined }],
    ['an offer past the budget as a number', { ...valid.analysisComputed, offersPastBudget: 1 }],
  ],
  predictionComputed: [
    ['no report', { ...valid.predictionComputed, report: undefined }],
    ['a report without layers', { ...valid.predictionComputed, report: { ...report, layers: undefined } }],
    ['no sampledPending', { ...valid.predictionComputed, sampledPending: undefined }],
    ['sampledPending as string', { ...valid.predictionComputed, sampledPending: 'true' }],
    ['a zero run id', { ...valid.predictionComputed, runId: 0 }],
    ['no settings', { ...valid.predictionComputed, settings: undefined }],
    ['toString as what-if scheme', { ...valid.predictionComputed, whatIf: { target: 'all', scheme: 'toString', multiplier: 1 } }],
    ['an inherited report', { ...valid.predictionComputed, report: Object.create(report) }],
  ],
  analysisFailed: [['no message', { type: 'analysisFailed', runId: 3 }]],
  analysisCancelled: [['no run id', { type: 'analysisCancelled' }]],
  whatIfApplied: [['no what-if', { type: 'whatIfApplied', whatIf: null }]],
  exportRequested: [['another format', { type: 'exportRequested', format: 'svg' }]],
};

suite('the webview checks every host → webview message (validateHostMessage.ts)', () => {
  for (const [type, message] of Object.entries(valid)) {
    test(`${type}: a message as the host sends it is accepted, rebuilt equal`, () => {
      assert.deepEqual(validateHostToWebview(JSON.parse(JSON.stringify(message))), JSON.parse(JSON.stringify(message)));
    });
  }
  test('malformed variants of every type, and inherited names as types, are rejected', () => {
    for (const [type, variants] of Object.entries(malformed)) {
      for (const [what, message] of variants) assert.equal(validateHostToWebview(message), null, `${type}: ${what}`);
    }
    for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) assert.equal(validateHostToWebview({ type }), null, type);
    assert.equal(validateHostToWebview(null), null);
    assert.equal(validateHostToWebview([valid.analysisStarted]), null);
  });
});
