import * as assert from 'node:assert/strict';
import { analyze } from '../../../src/engine';
import { reportCsv } from '../../../src/panel/reportExport';
import { fixture } from '../../engine/import/hfFixtures';

suite('the CSV export (src/panel/reportExport.ts)', () => {
  test('each row names its repeated block and, for attention and the gated MLP, each projection\'s init std', () => {
    const report = analyze(fixture('tiny-llama.config.json'), { mode: 'analytic' });
    const [header, ...rows] = reportCsv(report).trim().split('\n').map((line) => line.split(','));
    assert.equal(rows.length, report.layers.length);
    const column = (name: string): string[] => rows.map((r) => r[header.indexOf(name)]);
    const blocks = report.blocks[0].blocks;
    assert.deepEqual(column('block'), report.layers.map((l) => blocks.find((b) => b.firstLayer <= l.index && l.index <= b.lastLayer)?.name ?? ''));
    assert.deepEqual(blocks.map((b) => b.name), ['layers.0', 'layers.1']);
    const attention = report.layers.findIndex((l) => l.type === 'attention');
    assert.equal(column('projection_stds')[attention], 'q=0.02 k=0.02 v=0.02 o=0.02');
    assert.equal(column('projection_stds')[0], '');
  });
});
