import * as assert from 'node:assert/strict';
import { opaque } from '../../webview/theme';

suite('chart colours from the theme (webview/theme.ts)', () => {
  test('a translucent theme colour is drawn opaque: its alpha dropped, the hue kept', () => {
    assert.equal(opaque('rgba(234, 92, 0, 0.33)'), 'rgb(234, 92, 0)');
    assert.equal(opaque('#d1861655'), '#d18616');
    assert.equal(opaque('#d865'), '#d86');
    for (const color of ['#59a4f9', 'rgb(1, 2, 3)', '#abc', 'orange']) assert.equal(opaque(color), color);
  });
});
