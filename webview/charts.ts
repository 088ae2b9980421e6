import {
  BarController, BarElement, CategoryScale, Chart, type ChartConfiguration, Legend, LinearScale, LineController, LineElement, LogarithmicScale,
  PointElement, Title, Tooltip,
} from 'chart.js';
import { attentionOf, chartRows, fractions, gradientStd, outputStd, rowLabel, rowTitle, type ViewRow } from './blockView';
import type { ChartTheme } from './theme';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, BarController, BarElement, Legend, Tooltip, Title);

const charts = new Map<HTMLCanvasElement, Chart>();

/**
 * Draws a chart on a canvas, or updates the one already there in place (new data and options, no animation), and
 * records the plotted values in its data-* attributes for tests. Charts whose canvas has left the page (a redrawn
 * histogram grid) are destroyed first, so none leak across runs.
 */
export function draw(canvas: HTMLCanvasElement, config: ChartConfiguration, series: Record<string, (number | null)[]>): void {
  for (const [c, chart] of charts) {
    if (c.isConnected) continue;
    chart.destroy();
    charts.delete(c);
  }
  canvas.dataset.ready = 'false';
  const existing = charts.get(canvas);
  if (existing && (existing.config as { type?: string }).type === config.type) {
    existing.data = config.data;
    existing.options = config.options ?? {};
    existing.update('none');
  } else {
    existing?.destroy();
    charts.set(canvas, new Chart(canvas, config));
  }
  canvas.dataset.series = JSON.stringify(series);
  canvas.dataset.ready = 'true';
}

/** How many charts exist (for tests: it must not grow from run to run). */
export function chartCount(): number {
  return charts.size;
}

export function destroyAll(): void {
  for (const c of charts.values()) c.destroy();
  charts.clear();
}

const positive = (x: number | null | undefined): number | null => (x !== null && x !== undefined && x > 0 && Number.isFinite(x) ? x : null);

/**
 * Markers small enough to leave the dashed prediction visible between them and not to merge into a band on a deep
 * network: 5 px up to 24 points, 3.5 up to 60, 2.5 up to 150, then 1.5.
 */
export function pointRadius(points: number): number {
  return points <= 24 ? 5 : points <= 60 ? 3.5 : points <= 150 ? 2.5 : 1.5;
}

/** The x axis title: blocks (with the layers outside them) or layers. */
function xTitle(grouped: boolean): string {
  return grouped ? 'block (and the layers outside the blocks, by name)' : 'layer (execution order)';
}

function axes(theme: ChartTheme, y: { title: string; log: boolean; min?: number; max?: number }, x: string) {
  const common = { ticks: { color: theme.foreground, font: { family: theme.font } }, grid: { color: theme.grid }, border: { color: theme.grid } };
  return {
    // Category labels are thinned to what fits (autoSkip), unrotated, so that hundreds of layers never overlap.
    x: { ...common, ticks: { ...common.ticks, autoSkip: true, autoSkipPadding: 10, maxRotation: 0 }, title: { display: true, text: x, color: theme.foreground } },
    y: { ...common, type: y.log ? 'logarithmic' as const : 'linear' as const, min: y.log ? y.min : 0, max: y.max,
      title: { display: true, text: y.title, color: theme.foreground } },
  };
}

function base(theme: ChartTheme, title: string) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'index' as const, intersect: false },
    plugins: {
      title: { display: true, text: title, color: theme.foreground, font: { family: theme.font, size: 13, weight: 'bold' as const } },
      legend: { labels: { color: theme.foreground, font: { family: theme.font }, usePointStyle: true } },
      tooltip: { callbacks: {} as Record<string, unknown> },
    },
  };
}

/** A colour at reduced opacity (for sampled points still pending): '#rrggbb[aa]' and 'rgb[a](…)' forms; others unchanged. */
function faded(color: string, alpha = 0.45): string {
  const hex = /^#([0-9a-f]{6})(?:[0-9a-f]{2})?$/i.exec(color);
  if (hex) return `#${hex[1]}${Math.round(alpha * 255).toString(16).padStart(2, '0')}`;
  const rgb = /^rgba?\(([^,]+),([^,]+),([^,)]+)/.exec(color);
  return rgb ? `rgba(${rgb[1]},${rgb[2]},${rgb[3]},${alpha})` : color;
}

