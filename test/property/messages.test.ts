// The property tier for messages: anything at all, and near-valid messages (a real type with fields of any value,
// inherited names as keys), through every validator of a message that crosses a thread, process or webview boundary.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateHostToEngine } from '../../src/protocol/validateEngineMessage';
import { validateHostToWebview } from '../../src/protocol/validateHostMessage';
import { validatePanelState, validateWebviewToHost } from '../../src/protocol/validatePanelMessage';
import { validateHostToWorker, validateWorkerToHost } from '../../src/protocol/validateWorkerMessage';
import { PROPERTY_SEED, runs } from './settings';

const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'type', 'id', 'runId', 'settings', 'whatIf', 'report', 'state', 'text', 'options', 'mode'));
const anything = fc.anything({ maxDepth: 3, key, withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withBigInt: true, withDate: true });
const value = fc.oneof(anything, fc.constantFrom(0, -1, 1, 2 ** 53, 1e6, NaN, Infinity, '', 'all', '/layers/0', 'both', 'sampled', 'json', 'data:image/png;base64,', 'file:///a.net.json', null, undefined, true));
const settings = fc.record({ seed: value, batchSize: value, mode: value }, { requiredKeys: [] });
const whatIf = fc.record({ target: value, scheme: fc.oneof(value, fc.constantFrom('kaiming_normal', 'keep', 'constructor')), multiplier: value }, { requiredKeys: [] });

/** A message of one of `types` whose fields are anything, near-valid shapes, or missing. */
function nearValid(types: string[]): fc.Arbitrary<unknown> {
  return fc.record({
    type: fc.constantFrom(...types),
    id: value, runId: value, fraction: value, message: value, text: value, path: value, format: value, dataUrl: value, fileName: value, fileUri: value,
    settings: fc.oneof(settings, value), whatIf: fc.oneof(whatIf, value), state: fc.oneof(fc.record({ fileUri: value, settings, whatIf }, { requiredKeys: [] }), value),
    options: fc.oneof(fc.record({ mode: value, seed: value, batchSize: value, file: value, whatIf }, { requiredKeys: [] }), value),
    report: fc.oneof(fc.record({ layers: fc.constant([]), findings: fc.constant([]), problems: fc.constant([]) }), value),
    cancel: fc.oneof(fc.constant(new Int32Array(new SharedArrayBuffer(4))), fc.constant(new Int32Array(1)), value),
    schemes: value,
  }, { requiredKeys: ['type'] });
}

const VALIDATORS: [string, (raw: unknown) => unknown, string[]][] = [
  ['webview → host', validateWebviewToHost, ['ready', 'rerun', 'setWhatIf', 'applyWhatIf', 'cancel', 'revealPath', 'exportReport', 'exportImage']],
  ['host → webview', validateHostToWebview, ['panelOpened', 'analysisStarted', 'analysisProgressed', 'analysisComputed', 'analysisFailed', 'analysisCancelled', 'whatIfApplied', 'exportRequested']],
  ['host → engine process', validateHostToEngine, ['analyze', 'cancel']],
  ['engine process → engine worker', validateHostToWorker, ['analyze']],
  ['engine → host', validateWorkerToHost, ['runProgressed', 'runCompleted', 'runFailed', 'runCancelled']],
  ['revived panel state', validatePanelState, []],
];

/** Whether `value` is built of plain objects and arrays only at its top (what a validator rebuilds), with no inherited key read as its own. */
function plain(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

suite(`property tier (fast-check, seed ${PROPERTY_SEED}): every message validator`, () => {
  for (const [name, validate, types] of VALIDATORS) {
    test(`${name}: ${runs.messages} messages, anything or near-valid: never throws; a message it accepts is a plain object of one of its types, and accepted again as is`, () => {
      const arbitrary = types.length > 0 ? fc.oneof(anything, nearValid(types)) : fc.oneof(anything, fc.record({ fileUri: value, settings, whatIf }, { requiredKeys: [] }));
      fc.assert(fc.property(arbitrary, (raw) => {
        const checked = validate(raw);
        if (checked === null) return;
        assert.ok(plain(checked), 'a rebuilt plain object');
        if (types.length > 0) assert.ok(types.includes((checked as { type: string }).type));
        assert.deepEqual(validate(checked), checked, 'idempotent: what it returns passes again unchanged');
      }), { seed: PROPERTY_SEED, numRuns: runs.messages });
    });
  }
});
