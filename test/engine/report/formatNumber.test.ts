import * as assert from 'node:assert/strict';
import { formatNumber, formatPercent } from '../../../src/engine/report/formatNumber';

// The expected strings are what the two formatters this one replaced (formatReport's `cell`, the webview's `fmt` and
// `pct`, at commit ddb8ef4) printed for the same inputs: the output did not change.
suite('one number format for the CLI, the hover and the panel (formatNumber, formatPercent)', () => {
  test('3 significant digits, exponent form when tiny or huge, a dash when absent', () => {
    const cases: [number | null | undefined, string][] = [
      [null, '–'], [undefined, '–'], [NaN, '–'], [0, '0'], [-0, '0'], [1, '1'], [0.826, '0.826'], [0.0463217, '0.0463'],
      [0.001, '0.001'], [0.000999, '9.99e-4'], [9999, '10000'], [9999.6, '10000'], [10000, '1.00e+4'], [12345, '1.23e+4'], [-0.5, '-0.5'],
      [1.0049, '1'], [Infinity, 'Infinity'],
    ];
    for (const [x, expected] of cases) assert.equal(formatNumber(x), expected, String(x));
  });

  test('percent with one decimal, two below 1%, a dash when absent', () => {
    const cases: [number | null | undefined, string][] = [[null, '–'], [undefined, '–'], [0, '0.0%'], [0.409, '40.9%'], [0.004, '0.40%'], [0.01, '1.0%'], [1, '100.0%']];
    for (const [x, expected] of cases) assert.equal(formatPercent(x), expected, String(x));
  });
});
