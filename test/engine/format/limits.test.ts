import * as assert from 'node:assert/strict';
import { isNetworkDescription, parseNetwork, pointerLocator } from '../../../src/engine';
import { MAX_LAYER_NESTING } from '../../../src/engine/format/parseNetwork';
import { findTooDeep, MAX_JSON_DEPTH } from '../../../src/engine/format/pointer';
import { MAX_QUOTED_LENGTH } from '../../../src/engine/format/reader';
import { MAX_EXPANDED_LAYERS } from '../../../src/engine/graph/plan';

const DENSE = '{"type":"dense","units":4}';

/** `n` arrays inside each other: [[[…]]]. */
function nestedArrays(n: number): string {
  return '['.repeat(n) + ']'.repeat(n);
}

/** `n` layers of `type` inside each other around a dense layer; the dense layer's list is at level n + 1. */
function nestedLayers(n: number, type: 'repeat' | 'residual'): string {
  let layer = DENSE;
  for (let i = 0; i < n; i++) layer = type === 'repeat' ? `{"type":"repeat","times":1,"layers":[${layer}]}` : `{"type":"residual","layers":[${layer}]}`;
  return `{"input":{"shape":[4]},"layers":[${layer}]}`;
}

/** The pointer /layers/0/layers/0/… of the first layer in the list at nesting `level`. */
function firstLayerAt(level: number): string {
  return '/layers/0'.repeat(level);
}

