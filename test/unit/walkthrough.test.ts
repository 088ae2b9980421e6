import * as assert from 'node:assert/strict';
import { analyze, type Report } from '../../src/engine';
import { EXAMPLE_STEPS } from '../../src/examples';
import { fmt, pct } from '../../webview/dom';
import * as path from 'node:path';
import { loadComputeBackend } from '../../src/computeBackend';
import { readRepoFile, ROOT } from './repo';

// The numbers must be the ones the panel shows, so they come from the backend the panel uses.
const { backend } = loadComputeBackend(path.join(ROOT, 'dist'));

/** The numbers each walkthrough step quotes, with the report field the panel shows them from (seed 0, mode both). */
const QUOTED: Record<string, [string, (r: Report) => string][]> = {
  zeroInit: [
    ['**1** of 1024', (r) => `**${r.layers[5].activation!.distinctUnits}** of 1024`],
    ['std is **0**', (r) => `std is **${fmt(r.layers[0].activation!.std)}**`],
    ['std **1** with', (r) => `std **${fmt(r.layers[5].gradient!.std)}** with`],
    ['is **0** for every layer', (r) => `is **${fmt(r.layers[4].gradient!.std)}** for every layer`],
  ],
  smallRandn: [
    ['**0.493**, **0.29**, **0.179**, **0.113**, **0.0723**, **0.0461**', (r) => r.layers.map((l) => `**${fmt(l.activation!.std)}**`).join(', ')],
    ['std **0.0939**', (r) => `std **${fmt(r.layers[0].gradient!.std)}**`],
  ],
  largerRandn: [
    ['**40.9%**', (r) => `**${pct(r.layers[0].activation!.saturatedFraction)}**`],
    ['near **0.873**', (r) => `near **${fmt(r.layers[0].activation!.std)}**`],
    ['to **5.35** at the', (r) => `to **${fmt(r.layers[0].gradient!.std)}** at the`],
  ],
  xavier: [
    ['**0.629** in the first layer, **0.294** in the sixth', (r) => `**${fmt(r.layers[0].activation!.std)}** in the first layer, **${fmt(r.layers[5].activation!.std)}** in the sixth`],
    ['is **0.5** of', (r) => `is **${fmt(r.layers[0].gradient!.std)}** of`],
  ],
  xavierRelu: [
    ['**0.584**, then down to **0.102**', (r) => `**${fmt(r.layers[0].activation!.std)}**, then down to **${fmt(r.layers[5].activation!.std)}**`],
  ],
  kaiming: [
    ['≈ **0.826**', (r) => `≈ **${fmt(r.layers[0].predicted!.activationStd)}**`],
    ['give\n**0.826** in the first layer and **0.818** in the sixth', (r) => `give\n**${fmt(r.layers[0].activation!.std)}** in the first layer and **${fmt(r.layers[5].activation!.std)}** in the sixth`],
    ['about **1.01**', (r) => `about **${fmt(r.layers[0].gradient!.std)}**`],
  ],
  residual: [
    ['std **1.74** after the first block, **3.01** after the second, **77.2** after the eighth', (r) => {
      const blocks = r.layers.filter((l) => l.type === 'residual').map((l) => fmt(l.activation!.std));
      return `std **${blocks[0]}** after the first block, **${blocks[1]}** after the second, **${blocks[7]}** after the eighth`;
    }],
    ['×**2.96** in variance', (r) => `×**${/×([\d.]+) per residual block/.exec(r.findings[0].message)![1]}** in variance`],
  ],
};

suite('the walkthrough quotes the numbers the panel shows', () => {
  for (const [n, step] of EXAMPLE_STEPS.entries()) {
    test(`step ${n + 1} (${step.file})`, () => {
      const text = readRepoFile('media', 'walkthrough', `${n + 1}-${step.id}.md`);
      const report = analyze(readRepoFile('examples', step.file), { mode: 'both', backend });
      for (const [quoted, fromReport] of QUOTED[step.id]) {
        assert.ok(text.includes(quoted), `step ${n + 1} quotes ${quoted}`);
        assert.equal(fromReport(report), quoted);
      }
    });
  }

  test('with the last layer zero-initialized every residual block keeps std 1.01', () => {
    const report = analyze(readRepoFile('examples', 'residual-zero-last.net.json'), { mode: 'both', backend });
    const blocks = report.layers.filter((l) => l.type === 'residual');
    assert.ok(blocks.every((b) => fmt(b.activation!.std) === '1.01'));
    assert.ok(readRepoFile('media', 'walkthrough', '7-residual.md').includes('keeps std **1.01**'));
  });
});
