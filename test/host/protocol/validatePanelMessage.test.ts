import * as assert from 'node:assert/strict';
import { RUN_BOUNDS } from '../../../src/engine';
import type { PanelState, WebviewToHost } from '../../../src/protocol/panelProtocol';
import { validatePanelState, validateWebviewToHost } from '../../../src/protocol/validatePanelMessage';
import { MAX_POINTER_LENGTH, MAX_WHAT_IF_MULTIPLIER } from '../../../src/protocol/validateRunSettings';

type Example<M extends { type: string }> = { [K in M['type']]: Extract<M, { type: K }> };
type Variants<M extends { type: string }> = { [K in M['type']]: [string, unknown][] };

const state: PanelState = { fileUri: 'file:///work/tanh.net.json', settings: { seed: 7, batchSize: 64, mode: 'both' }, whatIf: { target: 'all', scheme: 'keep', multiplier: 2 } };

/** One valid message of every webview → host type; a new type does not compile until it has one here. */
const valid: Example<WebviewToHost> = {
  ready: { type: 'ready', state },
  rerun: { type: 'rerun', settings: { seed: RUN_BOUNDS.seed.max, batchSize: RUN_BOUNDS.batchSize.min, mode: 'analytic' } },
  setWhatIf: { type: 'setWhatIf', whatIf: { target: '/layers/0', scheme: 'kaiming_normal', multiplier: 0.5 } },
  previewWhatIf: { type: 'previewWhatIf', whatIf: { target: 'all', scheme: 'keep', multiplier: 2.5 } },
  runDrawn: { type: 'runDrawn', runId: 5, transferMs: 31.5, drawMs: 12.25 },
  applyWhatIf: { type: 'applyWhatIf' },
  cancel: { type: 'cancel' },
  runPastBudget: { type: 'runPastBudget' },
  revealPath: { type: 'revealPath', path: '/layers/2/init' },
  exportReport: { type: 'exportReport', format: 'csv' },
  exportImage: { type: 'exportImage', dataUrl: 'data:image/png;base64,iVBORw0KGgo=' },
};

const settings = valid.rerun.settings;
const whatIf = valid.setWhatIf.whatIf!;