/**
 * A std chart: the sampled value beside the mean-field prediction, on a log scale, per row of the view (a block's
 * stream at its output and gradient at its input, a layer's own). With `pending`, the sampled values are the previous
 * run's (a newer what-if's run has not finished): hollow, faded points on a dotted line, named so in the legend, while
 * the prediction is already the new one.
 */
export function stdChart(canvas: HTMLCanvasElement, viewRows: readonly ViewRow[], theme: ChartTheme, kind: 'activation' | 'gradient', pending = false, grouped = false,
  onBlock?: (key: string) => void): void {
  const rows = chartRows(viewRows);
  const values = rows.map(kind === 'activation' ? outputStd : gradientStd);
  const sampled = values.map((v) => positive(v.sampled));
  const predicted = values.map((v) => positive(v.predicted));
  const color = kind === 'activation' ? theme.sampled : theme.gradient;
  const predictedColor = kind === 'activation' ? theme.predicted : theme.gradientPredicted;
  const radius = pointRadius(rows.length);
  const datasets = [];
  // Samples are dots on a thin line; the prediction is a dashed line drawn on top (order 0) without markers, so where
  // the two agree the dashes run through the dots and both stay visible.
  if (sampled.some((v) => v !== null)) {
    datasets.push(pending
      ? { label: 'sampled: pending (previous run)', data: sampled, borderColor: faded(color), backgroundColor: 'transparent', pointBorderColor: faded(color), borderWidth: 1, borderDash: [2, 3], pointRadius: radius, pointBorderWidth: 1.5, pointHoverRadius: 7, spanGaps: true, order: 1 }
      : { label: 'sampled', data: sampled, borderColor: color, backgroundColor: color, borderWidth: 1.5, pointRadius: radius, pointHoverRadius: 7, spanGaps: true, order: 1 });
  }
  if (predicted.some((v) => v !== null)) {
    // Thinner past 150 points, where a 3 px line would cover the points it runs between.
    const dense = rows.length > 150;
    datasets.push({ label: 'predicted (mean field)', data: predicted, borderColor: predictedColor, backgroundColor: predictedColor, borderDash: dense ? [4, 3] : [7, 5], borderWidth: dense ? 1.5 : 3, pointRadius: 0, pointHoverRadius: 4, pointStyle: 'line', spanGaps: true, order: 0 });
  }
  // At least a factor of 2 of head room each way, so that a flat line reads as flat rather than as a zoomed-in wiggle.
  const all = [...sampled, ...predicted].filter((v): v is number => v !== null);
  const range = all.length ? { min: Math.min(...all) / 2, max: Math.max(...all) * 2 } : {};
  const per = grouped ? 'per block' : 'per layer';
  const title = kind === 'activation' ? `Output std ${per}${grouped ? ' (the residual stream after each block)' : ''}` : `Gradient std ${per} (backward pass${grouped ? ', at each block\'s input' : ''})`;
  const options = base(theme, title);
  options.plugins.tooltip.callbacks.title = (items: { dataIndex: number }[]) => (items.length ? rowTitle(rows[items[0].dataIndex]) + (rows[items[0].dataIndex].kind === 'block' && onBlock ? ' (click to expand)' : '') : '');
  // Clicking a block's point expands it to its layers (as its name in the table does).
  const onClick = (_event: unknown, elements: { index: number }[]): void => {
    const row = elements.length ? rows[elements[0].index] : undefined;
    if (row?.kind === 'block') onBlock?.(row.key);
  };
  draw(canvas, {
    type: 'line',
    data: { labels: rows.map((r) => rowLabel(r, grouped)), datasets },
    options: { ...options, onClick, scales: axes(theme, { title: kind === 'activation' ? 'std of the output (log)' : 'std of dL/d(output) (log)', log: true, ...range }, xTitle(grouped)) },
  } as ChartConfiguration, { sampled, predicted });
  canvas.dataset.labels = JSON.stringify(rows.map((r) => rowLabel(r, grouped)));
  canvas.dataset.pending = String(pending && sampled.some((v) => v !== null));
  canvas.dataset.points = String(rows.length);
}

/**
 * Attention at init per row with attention (a block's lowest entropy and largest logit std, an attention layer's
 * own): the mean entropy over ln(visible keys) on the left axis (1 uniform, 0 one key), the logit std sampled and
 * predicted on the right. Returns false (nothing drawn) when no row has attention.
 */
