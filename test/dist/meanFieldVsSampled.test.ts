import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, type Report } from '../../src/engine';
import { loadComputeBackend } from '../../src/kernels/loadComputeBackend';
import { assertClose, readRepoFile, ROOT } from '../repo';

// Issue 12: every layer's prediction (output mean and std, gradient std) is within 10% of the median of the sampled
// values over 5 seeds, or it is marked approximate with a bound that covers the difference. The mean is compared
// relative to the sampled std (a mean of 0 cannot be within 10% of itself). The WebAssembly backend runs the 4096-wide
// lecture networks in seconds where the reference would take minutes.

const { backend } = loadComputeBackend(path.join(ROOT, 'dist'));
const SEEDS = [0, 1, 2, 3, 4];
const WITHIN = 0.1;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Every example and every golden network, by name. */
function networks(): [string, string][] {
  const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.net.json')).sort()
    .map((f): [string, string] => [f, readRepoFile('examples', f)]);
  const golden = JSON.parse(readRepoFile('test', 'golden', 'networks.json')) as Record<string, unknown>;
  return [...examples, ...Object.entries(golden).map(([name, net]): [string, string] => [`golden ${name}`, JSON.stringify(net)])];
}

/** How far a prediction is from the median sampled value, relative to `scale` (the value itself, or the std for a mean). */
function relativeError(predicted: number, sampled: number, scale: number): number {
  if (scale === 0) return predicted === sampled ? 0 : Math.abs(predicted) < 1e-12 ? 0 : Infinity;
  return Math.abs(predicted - sampled) / scale;
}

/** Each quantity's relative error and the bound the prediction claims for it (≤ 10% unless approximate; null unknown). */
export function comparisons(reports: Report[]): { layer: number; what: string; error: number; bound: number | null }[] {
  const out: { layer: number; what: string; error: number; bound: number | null }[] = [];
  const first = reports[0];
  first.layers.forEach((l, i) => {
    const p = l.predicted!;
    const at = (f: (r: Report) => number): number => median(reports.map(f));
    const std = at((r) => r.layers[i].activation!.std);
    const mean = at((r) => r.layers[i].activation!.mean);
    const grad = at((r) => r.layers[i].gradient!.std);
    // Within 10% always passes; beyond it, only an approximate prediction whose bound covers the difference.
    const bound = (by: number | null | undefined): number | null => (p.approximate && by !== undefined && by !== null ? Math.max(WITHIN, by) : p.approximate ? null : WITHIN);
    out.push({ layer: i, what: 'output std', error: relativeError(p.activationStd, std, std), bound: bound(p.approximateBy) });
    out.push({ layer: i, what: 'output mean', error: relativeError(p.activationMean, mean, std), bound: bound(p.approximateBy) });
    out.push({ layer: i, what: 'gradient std', error: relativeError(p.gradientStd, grad, grad), bound: bound(p.gradientApproximateBy) });
  });
  return out;
}

/**
 * Layers the mean field still misses by more than its bound, each for a reason it does not model yet. A gap that
 * closes fails the test until it is taken off this list (the list is checked to be exact). None at present: the
 * llama-stack's attention (its projections' own finite-size scatter) and the feature-sequence's all-zero tokens
 * before a layernorm (`constantGroupProbability`) are predicted within their bounds.
 */
const KNOWN_GAPS: Record<string, string[]> = {
};

/** The reports of a network at the five seeds, computed once for the tests below that read them. */
const reportsMemo = new Map<string, Report[]>();
function reportsOf(name: string, text: string): Report[] {
  if (!reportsMemo.has(name)) reportsMemo.set(name, SEEDS.map((seed) => analyze(text, { mode: 'both', seed, backend })));
  return reportsMemo.get(name)!;
}

suite('the mean-field prediction against the median of 5 sampled seeds, every layer of every example and golden network', () => {
  for (const [name, text] of networks()) {
    test(`${name}: within 10%, or approximate with a bound that covers the difference`, () => {
      const reports = reportsOf(name, text);
      for (const r of reports) assert.deepEqual(r.problems, []);
      // Every example and golden network fits the default budget, so each is compared (none passes by being skipped).
      assert.equal(reports[0].sampledRefused, null);
      // The prediction does not depend on the seed.
      assert.deepEqual(reports.map((r) => r.layers.map((l) => l.predicted)), reports.map(() => reports[0].layers.map((l) => l.predicted)));
      const failures = comparisons(reports).filter((c) => c.error > WITHIN && !(c.bound !== null && c.error <= c.bound));
      const describe = (c: (typeof failures)[number]): string => `layer ${c.layer} (${reports[0].layers[c.layer].name}) ${c.what}`;
      const pending = KNOWN_GAPS[name] ?? [];
      assert.deepEqual(failures.map((c) => `${describe(c)}: off by ${(100 * c.error).toFixed(1)}%, ${c.bound === null ? 'bound unknown' : `bound ${(100 * c.bound).toFixed(0)}%`}`)
        .filter((f) => !pending.some((p) => f.startsWith(`${p}:`))), []);
      assert.deepEqual(failures.map(describe).filter((f) => pending.includes(f)), pending, 'the list of known gaps is out of date');
    });
  }
});

// The lecture's two 4096-wide networks are close enough to the infinite-width limit that one seed is within 3% on
// every layer. Run on the WebAssembly backend (seed 0's report above); the reference backend gives the same
// statistics to 1e-4 (wasmBackend.test.ts, 'on the lecture network both backends agree'), so this holds for it too.
suite('mean-field prediction: one seed of the 4096-wide lecture networks', () => {
  for (const file of ['tanh-0.01-randn.net.json', 'kaiming-relu.net.json']) {
    test(`the sampled engine agrees with the prediction within 3%: ${file}, seed 0`, () => {
      const report = reportsOf(file, readRepoFile('examples', file))[SEEDS.indexOf(0)];
      assert.equal(report.seed, 0);
      for (const l of report.layers) {
        assertClose(l.activation!.std, l.predicted!.activationStd, 0.03, 0, `layer ${l.index} activation std`);
        assertClose(l.gradient!.std, l.predicted!.gradientStd, 0.03, 0, `layer ${l.index} gradient std`);
      }
    });
  }
});