suite('limits of the parser: any text, a located answer', () => {
  test('100,000 nested arrays in a property are refused at the first bracket past the depth limit, without throwing', () => {
    const prefix = '{"input":{"shape":[4]},"layers":[{"type":"dense","units":4}], "x": ';
    const text = `${prefix}${nestedArrays(100_000)}}`;
    const { network, problems } = parseNetwork(text);
    assert.equal(network, null);
    assert.equal(problems.length, 1);
    const [actual] = problems;
    // The root object is level 1 and "x" level 2, so the bracket of level MAX_JSON_DEPTH + 1 is the (MAX_JSON_DEPTH)th.
    const expectedOffset = prefix.length + MAX_JSON_DEPTH - 1;
    assert.equal(actual.offset, expectedOffset);
    assert.equal(actual.line, 1);
    assert.equal(actual.column, expectedOffset + 1);
    assert.equal(actual.path, `/x${'/0'.repeat(MAX_JSON_DEPTH - 1)}`);
    assert.match(actual.message, /^the document nests arrays and objects deeper than 256 levels at \/x\/0\/0.*…; a network description needs far fewer/);
    assert.ok(actual.message.length < 250, `the message quotes the pointer short: ${actual.message.length} characters`);
  });

  test('100,000 nested arrays as a layer are refused, located, without throwing', () => {
    const prefix = '{"input":{"shape":[4]},"layers":[{"type":"dense","units":4}, ';
    const { network, problems } = parseNetwork(`${prefix}${nestedArrays(100_000)}]}`);
    assert.equal(network, null);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].offset, prefix.length + MAX_JSON_DEPTH - 2);
    assert.ok(problems[0].path.startsWith('/layers/1/0/0/'));
  });

  test('the depth limit is exactly MAX_JSON_DEPTH levels: one more is refused, that many is parsed', () => {
    // Root object (level 1) and "x" plus its arrays: 1 + n levels.
    const doc = (n: number): string => `{"input":{"shape":[4]},"layers":[${DENSE}],"x":${nestedArrays(n)}}`;
    const atLimit = parseNetwork(doc(MAX_JSON_DEPTH - 1)).problems.map((p) => p.message);
    assert.equal(atLimit.length, 1);
    assert.match(atLimit[0], /^unknown property 'x'/);
    assert.equal(findTooDeep(doc(MAX_JSON_DEPTH - 1)), null);
    const past = parseNetwork(doc(MAX_JSON_DEPTH)).problems.map((p) => p.message);
    assert.equal(past.length, 1);
    assert.match(past[0], /deeper than 256 levels/);
  });

  test('pointerLocator locates pointers in a 100,000-deep text without throwing', () => {
    const prefix = '{"input":{"shape":[4]},"layers":[{"type":"dense","units":4}], "x": ';
    const text = `${prefix}${nestedArrays(100_000)}}`;
    const locate = pointerLocator(text);
    const actual = locate('/x/0/0');
    assert.equal(actual.offset, prefix.length + 2);
    assert.equal(actual.length, 2 * (100_000 - 2));
    assert.equal(actual.foundPath, '/x/0/0');
    const units = locate('/layers/0/units');
    assert.equal(units.offset, text.indexOf('4}'));
    assert.equal(units.length, 1);
    // A pointer that does not exist resolves to its nearest existing ancestor, as for shallow texts.
    const missing = locate('/layers/0/init');
    assert.equal(missing.foundPath, '/layers/0');
    assert.equal(missing.offset, text.indexOf('{"type"'));
    assert.equal(missing.length, DENSE.length);
  });

  test('pointerLocator resolves a deep text as it resolves a shallow one', () => {
    const shallow = `{"input":{"shape":[4]},"layers":[${DENSE},{"type":"dense","units":2,"init":{"scheme":"normal","std":0.1}}],"x":[[1,2],[3]]}`;
    const deep = `${shallow.slice(0, -1)},"y":${nestedArrays(MAX_JSON_DEPTH + 1)}}`;
    const expected = pointerLocator(shallow);
    const actual = pointerLocator(deep);
    for (const p of ['/input', '/input/shape/0', '/layers/1/init/std', '/layers/1/init/mode', '/x/1/0', '/x/1/5']) {
      assert.deepEqual(actual(p), expected(p), p);
    }
    // The root (and what resolves to it) starts at the same place; it is longer in the deep text.
    for (const p of ['', '/nothing/here']) {
      const { length: _expectedLength, ...expectedStart } = expected(p);
      const { length: actualLength, ...actualStart } = actual(p);
      assert.deepEqual(actualStart, expectedStart, p);
      assert.equal(actualLength, deep.length);
    }
  });

  test('isNetworkDescription answers for deep and huge texts without throwing', () => {
    assert.equal(isNetworkDescription(`{"input":{"shape":[4]},"layers":[${DENSE}],"x":${nestedArrays(100_000)}}`), true);
    assert.equal(isNetworkDescription(nestedArrays(100_000)), false);
    assert.equal(isNetworkDescription(`{"input":${nestedArrays(100_000)},"layers":[]}`), false);
    assert.equal(isNetworkDescription('{"layers": [], /* c */ "input": {}}'), true);
    assert.equal(isNetworkDescription('{"layers": {}, "input": {}}'), false);
  });

  test(`layer lists nest at most ${MAX_LAYER_NESTING} levels: one more is refused at the layer that goes past`, () => {
    for (const type of ['repeat', 'residual'] as const) {
      const ok = parseNetwork(nestedLayers(MAX_LAYER_NESTING - 1, type));
      assert.deepEqual(ok.problems, [], type);
      assert.notEqual(ok.network, null);
      const text = nestedLayers(MAX_LAYER_NESTING, type);
      const { network, problems } = parseNetwork(text);
      assert.equal(network, null);
      assert.equal(problems.length, 1, type);
      const [actual] = problems;
      assert.equal(actual.path, firstLayerAt(MAX_LAYER_NESTING + 1));
      assert.equal(actual.offset, text.indexOf(DENSE));
      assert.match(actual.message, /^layers nested deeper than 64 levels at \/layers\/0\/layers\/0\/.*…; flatten the structure/);
    }
  });

  test('3,000 nested repeats or residual blocks give a located problem, not an internal error', () => {
    for (const type of ['repeat', 'residual'] as const) {
      const { network, problems } = parseNetwork(nestedLayers(3000, type));
      assert.equal(network, null);
      assert.equal(problems.length, 1);
      assert.match(problems[0].message, /^layers nested deeper than 64 levels/);
      assert.equal(problems[0].path, firstLayerAt(MAX_LAYER_NESTING + 1));
    }
  });

  test('a 100,000-character unknown name is refused, located, quoted short and without a did-you-mean', () => {
    const long = 'x'.repeat(100_000);
    const cases: Array<[string, string]> = [
      [`{"input":{"shape":[4]},"layers":[{"type":"${long}","units":4}]}`, '/layers/0/type'],
      [`{"input":{"shape":[4]},"layers":[{"type":"dense","units":4,"activation":"${long}"}]}`, '/layers/0/activation'],
      [`{"input":{"shape":[4]},"layers":[{"type":"dense","units":4,"init":"${long}"}]}`, '/layers/0/init'],
      [`{"input":{"shape":[4]},"layers":[{"type":"dense","units":4,"init":{"scheme":"${long}"}}]}`, '/layers/0/init/scheme'],
      [`{"input":{"shape":[4]},"layers":[{"type":"dense","units":4,"${long}":1}]}`, `/layers/0/${long}`],
    ];
    for (const [text, path] of cases) {
      const { network, problems } = parseNetwork(text);
      assert.equal(network, null);
      assert.equal(problems.length, 1, path.slice(0, 30));
      const [actual] = problems;
      assert.equal(actual.path, path);
      assert.equal(actual.offset, text.indexOf(`"${long}"`));
      assert.ok(actual.message.includes(`'${'x'.repeat(MAX_QUOTED_LENGTH - 1)}…'`), actual.message.slice(0, 200));
      // Short whatever the name's length: the quoted name (cut to MAX_QUOTED_LENGTH) and the list of layer types (which grows with the ops).
      assert.ok(actual.message.length < 600, `${actual.message.length} characters`);
      assert.doesNotMatch(actual.message, /did you mean/);
    }
  });

  test('did-you-mean still finds typos, and skips options too different in length', () => {
    const message = (activation: string): string =>
      parseNetwork(`{"input":{"shape":[4]},"layers":[{"type":"dense","units":4,"activation":"${activation}"}]}`).problems[0].message;
    assert.match(message('tanhh'), /did you mean 'tanh'/);
    assert.match(message('Relu6'), /did you mean 'relu'/);
    assert.match(message('leaky_rel'), /did you mean 'leaky_relu'/);
    assert.doesNotMatch(message('t'), /did you mean/);
    assert.doesNotMatch(message('hyperbolic_tangent'), /did you mean/);
  });

  test(`a file listing 1,000,000 layers is refused at layer ${MAX_EXPANDED_LAYERS + 1}, before the rest is read`, () => {
    const layers = Array.from({ length: 1_000_000 }, () => ({ type: 'dense', units: 4 }));
    const text = `{"input":{"shape":[4]},"layers":${JSON.stringify(layers)}}`;
    const { network, problems } = parseNetwork(text);
    assert.equal(network, null);
    assert.equal(problems.length, 1);
    const [actual] = problems;
    assert.equal(actual.path, `/layers/${MAX_EXPANDED_LAYERS}`);
    const expectedOffset = '{"input":{"shape":[4]},"layers":['.length + MAX_EXPANDED_LAYERS * (DENSE.length + 1);
    assert.equal(actual.offset, expectedOffset);
    assert.equal(actual.column, expectedOffset + 1);
    assert.match(actual.message, /^the network lists more than 100000 layers .*: the one at \/layers\/100000 is number 100001; a network may have at most 100000 layers/);
    assert.doesNotMatch(actual.message, /reduce "times"/);
  });

  test('layers inside repeats and residual blocks count toward the listed-layer limit', () => {
    const body = Array.from({ length: MAX_EXPANDED_LAYERS }, () => ({ type: 'dense', units: 4 }));
    const text = JSON.stringify({ input: { shape: [4] }, layers: [{ type: 'repeat', times: 1, layers: body }] });
    const { problems } = parseNetwork(text);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].path, `/layers/0/layers/${MAX_EXPANDED_LAYERS - 1}`);
    assert.match(problems[0].message, /is number 100001/);
    // Exactly the limit, listed flat, is read.
    const atLimit = parseNetwork(JSON.stringify({ input: { shape: [4] }, layers: body }));
    assert.deepEqual(atLimit.problems, []);
    assert.equal(atLimit.network!.layers.length, MAX_EXPANDED_LAYERS);
  });
});