/** Malformed variants of every type that has fields to get wrong: each is rejected. */
const malformed: Variants<WebviewToHost> = {
  // `ready` is the handshake: a bad state is dropped (see below), the message is not.
  ready: [],
  rerun: [
    ['no settings', { type: 'rerun' }],
    ['settings an array', { type: 'rerun', settings: [7, 64, 'both'] }],
    ['seed below the bounds', { type: 'rerun', settings: { ...settings, seed: RUN_BOUNDS.seed.min - 1 } }],
    ['seed above the bounds', { type: 'rerun', settings: { ...settings, seed: RUN_BOUNDS.seed.max + 1 } }],
    ['seed not whole', { type: 'rerun', settings: { ...settings, seed: 1.5 } }],
    ['seed a string', { type: 'rerun', settings: { ...settings, seed: '7' } }],
    ['batch size below the bounds', { type: 'rerun', settings: { ...settings, batchSize: RUN_BOUNDS.batchSize.min - 1 } }],
    ['batch size above the bounds', { type: 'rerun', settings: { ...settings, batchSize: RUN_BOUNDS.batchSize.max + 1 } }],
    ['an unknown mode', { type: 'rerun', settings: { ...settings, mode: 'fast' } }],
    ['an inherited name as mode', { type: 'rerun', settings: { ...settings, mode: 'constructor' } }],
    ['inherited settings', { type: 'rerun', settings: Object.create(settings) }],
  ],
  setWhatIf: [
    ['no what-if (null is the way to clear it)', { type: 'setWhatIf' }],
    ['an unknown scheme', { type: 'setWhatIf', whatIf: { ...whatIf, scheme: 'glorot_sideways' } }],
    ['constructor as scheme', { type: 'setWhatIf', whatIf: { ...whatIf, scheme: 'constructor' } }],
    ['toString as scheme', { type: 'setWhatIf', whatIf: { ...whatIf, scheme: 'toString' } }],
    ['__proto__ as scheme', JSON.parse('{"type":"setWhatIf","whatIf":{"target":"all","scheme":"__proto__","multiplier":1}}')],
    ['hasOwnProperty as scheme', { type: 'setWhatIf', whatIf: { ...whatIf, scheme: 'hasOwnProperty' } }],
    ['a negative multiplier', { type: 'setWhatIf', whatIf: { ...whatIf, multiplier: -1 } }],
    ['a multiplier past the bound', { type: 'setWhatIf', whatIf: { ...whatIf, multiplier: MAX_WHAT_IF_MULTIPLIER * 2 } }],
    ['an infinite multiplier', { type: 'setWhatIf', whatIf: { ...whatIf, multiplier: Infinity } }],
    ['a NaN multiplier', { type: 'setWhatIf', whatIf: { ...whatIf, multiplier: NaN } }],
    ['a multiplier as string', { type: 'setWhatIf', whatIf: { ...whatIf, multiplier: '2' } }],
    ['a target that is no pointer', { type: 'setWhatIf', whatIf: { ...whatIf, target: 'layers/0' } }],
    ['an empty target', { type: 'setWhatIf', whatIf: { ...whatIf, target: '' } }],
    ['an inherited name as target', { type: 'setWhatIf', whatIf: { ...whatIf, target: 'constructor' } }],
    ['inherited what-if fields', { type: 'setWhatIf', whatIf: Object.create(whatIf) }],
  ],
  previewWhatIf: [
    ['no what-if (null is the file\'s own inits)', { type: 'previewWhatIf' }],
    ['constructor as scheme', { type: 'previewWhatIf', whatIf: { ...whatIf, scheme: 'constructor' } }],
    ['a negative multiplier', { type: 'previewWhatIf', whatIf: { ...whatIf, multiplier: -0.5 } }],
    ['a multiplier past the bound', { type: 'previewWhatIf', whatIf: { ...whatIf, multiplier: MAX_WHAT_IF_MULTIPLIER + 1 } }],
    ['inherited what-if fields', { type: 'previewWhatIf', whatIf: Object.create(whatIf) }],
  ],
  runDrawn: [
    ['no run id', { type: 'runDrawn', transferMs: 1, drawMs: 1 }],
    ['a run id of 0', { type: 'runDrawn', runId: 0, transferMs: 1, drawMs: 1 }],
    ['a negative transfer time', { type: 'runDrawn', runId: 5, transferMs: -1, drawMs: 1 }],
    ['no transfer time (null when unknown)', { type: 'runDrawn', runId: 5, drawMs: 1 }],
    ['a drawing time as string', { type: 'runDrawn', runId: 5, transferMs: 1, drawMs: '12' }],
    ['an infinite drawing time', { type: 'runDrawn', runId: 5, transferMs: 1, drawMs: Infinity }],
    ['a null drawing time', { type: 'runDrawn', runId: 5, transferMs: 1, drawMs: null }],
    ['inherited fields', Object.assign(Object.create({ runId: 5, transferMs: 1, drawMs: 1 }), { type: 'runDrawn' })],
  ],
  applyWhatIf: [],
  cancel: [],
  runPastBudget: [],
  revealPath: [
    ['no path', { type: 'revealPath' }],
    ['a path that is no pointer', { type: 'revealPath', path: 'layers/0' }],
    ['a path as number', { type: 'revealPath', path: 0 }],
    ['a path past the longest pointer', { type: 'revealPath', path: '/' + 'x'.repeat(MAX_POINTER_LENGTH) }],
  ],
  exportReport: [
    ['no format', { type: 'exportReport' }],
    ['an unknown format', { type: 'exportReport', format: 'pdf' }],
    ['an inherited name as format', { type: 'exportReport', format: 'toString' }],
    ['an inherited format', Object.assign(Object.create({ format: 'json' }), { type: 'exportReport' })],
  ],
  exportImage: [
    ['no data URL', { type: 'exportImage' }],
    ['a JPEG', { type: 'exportImage', dataUrl: 'data:image/jpeg;base64,/9j/' }],
    ['a remote URL', { type: 'exportImage', dataUrl: 'https://example.com/x.png' }],
    ['a data URL as number', { type: 'exportImage', dataUrl: 42 }],
  ],
};

