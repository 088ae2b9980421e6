import * as assert from 'node:assert/strict';
import { RUN_BOUNDS, type Report } from '../../../src/engine';
import type { Analyze, HostToWorker, WorkerToHost } from '../../../src/protocol/workerProtocol';
import { validateHostToWorker, validateWorkerToHost } from '../../../src/protocol/validateWorkerMessage';

type Example<M extends { type: string }> = { [K in M['type']]: Extract<M, { type: K }> };
type Variants<M extends { type: string }> = { [K in M['type']]: [string, unknown][] };

const shared = (): Int32Array => new Int32Array(new SharedArrayBuffer(4));

/** One valid message of every host → worker type; a new type does not compile until it has one here. */
const toWorker: Example<HostToWorker> = {
  analyze: {
    type: 'analyze', id: 3, text: '{"input":{"shape":[4]},"layers":[]}', cancel: shared(),
    options: { mode: 'sampled', seed: RUN_BOUNDS.seed.max, batchSize: RUN_BOUNDS.batchSize.max, file: 'a.net.json', whatIf: { target: 'all', scheme: 'xavier_normal', multiplier: 1 }, pastBudget: true },
  },
};

const analyze: Analyze = toWorker.analyze;

const toWorkerMalformed: Variants<HostToWorker> = {
  analyze: [
    ['no id', { ...analyze, id: undefined }],
    ['id 0 (runs count from 1)', { ...analyze, id: 0 }],
    ['an id that is not whole', { ...analyze, id: 1.5 }],
    ['no text', { ...analyze, text: undefined }],
    ['no options', { ...analyze, options: undefined }],
    ['a cancel flag on unshared memory (the host could never raise it)', { ...analyze, cancel: new Int32Array(1) }],
    ['a cancel flag of no length', { ...analyze, cancel: new Int32Array(new SharedArrayBuffer(0)) }],
    ['a cancel flag as a number', { ...analyze, cancel: 0 }],
    ['a seed out of bounds', { ...analyze, options: { seed: RUN_BOUNDS.seed.max + 1 } }],
    ['a batch size out of bounds', { ...analyze, options: { batchSize: RUN_BOUNDS.batchSize.min - 1 } }],
    ['an inherited name as mode', { ...analyze, options: { mode: 'constructor' } }],
    ['toString as what-if scheme', { ...analyze, options: { whatIf: { target: 'all', scheme: 'toString', multiplier: 1 } } }],
    ['a file name as number', { ...analyze, options: { file: 42 } }],
    ['past the budget as a string', { ...analyze, options: { pastBudget: 'yes' } }],
  ],
};

const report = { layers: [], findings: [], problems: [] } as unknown as Report;

/** One valid message of every worker → host type. */
const toHost: Example<WorkerToHost> = {
  runProgressed: { type: 'runProgressed', id: 3, fraction: 0.25 },
  runCompleted: { type: 'runCompleted', id: 3, report, engineMs: 412.5 },
  runFailed: { type: 'runFailed', id: 3, message: 'the WebAssembly kernel threads stopped' },
  runCancelled: { type: 'runCancelled', id: 3 },
};

const toHostMalformed: Variants<WorkerToHost> = {
  runProgressed: [
    ['a fraction above 1', { type: 'runProgressed', id: 3, fraction: 1.5 }],
    ['a negative fraction', { type: 'runProgressed', id: 3, fraction: -0.1 }],
    ['a NaN fraction', { type: 'runProgressed', id: 3, fraction: NaN }],
    ['no id', { type: 'runProgressed', fraction: 0.5 }],
  ],
  runCompleted: [
    ['no report', { type: 'runCompleted', id: 3 }],
    ['a report without layers', { type: 'runCompleted', id: 3, report: { findings: [], problems: [] } }],
    ['a report as text', { type: 'runCompleted', id: 3, report: 'done' }],
    ['an inherited report shape', { type: 'runCompleted', id: 3, report: Object.create(report), engineMs: 1 }],
    ['no engine time', { type: 'runCompleted', id: 3, report }],
    ['a negative engine time', { type: 'runCompleted', id: 3, report, engineMs: -1 }],
    ['an engine time as string', { type: 'runCompleted', id: 3, report, engineMs: '412' }],
    ['an infinite engine time', { type: 'runCompleted', id: 3, report, engineMs: Infinity }],
  ],
  runFailed: [
    ['no message', { type: 'runFailed', id: 3 }],
    ['a message as Error', { type: 'runFailed', id: 3, message: new Error('x') }],
  ],
  runCancelled: [
    ['no id', { type: 'runCancelled' }],
    ['a negative id', { type: 'runCancelled', id: -3 }],
  ],
};

const notMessages = (): unknown[] => [
  null, undefined, 'analyze', [analyze], { type: 'progress', id: 1, fraction: 0 }, { type: 'done', id: 1, report },
  { type: 'constructor', id: 1 }, { type: 'toString', id: 1 }, JSON.parse('{"type":"__proto__","id":1}'), Object.create(analyze),
];

suite('the host → worker validator table (checked in the engine worker)', () => {
  for (const [type, message] of Object.entries(toWorker)) {
    test(`accepts a valid '${type}', its cancel flag still shared`, () => {
      const actual = validateHostToWorker(structuredClone(message));
      assert.deepEqual(actual, message);
      assert.ok(actual?.cancel.buffer instanceof SharedArrayBuffer);
    });
  }

  test('accepts an analyze without options: the engine\'s defaults', () => {
    assert.deepEqual(validateHostToWorker({ ...analyze, options: {} }), { ...analyze, options: {} });
  });

  for (const [type, variants] of Object.entries(toWorkerMalformed)) {
    for (const [what, message] of variants as [string, unknown][]) {
      test(`rejects '${type}' with ${what}`, () => {
        assert.equal(validateHostToWorker(message), null);
      });
    }
  }

  test('rejects what is no request, or whose type is unknown or inherited', () => {
    for (const message of notMessages()) assert.equal(validateHostToWorker(message), null);
  });
});

suite('the worker → host validator table (checked in the runner)', () => {
  for (const [type, message] of Object.entries(toHost)) {
    test(`accepts a valid '${type}'`, () => {
      assert.deepEqual(validateWorkerToHost(structuredClone(message)), message);
    });
  }

  for (const [type, variants] of Object.entries(toHostMalformed)) {
    for (const [what, message] of variants as [string, unknown][]) {
      test(`rejects '${type}' with ${what}`, () => {
        assert.equal(validateWorkerToHost(message), null);
      });
    }
  }

  test('rejects what is no message, or whose type is unknown or inherited (the old untyped names included)', () => {
    for (const message of notMessages()) assert.equal(validateWorkerToHost(message), null);
  });
});
