/**
 * A statistic for display, the same in the CLI's table, the hover and the panel: 3 significant digits, exponent form
 * with 2 decimals when tiny (|x| < 1e-3) or huge (|x| ≥ 1e4), '0' for zero, '–' when absent or NaN.
 * `formatNumber(0.0463217)` is '0.0463', `formatNumber(12345)` is '1.23e+4'.
 */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
  return formatSignificant(x);
}

/**
 * A fraction in [0, 1] as a percentage with one decimal, or two below 1% (so that 0.4% of saturated units does not
 * read as 0.0%), '–' when absent. `formatPercent(0.409)` is '40.9%', `formatPercent(0.004)` is '0.40%'.
 */
export function formatPercent(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;
}

/**
 * x rounded to `digits` significant digits, without trailing zeros or exponent for the range messages quote:
 * `formatSignificant(0.022097)` is '0.0221', as fixes and init labels print a std or a gain.
 */
export function formatSignificant(x: number, digits = 3): string {
  return Number(x.toPrecision(digits)).toString();
}

/**
 * The mark after a predicted number that a sampled run may not match within 10%: ' ~±18%' when it may be off by
 * up to 18% (`PredictedLayer.approximateBy`), ' ~?' when by an unknown amount, '' when it is not approximate.
 * Bounds of 10% and below read as no mark; percentages round up: `formatApproximate(true, 0.183)` is ' ~±19%'.
 */
export function formatApproximate(approximate: boolean | undefined, by: number | null | undefined): string {
  if (!approximate) return '';
  if (by === null || by === undefined || !Number.isFinite(by)) return ' ~?';
  if (by <= 0.1) return '';
  // Rounded up, so that a bound just past 10% never reads as 10%.
  return ` ~±${by >= 10 ? '>999' : Math.ceil(100 * by)}%`;
}

/**
 * The range of the finite values as the CLI's grouped rows and the panel's block rows print it: `0.082–0.3`, one
 * number when both ends format alike, `empty` when there is none.
 */
export function formatRange(values: readonly (number | null | undefined)[], empty = '–'): string {
  const xs = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (xs.length === 0) return empty;
  const [lo, hi] = [formatNumber(Math.min(...xs)), formatNumber(Math.max(...xs))];
  return lo === hi ? lo : `${lo}–${hi}`;
}
