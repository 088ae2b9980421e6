import {
  BarController, BarElement, CategoryScale, Chart, type ChartConfiguration, Legend, LinearScale, LineController, LineElement, LogarithmicScale,
  PointElement, Title, Tooltip,
} from 'chart.js';
import type { LayerReport } from '../src/engine/report/report';
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

const layerLabel = (l: LayerReport): string => `${l.index + 1}`;
const positive = (x: number | null | undefined): number | null => (x !== null && x !== undefined && x > 0 && Number.isFinite(x) ? x : null);

function axes(theme: ChartTheme, y: { title: string; log: boolean; min?: number; max?: number }) {
  const common = { ticks: { color: theme.foreground, font: { family: theme.font } }, grid: { color: theme.grid }, border: { color: theme.grid } };
  return {
    x: { ...common, title: { display: true, text: 'layer (execution order)', color: theme.foreground } },
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
 * A per-layer std chart: the sampled value beside the mean-field prediction, on a log scale. With `pending`, the
 * sampled values are the previous run's (a newer what-if's run has not finished): hollow, faded points on a dotted
 * line, named so in the legend, while the prediction is already the new one.
 */
export function stdChart(canvas: HTMLCanvasElement, layers: LayerReport[], theme: ChartTheme, kind: 'activation' | 'gradient', pending = false): void {
  const sampled = layers.map((l) => positive(kind === 'activation' ? l.activation?.std : l.gradient?.std));
  const predicted = layers.map((l) => positive(kind === 'activation' ? l.predicted?.activationStd : l.predicted?.gradientStd));
  const color = kind === 'activation' ? theme.sampled : theme.gradient;
  const predictedColor = kind === 'activation' ? theme.predicted : theme.gradientPredicted;
  const datasets = [];
  // Samples are dots on a thin line; the prediction is a dashed line drawn on top (order 0) without markers, so where
  // the two agree the dashes run through the dots and both stay visible.
  if (sampled.some((v) => v !== null)) {
    datasets.push(pending
      ? { label: 'sampled: pending (previous run)', data: sampled, borderColor: faded(color), backgroundColor: 'transparent', pointBorderColor: faded(color), borderWidth: 1, borderDash: [2, 3], pointRadius: 5, pointBorderWidth: 1.5, pointHoverRadius: 7, spanGaps: true, order: 1 }
      : { label: 'sampled', data: sampled, borderColor: color, backgroundColor: color, borderWidth: 1.5, pointRadius: 5, pointHoverRadius: 7, spanGaps: true, order: 1 });
  }
  if (predicted.some((v) => v !== null)) {
    datasets.push({ label: 'predicted (mean field)', data: predicted, borderColor: predictedColor, backgroundColor: predictedColor, borderDash: [7, 5], borderWidth: 3, pointRadius: 0, pointHoverRadius: 4, pointStyle: 'line', spanGaps: true, order: 0 });
  }
  // At least a factor of 2 of head room each way, so that a flat line reads as flat rather than as a zoomed-in wiggle.
  const values = [...sampled, ...predicted].filter((v): v is number => v !== null);
  const range = values.length ? { min: Math.min(...values) / 2, max: Math.max(...values) * 2 } : {};
  const title = kind === 'activation' ? 'Output std per layer' : 'Gradient std per layer (backward pass)';
  const options = base(theme, title);
  options.plugins.tooltip.callbacks.title = (items: { dataIndex: number }[]) => items.length ? `${layers[items[0].dataIndex].index + 1}: ${layers[items[0].dataIndex].name} (${layers[items[0].dataIndex].type})` : '';
  draw(canvas, {
    type: 'line',
    data: { labels: layers.map(layerLabel), datasets },
    options: { ...options, scales: axes(theme, { title: kind === 'activation' ? 'std of the layer output (log)' : 'std of dL/d(output) (log)', log: true, ...range }) },
  } as ChartConfiguration, { sampled, predicted });
  canvas.dataset.pending = String(pending && sampled.some((v) => v !== null));
}

/**
 * Saturated and dead fractions per layer, in percent (sampled when measured, else predicted). With `pending`, the
 * prediction for the newer what-if, whose sampled run has not finished.
 */
export function fractionsChart(canvas: HTMLCanvasElement, layers: LayerReport[], theme: ChartTheme, pending = false): void {
  const measured = !pending && layers.some((l) => l.activation);
  const stats = (l: LayerReport) => (measured ? l.activation : null) ?? l.predicted;
  const saturated = layers.map((l) => 100 * (stats(l)?.saturatedFraction ?? 0));
  const dead = layers.map((l) => 100 * (stats(l)?.deadFraction ?? 0));
  draw(canvas, {
    type: 'bar',
    data: {
      labels: layers.map(layerLabel),
      datasets: [
        { label: 'saturated (|tanh| > 0.99, sigmoid outside 0.01–0.99)', data: saturated, backgroundColor: theme.saturated, borderColor: theme.saturated },
        { label: 'dead (ReLU ≤ 0 for the whole batch)', data: dead, backgroundColor: theme.dead, borderColor: theme.dead },
      ],
    },
    options: { ...base(theme, `Saturated and dead units per layer${measured ? '' : pending ? ' (predicted; sampled run pending)' : ' (predicted)'}`), scales: axes(theme, { title: '% of outputs / units', log: false, max: 100 }) },
  } as ChartConfiguration, { saturated, dead });
}
