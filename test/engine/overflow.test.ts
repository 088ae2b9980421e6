import * as assert from 'node:assert/strict';
import { analyze } from '../../src/engine';
import { chainVerdict } from '../../src/engine/findings/diagnose';

/** A plain chain of `n` tanh layers, pretty-printed (one property per line) so that line numbers are meaningful. */
function tanhChain(n: number, std: number): string {
  return JSON.stringify({ input: { shape: [16] }, batch_size: 8,
    layers: Array.from({ length: n }, () => ({ type: 'dense', units: 16, activation: 'tanh', init: { scheme: 'normal', std } })) }, null, 1);
}

suite('overflow and underflow are reported, never NaN or Infinity without a word (issue 14)', () => {
  test('chainVerdict: a series that overflows to Infinity explodes, one that falls to 0 vanishes, NaN gives no verdict', () => {
    // Before the fix any non-finite std returned null, and the exploding finding was lost.
    const exploding = chainVerdict([1, 2, 4, 8, Infinity, Infinity, NaN]);
    assert.deepEqual(exploding, { kind: 'exploding', perLayer: 2, firstStep: 0, overflowAt: 4, underflowAt: null });
    assert.equal(chainVerdict([Infinity, Infinity])?.kind, 'exploding');
    const vanishing = chainVerdict([1, 0.5, 0.25, 0, 0]);
    assert.deepEqual(vanishing, { kind: 'vanishing', perLayer: 0.5, firstStep: 0, overflowAt: null, underflowAt: 3 });
    assert.equal(chainVerdict([1, NaN, 2]), null);
    // An ordinary series keeps its verdict.
    assert.deepEqual(chainVerdict([1, 0.1, 0.01, 0.001, 1e-4, 1e-5]), { kind: 'vanishing', perLayer: chainVerdict([1, 0.1, 0.01, 0.001, 1e-4, 1e-5])!.perLayer, firstStep: 0, overflowAt: null, underflowAt: null });
  });

  test('a 2,000-layer tanh chain whose predicted gradient overflows: exploding-gradients says so, and a located warning names the number', () => {
    const text = tanhChain(2000, 1);
    const report = analyze(text, { mode: 'analytic' });
    const finding = report.findings.find((f) => f.code === 'exploding-gradients');
    assert.ok(finding, 'the exploding-gradients finding is kept');
    assert.match(finding.message, /overflows to Infinity/);
    const expectedLayer = report.layers.filter((l) => l.predicted?.gradientStd === Infinity).at(-1)!;
    const warning = report.problems.find((p) => p.message.startsWith('predicted.gradientStd'));
    assert.ok(warning, JSON.stringify(report.problems));
    assert.equal(warning.severity, 'warning');
    assert.equal(warning.path, expectedLayer.path);
    assert.ok(warning.message.includes(`layer ${expectedLayer.index} '${expectedLayer.name}'`), warning.message);
    // The layer object's line: the (index + 1)-th object opening at the layers array's depth (two spaces).
    const lines = text.split('\n');
    let line = 0;
    for (let i = 0, seen = -1; i < lines.length && line === 0; i++) if (lines[i] === '  {' && ++seen === expectedLayer.index) line = i + 1;
    assert.equal(warning.line, line);
    assert.equal(warning.column, 3);
    assert.ok(warning.message.includes(`(${expectedLayer.path}, line ${line}, column 3)`), warning.message);
    // The JSON report keeps its shape: the overflowed number is null there, the others stay numbers.
    const json = JSON.parse(JSON.stringify(report));
    assert.equal(json.layers[0].predicted.gradientStd, null);
    assert.equal(typeof json.layers[1999].predicted.gradientStd, 'number');
  });

  test('an ordinary network gets no overflow warning', () => {
    const report = analyze(tanhChain(10, 0.25), { mode: 'both' });
    assert.deepEqual(report.problems, []);
  });
});
