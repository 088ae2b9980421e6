import * as assert from 'node:assert/strict';
import { positionOf, scaleAt, SCALE_RANGE } from '../../webview/scale';

suite('the scale slider\'s log scale (webview/scale.ts)', () => {
  test('positions are log10 of the scale, shown to two significant digits', () => {
    assert.equal(scaleAt(0), 1);
    assert.equal(scaleAt(SCALE_RANGE.min), 0.01);
    assert.equal(scaleAt(SCALE_RANGE.max), 100);
    // 10^0.3 = 1.995 and 10^-0.3 = 0.501: the steps near ×2 and ×0.5 read as those.
    assert.equal(scaleAt(0.3), 2);
    assert.equal(scaleAt(-0.3), 0.5);
    assert.equal(scaleAt(0.05), 1.1);
  });

  test('every step of the range maps back to itself, and the scales grow with the position', () => {
    let previous = 0;
    for (let i = 0; i <= (SCALE_RANGE.max - SCALE_RANGE.min) / SCALE_RANGE.step; i++) {
      const position = Number((SCALE_RANGE.min + i * SCALE_RANGE.step).toFixed(2));
      const scale = scaleAt(position);
      assert.equal(positionOf(scale), position, `×${scale}`);
      assert.ok(scale > previous, `×${scale} after ×${previous}`);
      previous = scale;
    }
  });

  test('a typed scale moves the slider to the nearest step, clamped to the range; ×0 sits at the left end', () => {
    assert.equal(positionOf(2), 0.3);
    assert.equal(positionOf(0.25), -0.6);
    assert.equal(positionOf(1e6), SCALE_RANGE.max);
    assert.equal(positionOf(1e-9), SCALE_RANGE.min);
    assert.equal(positionOf(0), SCALE_RANGE.min);
  });
});
