import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { RUN_BOUNDS } from '../../src/engine';
import { ROOT } from '../repo';

function run(args: string[]): { code: number; err: string } {
  let err = '';
  const code = main(args, () => undefined, (s) => { err += s + '\n'; });
  return { code, err };
}

suite('the CLI takes its seed and batch-size bounds from the engine (RUN_BOUNDS)', () => {
  const file = path.join(ROOT, 'examples', 'xavier-tanh.net.json');

  test('the bounds themselves are accepted', () => {
    for (const args of [['--seed', String(RUN_BOUNDS.seed.max)], ['--seed', String(RUN_BOUNDS.seed.min)], ['--batch-size', String(RUN_BOUNDS.batchSize.min)]]) {
      const r = run(['analyze', file, '--mode', 'analytic', ...args]);
      assert.notEqual(r.code, 2, r.err);
    }
  });

  test('one past either bound is a usage error that names the bounds', () => {
    const seed = run(['analyze', file, '--seed', String(RUN_BOUNDS.seed.max + 1)]);
    assert.equal(seed.code, 2);
    assert.match(seed.err, new RegExp(`--seed needs a whole number from ${RUN_BOUNDS.seed.min} to ${RUN_BOUNDS.seed.max}, got ${RUN_BOUNDS.seed.max + 1}`));
    const batch = run(['analyze', file, '--batch-size', String(RUN_BOUNDS.batchSize.max + 1)]);
    assert.equal(batch.code, 2);
    assert.match(batch.err, new RegExp(`--batch-size needs a whole number from ${RUN_BOUNDS.batchSize.min} to ${RUN_BOUNDS.batchSize.max}`));
    assert.equal(run(['analyze', file, '--batch-size', '0']).code, 2);
    assert.equal(run(['analyze', file, '--seed', '1.5']).code, 2);
  });
});
