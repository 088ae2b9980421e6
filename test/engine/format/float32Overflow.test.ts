import * as assert from 'node:assert/strict';
import { parseNetwork } from '../../../src/engine';
import { FLOAT32_MAX } from '../../../src/engine/format/parseInit';

/** A one-layer network whose input and init are given, pretty-printed so that line numbers are meaningful. */
function network(input: Record<string, unknown>, init: unknown): string {
  return JSON.stringify({ input: { shape: [4], ...input }, layers: [{ type: 'dense', units: 3, init }] }, null, 2);
}

/** The 1-based line and column of the first occurrence of `needle` in `text`. */
function position(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

suite('numbers that overflow float32 are refused where they are written (issue 14)', () => {
  const cases: { what: string; text: string; path: string; at: string; bad: string }[] = [
    { what: 'input std 1e300', text: network({ std: 1e300 }, 'xavier_normal'), path: '/input/std', at: '1e+300', bad: '1e+300' },
    { what: 'input mean 1e39', text: network({ mean: -1e39 }, 'xavier_normal'), path: '/input/mean', at: '-1e+39', bad: '-1e+39' },
    { what: 'init std 1e39', text: network({}, { scheme: 'normal', std: 1e39 }), path: '/layers/0/init/std', at: '1e+39', bad: '1e+39' },
    { what: 'truncated_normal mean 4e38', text: network({}, { scheme: 'truncated_normal', mean: 4e38 }), path: '/layers/0/init/mean', at: '4e+38', bad: '4e+38' },
    { what: 'truncated_normal bound a −1e39', text: network({}, { scheme: 'truncated_normal', a: -1e39 }), path: '/layers/0/init/a', at: '-1e+39', bad: '-1e+39' },
    { what: 'constant value 1e39', text: network({}, { scheme: 'constant', value: 1e39 }), path: '/layers/0/init/value', at: '1e+39', bad: '1e+39' },
    { what: 'gain 1e300', text: network({}, { scheme: 'xavier_normal', gain: 1e300 }), path: '/layers/0/init/gain', at: '1e+300', bad: '1e+300' },
    { what: 'multiplier 1e39', text: network({}, { scheme: 'normal', multiplier: 1e39 }), path: '/layers/0/init/multiplier', at: '1e+39', bad: '1e+39' },
    { what: 'std × multiplier 1e20 × 1e20', text: network({}, { scheme: 'normal', std: 1e20, multiplier: 1e20 }), path: '/layers/0/init/std', at: '100000000000000000000', bad: '1e+40' },
    { what: 'default bound 2 × multiplier 3e38', text: network({}, { scheme: 'truncated_normal', multiplier: 3e38 }), path: '/layers/0/init/multiplier', at: '3e+38', bad: '6e+38' },
    { what: 'variance_scaling scale 1e300', text: network({}, { scheme: 'variance_scaling', scale: 1e300 }), path: '/layers/0/init/scale', at: '1e+300', bad: 'e+150' },
    { what: 'uniform input reach', text: network({ distribution: 'uniform', std: 2e38 }, 'xavier_normal'), path: '/input/std', at: '2e+38', bad: 'e+38' },
  ];
  for (const c of cases) {
    test(`${c.what}: an error at its pointer, line and column, naming float32 and the bad value`, () => {
      const { network: parsed, problems } = parseNetwork(c.text);
      assert.equal(parsed, null);
      const problem = problems.find((p) => p.path === c.path);
      assert.ok(problem, `no problem at ${c.path}: ${JSON.stringify(problems)}`);
      assert.equal(problem.severity, 'error');
      assert.deepEqual({ line: problem.line, column: problem.column }, position(c.text, c.at));
      assert.match(problem.message, /float32/);
      assert.ok(problem.message.includes(c.bad), problem.message);
      assert.ok(problem.message.includes(String(FLOAT32_MAX)), problem.message);
    });
  }

  test('the largest float32 itself, and ordinary values, are accepted', () => {
    for (const text of [network({ std: FLOAT32_MAX }, { scheme: 'normal', std: FLOAT32_MAX }), network({ mean: 3, std: 2 }, { scheme: 'truncated_normal', std: 0.5, a: -1, b: 1, multiplier: 2 }),
      network({}, { scheme: 'kaiming_normal', a: 1e300 })]) {
      assert.deepEqual(parseNetwork(text).problems, []);
    }
  });
});
