import * as assert from 'node:assert/strict';
import { analyze, type Report } from '../../src/engine';
import { EXAMPLE_STEPS } from '../../src/examples';
import { formatNumber as fmt, formatPercent as pct } from '../../src/engine/report/formatNumber';
import * as path from 'node:path';
import { loadComputeBackend } from '../../src/kernels/loadComputeBackend';
import { readRepoFile, ROOT } from '../repo';

// The numbers must be the ones the panel shows, so they come from the backend the panel uses.
const { backend, note } = loadComputeBackend(path.join(ROOT, 'dist'));

/** The numbers each walkthrough step quotes, with the report field the panel shows them from (seed 0, mode both). */
const QUOTED: Record<string, [string, (r: Report) => string][]> = {
  zeroInit: [
    ['**1** of 1024', (r) => `**${r.layers[5].activation!.distinctUnits}** of 1024`],
    ['std is **0**', (r) => `std is **${fmt(r.layers[0].activation!.std)}**`],
    ['std **1.01** with', (r) => `std **${fmt(r.layers[5].gradient!.std)}** with`],
    ['is **0** for every layer', (r) => `is **${fmt(r.layers[4].gradient!.std)}** for every layer`],
  ],
  smallRandn: [
    ['**0.492**, **0.289**, **0.179**, **0.113**, **0.072**, **0.0463**', (r) => r.layers.map((l) => `**${fmt(l.activation!.std)}**`).join(', ')],
    ['std **0.0951**', (r) => `std **${fmt(r.layers[0].gradient!.std)}**`],
  ],
  largerRandn: [
    ['**40.9%**', (r) => `**${pct(r.layers[0].activation!.saturatedFraction)}**`],
    ['near **0.872**', (r) => `near **${fmt(r.layers[0].activation!.std)}**`],
    ['to **5.43** at the', (r) => `to **${fmt(r.layers[0].gradient!.std)}** at the`],
  ],
  xavier: [
    ['**0.628** in the first layer, **0.296** in the sixth', (r) => `**${fmt(r.layers[0].activation!.std)}** in the first layer, **${fmt(r.layers[5].activation!.std)}** in the sixth`],
    ['is **0.506** of', (r) => `is **${fmt(r.layers[0].gradient!.std)}** of`],
  ],
  xavierRelu: [
    ['**0.583**, then down to **0.1**', (r) => `**${fmt(r.layers[0].activation!.std)}**, then down to **${fmt(r.layers[5].activation!.std)}**`],
  ],
  kaiming: [
    ['≈ **0.826**', (r) => `≈ **${fmt(r.layers[0].predicted!.activationStd)}**`],
    ['give\n**0.824** in the first layer and **0.802** in the sixth', (r) => `give\n**${fmt(r.layers[0].activation!.std)}** in the first layer and **${fmt(r.layers[5].activation!.std)}** in the sixth`],
    ['about **0.992**', (r) => `about **${fmt(r.layers[0].gradient!.std)}**`],
  ],
  residual: [
    ['std **1.73** after the first block, **3.04** after the second, **83** after the eighth', (r) => {
      const blocks = r.layers.filter((l) => l.type === 'residual').map((l) => fmt(l.activation!.std));
      return `std **${blocks[0]}** after the first block, **${blocks[1]}** after the second, **${blocks[7]}** after the eighth`;
    }],
    ['×**3.02** in variance', (r) => `×**${/×([\d.]+) per residual block/.exec(r.findings[0].message)![1]}** in variance`],
  ],
  transformer: [
    ['std is **0.118** after the first residual branch and **1.64** after the last (the mean field predicts\n**1.52**)', (r) => {
      const blocks = r.layers.filter((l) => l.type === 'residual');
      return `std is **${fmt(blocks[0].activation!.std)}** after the first residual branch and **${fmt(blocks[blocks.length - 1].activation!.std)}** after the last (the mean field predicts\n**${fmt(blocks[blocks.length - 1].predicted!.activationStd)}**)`;
    }],
    ['add a variance of **2.68**', (r) => `add a variance of **${/add a variance of ([\d.]+)/.exec(r.findings.find((f) => f.code === 'residual-stream-growth')!.message)![1]}**`],
    ['logit std **0.304** (predicted **0.303**', (r) => {
      const a = r.layers.find((l) => l.type === 'attention')!.attention!;
      return `logit std **${fmt(a.logitStd)}** (predicted **${fmt(a.predictedLogitStd)}**`;
    }],
    ['entropy **0.983** of ln(visible tokens)', (r) => `entropy **${fmt(r.layers.find((l) => l.type === 'attention')!.attention!.entropy)}** of ln(visible tokens)`],
    ['**10.97** against ln(50257) = **10.82**', (r) => {
      const loss = r.layers.find((l) => l.type === 'lm_head')!.loss!;
      return `**${loss.sampled!.toFixed(2)}** against ln(50257) = **${loss.uniform.toFixed(2)}**`;
    }],
  ],
};

suite('the walkthrough quotes the numbers the panel shows', () => {
  test('the numbers come from the WebAssembly kernels, as in the panel (not the fallback)', () => {
    assert.equal(note, null);
    assert.match(backend.name, /^wasm-simd128/);
  });

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

  test('with GPT-2\'s output-projection scaling the stream ends where step 8 says', () => {
    const report = analyze(readRepoFile('examples', 'gpt2-small.net.json'), { mode: 'both', backend });
    const blocks = report.layers.filter((l) => l.type === 'residual');
    const quoted = `its stream ends at std **${fmt(blocks[blocks.length - 1].activation!.std)}**`;
    assert.ok(readRepoFile('media', 'walkthrough', '8-transformer.md').includes(quoted), quoted);
    assert.equal(report.findings.find((f) => f.code === 'residual-stream-growth'), undefined);
  });

  test('with the last layer zero-initialized every residual block keeps std 1', () => {
    const report = analyze(readRepoFile('examples', 'residual-zero-last.net.json'), { mode: 'both', backend });
    const blocks = report.layers.filter((l) => l.type === 'residual');
    assert.ok(blocks.every((b) => fmt(b.activation!.std) === '1'));
    assert.ok(readRepoFile('media', 'walkthrough', '7-residual.md').includes('keeps std **1**'));
  });
});