suite('the webview → host validator table', () => {
  for (const [type, message] of Object.entries(valid)) {
    test(`accepts a valid '${type}', sent as JSON as the webview posts it`, () => {
      const actual = validateWebviewToHost(JSON.parse(JSON.stringify(message)));
      assert.deepEqual(actual, message);
    });
  }

  for (const [type, variants] of Object.entries(malformed)) {
    for (const [what, message] of variants as [string, unknown][]) {
      test(`rejects '${type}' with ${what}`, () => {
        assert.equal(validateWebviewToHost(message), null);
      });
    }
  }

  test('rejects what is no message, or whose type is missing, unknown or inherited', () => {
    const notMessages: unknown[] = [
      null, undefined, 42, 'cancel', ['cancel'], {}, { type: 42 }, { type: 'rerunAll' }, { type: 'analysisComputed' },
      { type: 'constructor' }, { type: 'toString' }, { type: 'hasOwnProperty' }, { type: 'valueOf' },
      JSON.parse('{"type":"__proto__"}'), Object.create({ type: 'cancel' }),
    ];
    for (const message of notMessages) assert.equal(validateWebviewToHost(message), null, JSON.stringify(message) ?? String(message));
  });

  test('rebuilds a message from its checked fields only: anything else is dropped', () => {
    const actual = validateWebviewToHost({ ...valid.rerun, extra: 1, settings: { ...settings, extra: 2 } });
    assert.deepEqual(actual, valid.rerun);
  });

  test('a what-if of null clears it; an alias spelling of a scheme is a scheme', () => {
    assert.deepEqual(validateWebviewToHost({ type: 'setWhatIf', whatIf: null }), { type: 'setWhatIf', whatIf: null });
    assert.deepEqual(validateWebviewToHost({ type: 'previewWhatIf', whatIf: null }), { type: 'previewWhatIf', whatIf: null });
    assert.deepEqual(validateWebviewToHost({ type: 'runDrawn', runId: 2, transferMs: null, drawMs: 0 }), { type: 'runDrawn', runId: 2, transferMs: null, drawMs: 0 });
    const alias = { type: 'setWhatIf', whatIf: { target: 'all', scheme: 'he_normal', multiplier: 1 } } as const;
    assert.deepEqual(validateWebviewToHost(alias), alias);
  });

  test('ready keeps the handshake and drops a state that does not validate', () => {
    assert.deepEqual(validateWebviewToHost({ type: 'ready', state: null }), { type: 'ready', state: null });
    assert.deepEqual(validateWebviewToHost({ type: 'ready' }), { type: 'ready', state: null });
    assert.deepEqual(validateWebviewToHost({ type: 'ready', state: { ...state, settings: { ...state.settings, batchSize: 0 } } }), { type: 'ready', state: null });
  });
});

suite('the revived panel state (getState, and the panel serializer after a reload)', () => {
  test('accepts a state the webview saved, through JSON as VS Code stores it', () => {
    assert.deepEqual(validatePanelState(JSON.parse(JSON.stringify(state))), state);
    assert.deepEqual(validatePanelState({ ...state, whatIf: null }), { ...state, whatIf: null });
  });

  test('a state saved without a what-if has none', () => {
    const { whatIf: _whatIf, ...withoutWhatIf } = state;
    assert.deepEqual(validatePanelState(withoutWhatIf), { ...state, whatIf: null });
  });

  test('rejects a state that is malformed, out of bounds or made of inherited names', () => {
    const variants: [string, unknown][] = [
      ['nothing', undefined],
      ['null', null],
      ['an array', [state]],
      ['no file URI', { ...state, fileUri: undefined }],
      ['a file URI without a scheme', { ...state, fileUri: '/work/tanh.net.json' }],
      ['a file URI as number', { ...state, fileUri: 1 }],
      ['no settings', { ...state, settings: undefined }],
      ['a seed out of bounds', { ...state, settings: { ...state.settings, seed: RUN_BOUNDS.seed.max + 1 } }],
      ['a batch size out of bounds', { ...state, settings: { ...state.settings, batchSize: RUN_BOUNDS.batchSize.max + 1 } }],
      ['an unknown mode', { ...state, settings: { ...state.settings, mode: 'toString' } }],
      ['constructor as what-if scheme', { ...state, whatIf: { ...state.whatIf, scheme: 'constructor' } }],
      ['a malformed what-if', { ...state, whatIf: 'keep' }],
      ['inherited fields', Object.create(state)],
      ['fields under an own __proto__ key', JSON.parse(`{"__proto__": ${JSON.stringify(state)}}`)],
    ];
    for (const [what, saved] of variants) assert.equal(validatePanelState(saved), null, what);
  });
});
