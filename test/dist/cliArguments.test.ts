import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { MAX_BUDGET, RUN_BOUNDS } from '../../src/engine';
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
    assert.match(seed.err, new RegExp(`--seed needs a whole number from ${RUN_BOUNDS.seed.min} to ${RUN_BOUNDS.seed.max}, got '${RUN_BOUNDS.seed.max + 1}'`));
    const batch = run(['analyze', file, '--batch-size', String(RUN_BOUNDS.batchSize.max + 1)]);
    assert.equal(batch.code, 2);
    assert.match(batch.err, new RegExp(`--batch-size needs a whole number from ${RUN_BOUNDS.batchSize.min} to ${RUN_BOUNDS.batchSize.max}`));
    assert.equal(run(['analyze', file, '--batch-size', '0']).code, 2);
    assert.equal(run(['analyze', file, '--seed', '1.5']).code, 2);
  });

  test('an empty, signed, hex, exponent or padded number is a usage error, not a silent 0, 16 or 1000', () => {
    for (const value of ['', '-1', '+5', '0x10', '1e3', ' 5', '5 ', '2.0', 'NaN', 'Infinity']) {
      for (const flag of ['--seed', '--batch-size', '--max-gflop', '--max-memory-mib']) {
        const r = run(['analyze', file, '--mode', 'analytic', flag, value]);
        assert.equal(r.code, 2, `${flag} '${value}'`);
        assert.match(r.err, new RegExp(`${flag} needs a whole number from \\d+ to \\d+, got '${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`), `${flag} '${value}'`);
      }
    }
    assert.match(run(['analyze', file, '--seed']).err, /--seed needs a whole number from 0 to 4294967295, got nothing/);
  });

  test('the budget flags have upper limits (the kernels address 4 GiB), stated in --help', () => {
    assert.equal(run(['analyze', file, '--mode', 'analytic', '--max-memory-mib', String(MAX_BUDGET.bytes / 1024 ** 2)]).code, 0);
    assert.equal(run(['analyze', file, '--mode', 'analytic', '--max-memory-mib', String(MAX_BUDGET.bytes / 1024 ** 2 + 1)]).code, 2);
    assert.equal(run(['analyze', file, '--mode', 'analytic', '--max-memory-mib', '5000']).code, 2);
    assert.equal(run(['analyze', file, '--mode', 'analytic', '--max-gflop', String(MAX_BUDGET.flops / 1e9 + 1)]).code, 2);
    let help = '';
    assert.equal(main(['--help'], (s) => { help += s; }, () => undefined), 0);
    assert.match(help, new RegExp(`--max-memory-mib N .*1 to ${MAX_BUDGET.bytes / 1024 ** 2}`));
    assert.match(help, /1 error-level findings, 2 invalid input/);
  });
});

suite('the CLI reads files as VS Code does', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'init-inspector-cli-'));
  suiteTeardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const network = fs.readFileSync(path.join(ROOT, 'examples', 'zero-init.net.json'), 'utf8');

  test('a UTF-8 byte-order mark is skipped, and locations are those of the text after it', () => {
    const file = path.join(dir, 'bom.net.json');
    fs.writeFileSync(file, '\ufeff' + network);
    let out = '';
    const code = main(['analyze', file, '--mode', 'analytic'], (s) => { out += s; }, () => undefined);
    assert.equal(code, 1, 'the zero-init finding, not a parse error');
    assert.match(out, /bom\.net\.json:10:71: error: all 1024 units/);
  });

  test('a pipe or a folder is refused at once with exit 2 and a message (a FIFO would block forever)', () => {
    const fifo = path.join(dir, 'pipe.net.json');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const piped = run(['analyze', fifo, '--mode', 'analytic']);
    assert.equal(piped.code, 2);
    assert.match(piped.err, /pipe\.net\.json: not a regular file \(a pipe\)/);
    const folder = run(['analyze', dir, '--mode', 'analytic']);
    assert.equal(folder.code, 2);
    assert.match(folder.err, /not a regular file \(a folder\)/);
    assert.match(run(['analyze', path.join(dir, 'missing.net.json')]).err, /missing\.net\.json: cannot read: ENOENT/);
  });
});
