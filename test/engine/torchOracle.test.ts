import * as assert from 'node:assert/strict';
import { analyze } from '../../src/engine';
import type { LayerReport } from '../../src/engine/report/report';
import { readRepoFile } from '../repo';

// The second oracle of issue 12: real PyTorch (test/golden/make_torch_fixtures.py) runs GPT-2-, BERT- and
// Llama-shaped stacks of test/golden/torch_networks.json over 10 seeds of torch's generator. The engine cannot
// reproduce torch's random numbers, so it is compared in distribution: the median over ENGINE_SEEDS of each layer's
// statistic must lie within the seed tolerance of torch's median.
//
// Tolerance, on the log scale: |ln(engine median / torch median)| ≤ max(FLOOR, K·σ), σ the sample std of ln(statistic)
// over torch's 10 seeds. If the engine draws from torch's distribution, the difference of a 5-seed and a 10-seed
// median has std ≈ 1.2533·σ·√(1/5 + 1/10) ≈ 0.69σ, so K = 3 is about 4.4 of those standard deviations. FLOOR covers
// the statistics whose seed spread is nil or tiny (layer-norm outputs, the unit upstream noise, an entropy near 1) and
// float32 rounding. Measured with torch itself (the fixture's `probe`: medians over 5 other seeds) the worst statistic
// uses 51% of its tolerance; the fixture's `controls` (GPT-2 without its c_proj scaling 1/√(2·n_layer); Llama with
// unscaled logits) break it at 33 and 8 statistics. Both are tested below, so the tolerance is shown to pass a correct
// implementation and to fail a wrong one.
const K = 3;
const FLOOR = 0.003;
const ENGINE_SEEDS = [1, 2, 3, 4, 5];

const STATS = ['std', 'gradStd', 'logitStd', 'entropy', 'loss'] as const;
type Stat = (typeof STATS)[number];
type Medians = Partial<Record<Stat, number>>;

interface SeedSpread { median: number; min: number; max: number; values: number[] }
type FixtureLayer = { type: string } & Partial<Record<Stat, SeedSpread>>;
interface Fixtures {
  torch: string;
  seeds: number[];
  networks: Record<string, { layers: FixtureLayer[]; probe: Medians[] }>;
  controls: Record<string, { network: string; mistake: string; layers: Medians[] }>;
}

/** The transformer statistics of issue 12, read structurally (the names the engine's report gives them). */
type TransformerStats = { attention?: { logitStd: number; entropy: number } | null; loss?: { sampled: number } | null };

const fixtures = JSON.parse(readRepoFile('test', 'golden', 'torch_fixtures.json')) as Fixtures;
const networks = JSON.parse(readRepoFile('test', 'golden', 'torch_networks.json')) as Record<string, unknown>;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** max(FLOOR, K · sample std of ln v) over torch's seeds. */
function tolerance(values: number[]): number {
  const logs = values.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
  return Math.max(FLOOR, K * sd);
}

/** Every statistic whose median lies outside the tolerance of torch's, described; empty when all agree. */
function violations(expected: FixtureLayer[], actual: Medians[]): string[] {
  const out: string[] = [];
  expected.forEach((e, i) => {
    for (const stat of STATS) {
      const spread = e[stat];
      if (!spread) continue;
      const value = actual[i]?.[stat];
      if (value === undefined || !(value > 0)) {
        out.push(`layer ${i} (${e.type}) ${stat}: missing or not positive (${value})`);
        continue;
      }
      const off = Math.abs(Math.log(value / spread.median));
      const tol = tolerance(spread.values);
      if (off > tol) {
        out.push(`layer ${i} (${e.type}) ${stat}: ${value.toPrecision(4)} vs torch ${spread.median.toPrecision(4)} ` +
          `[${spread.min.toPrecision(4)}, ${spread.max.toPrecision(4)}], |ln ratio| ${off.toFixed(4)} > ${tol.toFixed(4)}`);
      }
    }
  });
  return out;
}

function statsOf(layer: LayerReport): Medians {
  const extra = layer as LayerReport & TransformerStats;
  const s: Medians = { std: layer.activation?.std, gradStd: layer.gradient?.std };
  if (extra.attention) {
    s.logitStd = extra.attention.logitStd;
    s.entropy = extra.attention.entropy;
  }
  if (extra.loss) s.loss = extra.loss.sampled;
  return s;
}

suite(`PyTorch oracle (torch ${fixtures.torch}, test/golden/make_torch_fixtures.py): transformer stacks in distribution`, () => {
  for (const [name, net] of Object.entries(fixtures.networks)) {
    test(`${name}: the tolerance passes torch's own medians over 5 other seeds`, () => {
      assert.deepEqual(violations(net.layers, net.probe), []);
    });
  }

  for (const [name, control] of Object.entries(fixtures.controls)) {
    test(`the tolerance fails a wrong network: ${control.mistake}`, () => {
      const found = violations(fixtures.networks[control.network].layers, control.layers);
      assert.ok(found.length > 0, `${name}: no statistic outside the tolerance`);
    });
  }

  for (const [name, expected] of Object.entries(fixtures.networks)) {
    test(`${name}: the engine's per-layer medians over ${ENGINE_SEEDS.length} seeds lie within torch's seed spread`, function (this: Mocha.Context) {
      this.timeout(240_000);
      const text = JSON.stringify(networks[name]);
      const runs = ENGINE_SEEDS.map((seed) => {
        const report = analyze(text, { mode: 'sampled', seed });
        if (report.problems.length > 0) throw new Error(JSON.stringify(report.problems));
        if (report.sampledRefused) throw new Error(report.sampledRefused);
        return report.layers;
      });
      const layers = runs[0];
      assert.deepEqual(layers.map((l) => l.type), expected.layers.map((l) => l.type), 'layers in execution order');
      const medians = layers.map((_, i) => {
        const m: Medians = {};
        for (const stat of STATS) {
          const values = runs.map((r) => statsOf(r[i])[stat]);
          if (values.every((v): v is number => v !== undefined)) m[stat] = median(values);
        }
        return m;
      });
      const found = violations(expected.layers, medians);
      assert.deepEqual(found, [], `${name}: ${found.length} statistics outside torch's seed tolerance`);
    });
  }
});
