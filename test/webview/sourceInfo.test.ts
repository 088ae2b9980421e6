import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../src/engine';
import { panelReport } from '../../src/protocol/panelProtocol';
import { sourceSummary } from '../../webview/sourceInfo';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (...parts: string[]): string => fs.readFileSync(path.join(ROOT, 'test', 'fixtures', ...parts), 'utf8');

suite('what an imported file was read as, under the panel\'s status (webview/sourceInfo.ts)', () => {
  test('a Hugging Face config: its architecture, format and family, the parameter count, the tokens, the init rules and every note', () => {
    const report = analyze(read('huggingFace', 'tiny-gpt2-wide-init.config.json'), { mode: 'analytic' });
    const info = sourceSummary(panelReport(report, 1))!;
    assert.equal(info.summary, `Read as GPT2LMHeadModel (Hugging Face config, gpt2) · ${report.cost!.parameterCount.toLocaleString('en-US')} parameters · 16 tokens per sequence`);
    assert.match(info.initRules, /^transformers 4\.x GPT2PreTrainedModel\._init_weights/);
    assert.deepEqual(info.notes, report.source!.notes);
  });

  test('a Keras model counts as model.summary() does (the Normalization\'s 9 included); the engine\'s own format has none', () => {
    const info = sourceSummary(panelReport(analyze(read('keras', 'keras2.13-functional-squeeze-excite.json'), { mode: 'analytic' }), 1))!;
    assert.equal(info.summary, 'Read as se_tokens (Keras model, Functional) · 832 parameters');
    assert.equal(sourceSummary(panelReport(analyze(JSON.stringify({ input: { shape: [4] }, layers: [{ type: 'dense', units: 2 }] }), { mode: 'analytic' }), 1)), null);
  });
});