export function attentionChart(canvas: HTMLCanvasElement, viewRows: readonly ViewRow[], theme: ChartTheme, pending = false, grouped = false): boolean {
  const rows = chartRows(viewRows).filter((r) => attentionOf(r) !== null);
  if (rows.length === 0) return false;
  const entropy = rows.map((r) => attentionOf(r)!.entropy);
  const logit = rows.map((r) => positive(attentionOf(r)!.logitStd));
  const predicted = rows.map((r) => positive(attentionOf(r)!.predictedLogitStd));
  const radius = pointRadius(rows.length);
  const datasets = [];
  if (entropy.some((v) => v !== null)) {
    datasets.push({ label: `entropy / ln(visible keys)${pending ? ': pending' : ''}`, data: entropy, yAxisID: 'y', borderColor: theme.sampled, backgroundColor: theme.sampled, borderWidth: 1.5, pointRadius: radius, spanGaps: true, order: 1 });
  }
  if (logit.some((v) => v !== null)) {
    datasets.push({ label: `logit std${pending ? ': pending' : ''}`, data: logit, yAxisID: 'y1', borderColor: theme.gradient, backgroundColor: theme.gradient, borderWidth: 1.5, pointRadius: radius, pointStyle: 'rectRot', spanGaps: true, order: 1 });
  }
  datasets.push({ label: 'logit std predicted', data: predicted, yAxisID: 'y1', borderColor: theme.predicted, backgroundColor: theme.predicted, borderDash: [7, 5], borderWidth: 3, pointRadius: 0, pointStyle: 'line', spanGaps: true, order: 0 });
  const options = base(theme, `Attention at init ${grouped ? 'per block (its least uniform attention)' : 'per attention layer'}`);
  options.plugins.tooltip.callbacks.title = (items: { dataIndex: number }[]) => (items.length ? rowTitle(rows[items[0].dataIndex]) : '');
  const scales = axes(theme, { title: 'entropy / ln(visible keys)', log: false, max: 1 }, grouped ? 'block' : 'attention layer (number)');
  // Logit stds span decades (0.01 for tiny inits, 10 past collapse): a log axis, with a factor of 2 of head room.
  const logits = [...logit, ...predicted].filter((v): v is number => v !== null);
  const logRange = logits.length ? { min: Math.min(...logits) / 2, max: Math.max(...logits) * 2 } : {};
  draw(canvas, {
    type: 'line',
    data: { labels: rows.map((r) => rowLabel(r, grouped)), datasets },
    options: { ...options, scales: { ...scales, y1: { ...scales.y, type: 'logarithmic', position: 'right', ...logRange, grid: { drawOnChartArea: false }, title: { display: true, text: 'logit std (log)', color: theme.foreground } } } },
  } as ChartConfiguration, { entropy, logitStd: logit, predictedLogitStd: predicted });
  canvas.dataset.points = String(rows.length);
  return true;
}

/**
 * Saturated and dead fractions per row of the view (a block's worst layer's), in percent (sampled when measured, else
 * predicted). With `pending`, the prediction for the newer what-if, whose sampled run has not finished.
 */
export function fractionsChart(canvas: HTMLCanvasElement, viewRows: readonly ViewRow[], theme: ChartTheme, pending = false, grouped = false): void {
  const rows = chartRows(viewRows);
  const measured = !pending && rows.some((r) => (r.kind === 'block' ? r.layers.some((l) => l.activation) : r.layer.activation));
  const values = rows.map((r) => fractions(r, measured));
  const saturated = values.map((v) => 100 * v.saturated);
  const dead = values.map((v) => 100 * v.dead);
  draw(canvas, {
    type: 'bar',
    data: {
      labels: rows.map((r) => rowLabel(r, grouped)),
      datasets: [
        { label: 'saturated (|tanh| > 0.99, sigmoid outside 0.01–0.99)', data: saturated, backgroundColor: theme.saturated, borderColor: theme.saturated },
        { label: 'dead (ReLU ≤ 0 for the whole batch)', data: dead, backgroundColor: theme.dead, borderColor: theme.dead },
      ],
    },
    options: { ...base(theme, `Saturated and dead units ${grouped ? 'per block (its worst layer)' : 'per layer'}${measured ? '' : pending ? ' (predicted; sampled run pending)' : ' (predicted)'}`), scales: axes(theme, { title: '% of outputs / units', log: false, max: 100 }, xTitle(grouped)) },
  } as ChartConfiguration, { saturated, dead });
}
