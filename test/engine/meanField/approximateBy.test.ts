import * as assert from 'node:assert/strict';
import { analyze } from '../../../src/engine';
import { compoundBounds, momentsBound, summedVarianceBound } from '../../../src/engine/meanField/approximation';
import { formatApproximate } from '../../../src/engine/report/formatNumber';
import { assertClose, readRepoFile } from '../../repo';

suite('how far a prediction may be off: approximateBy, compounded downstream', () => {
  test('bounds compound as (1 + a)·(1 + b) − 1, and unknown stays unknown', () => {
    assert.equal(compoundBounds(0.1, 0.2), (1.1 * 1.2) - 1);
    assert.ok(Number.isNaN(compoundBounds(NaN, 0.1)));
  });

  test('a summed gradient weighs each part\'s bound by its variance: the extreme ratios of the sum, by their closed forms', () => {
    // Parts with one bound b: the sum is off by b too.
    assertClose(summedVarianceBound(3, 0.2, [{ variance: 1, bound: 0.2 }, { variance: 1, bound: 0.2 }])!, 0.2, 1e-12);
    // A branch carrying 1% of the gradient, off by up to 100%, beside a direct part known exactly: the sum's true
    // variance is at most 0.99 + 0.01·2² of its prediction, at least 0.99 + 0.01/2².
    const up = Math.sqrt(0.99 + 0.04) - 1, down = 1 / Math.sqrt(0.99 + 0.0025) - 1;
    assertClose(summedVarianceBound(1, 0, [{ variance: 0.01, bound: 1 }])!, Math.max(up, down), 1e-12);
    assert.ok(up > down && up < 0.015);
    // A part with no gradient adds nothing; one part alone keeps its bound; unknown stays unknown.
    assertClose(summedVarianceBound(2, 0.1, [{ variance: 0, bound: 50 }])!, 0.1, 1e-12);
    assertClose(summedVarianceBound(2, 0.9, [{ variance: 2, bound: 0.3 }])!, 0.3, 1e-12);
    assert.ok(Number.isNaN(summedVarianceBound(2, 0.1, [{ variance: 1, bound: NaN }])!));
    // Not a sum of its parts (they add up to more than the total), or nothing to weigh: no answer.
    assert.equal(summedVarianceBound(1, 0.1, [{ variance: 1.5, bound: 0.1 }]), undefined);
    assert.equal(summedVarianceBound(0, 0.1, []), undefined);
    assert.equal(summedVarianceBound(Infinity, 0.1, [{ variance: Infinity, bound: 0.1 }]), undefined);
  });

  test('through twelve residual blocks a branch\'s bound counts by its share: GPT-2 small\'s gradient bounds stay below 200%', () => {
    // Counted whole, the attention branches' 25% compounded to 8,916% at the embeddings; weighed, the largest is 168%.
    // That the bounds still cover the sampled gradients (off by 29% at most) is test/dist/meanFieldVsSampled.test.ts.
    const report = analyze(readRepoFile('examples', 'gpt2-small.net.json'), { mode: 'analytic' });
    const largest = Math.max(...report.layers.map((l) => l.predicted!.gradientApproximateBy!));
    assert.ok(largest > 0.25 && largest < 2, `largest gradient bound ${largest}`);
  });

  test('a post-LN stack: the layernorm passes its input\'s marginal on, so the next one\'s gradient bound is not the constant-group worst case', () => {
    // relu outputs + a Gaussian branch: a sum with a marginal and no law; layernorm; then a residual around a dense
    // whose shortcut is that layernorm's output, and a second layernorm with eps 1e-12. Without the marginal after the
    // first layernorm, the second could only assume constant groups: its factor bound √(Var/eps) − 1, about 10⁶.
    const spec = JSON.stringify({ input: { shape: [16, 256] }, batch_size: 4, layers: [
      { type: 'dense', units: 256, activation: 'relu', init: 'kaiming_normal' },
      { type: 'residual', layers: [{ type: 'dense', units: 256, init: 'xavier_normal' }] },
      { type: 'layernorm', eps: 1e-12 },
      { type: 'residual', layers: [{ type: 'dense', units: 256, init: 'xavier_normal' }] },
      { type: 'layernorm', eps: 1e-12 },
      { type: 'dense', units: 10, init: 'xavier_normal' },
    ] });
    const report = analyze(spec, { mode: 'analytic' });
    assert.deepEqual(report.problems, []);
    for (const l of report.layers) assert.ok(l.predicted!.gradientApproximateBy! < 1, `layer ${l.index} (${l.type}): gradient bound ${l.predicted!.gradientApproximateBy}`);
  });

  test('momentsBound covers every value between two predictions: the means apart over the smaller std, the stds\' ratio', () => {
    assert.equal(momentsBound({ mean: 1, std: 2 }, { mean: 1, std: 2 }), 0);
    assertClose(momentsBound({ mean: 0, std: 1 }, { mean: 0.3, std: 2 }), 1, 1e-12);
    assertClose(momentsBound({ mean: 0, std: 1 }, { mean: 0.9, std: 0.5 }), 1.8, 1e-12);
    assert.equal(momentsBound({ mean: 0, std: 0 }, { mean: 0, std: 1 }), Infinity);
  });

  test('the 4096-wide lecture networks are exact to a few percent: no layer approximate, every bound below 10%', () => {
    for (const file of ['kaiming-relu.net.json', 'tanh-0.01-randn.net.json']) {
      const report = analyze(readRepoFile('examples', file), { mode: 'analytic' });
      for (const l of report.layers) {
        assert.equal(l.predicted!.approximate, false, `${file} layer ${l.index}`);
        assert.ok(l.predicted!.approximateBy! <= 0.1 && l.predicted!.gradientApproximateBy! <= 0.1, `${file} layer ${l.index}`);
      }
    }
  });

  test('a narrow network is approximate by its finite-size scatter, more so the narrower it is', () => {
    const net = (units: number): string => JSON.stringify({ input: { shape: [units] }, batch_size: 8, layers: [
      { type: 'repeat', times: 4, layers: [{ type: 'dense', units, activation: 'relu', init: 'kaiming_normal' }] }] });
    const narrow = analyze(net(16), { mode: 'analytic' }).layers;
    const wide = analyze(net(256), { mode: 'analytic' }).layers;
    assert.ok(narrow.every((l) => l.predicted!.approximate));
    narrow.forEach((l, i) => assert.ok(l.predicted!.approximateBy! > wide[i].predicted!.approximateBy!, `layer ${i}`));
    // The scatter adds up along the chain forward, and from the output backward.
    for (let i = 1; i < narrow.length; i++) assert.ok(narrow[i].predicted!.approximateBy! > narrow[i - 1].predicted!.approximateBy!);
    for (let i = 1; i < narrow.length; i++) assert.ok(narrow[i - 1].predicted!.gradientApproximateBy! > narrow[i].predicted!.gradientApproximateBy!);
  });

  test('an approximation without a bound makes every later layer approximate by an unknown amount, until a normalization', () => {
    // A dense layer with a non-zero weight mean after one whose units share a common part (tanh of a constant-init
    // layer): the recursion cannot say how far Σx spreads.
    const report = analyze(JSON.stringify({ input: { shape: [64] }, batch_size: 64, layers: [
      { type: 'dense', units: 256, activation: 'tanh', init: { scheme: 'normal', mean: 0.01, std: 0.05 } },
      { type: 'dense', units: 256, activation: 'tanh', init: { scheme: 'normal', mean: 0.01, std: 0.05 } },
      { type: 'dense', units: 256, activation: 'tanh', init: 'xavier_normal' },
      { type: 'layernorm' },
      { type: 'dense', units: 256, init: 'xavier_normal' },
    ] }), { mode: 'analytic' });
    const p = report.layers.map((l) => l.predicted!);
    // The first layer's output is exact, its gradient comes through the unknown one.
    assert.ok(p[0].approximateBy! <= 0.1 && p[0].gradientApproximateBy === null && p[0].approximate);
    assert.ok(p[1].approximate && p[1].approximateBy === null, 'the second non-zero-mean layer');
    assert.ok(p[2].approximate && p[2].approximateBy === null && p[2].gradientApproximateBy === null, 'downstream of it');
    // The layernorm's output is normalized whatever came in, and its gradient comes from the exact layer after it; the
    // gradient through it (at its input, layer 2) depends on what came in.
    assert.ok(p[3].approximateBy! <= 0.1 && p[3].gradientApproximateBy! <= 0.1 && !p[3].approximate);
    assert.ok(p[4].approximateBy! <= 0.1);
  });

  test('the CLI and the panel mark approximate predictions with their bound: ~±19%, ~? when unknown, nothing within 10%', () => {
    assert.equal(formatApproximate(true, 0.183), ' ~±19%');
    assert.equal(formatApproximate(true, 0.1003), ' ~±11%');
    assert.equal(formatApproximate(true, null), ' ~?');
    assert.equal(formatApproximate(true, 0.08), '');
    assert.equal(formatApproximate(false, 0.5), '');
  });
});
