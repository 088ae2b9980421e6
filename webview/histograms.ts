import type { ChartConfiguration } from 'chart.js';
import type { LayerReport } from '../src/engine/report/report';
import { draw } from './charts';
import { formatNumber } from '../src/engine/report/formatNumber';
import { h } from './dom';
import type { ChartTheme } from './theme';

/** At most this many layers get a histogram; deeper networks show evenly spaced ones (first and last included). */
const MAX_PANELS = 24;
const BINS = 40;

/** Spreads a histogram's counts over new bins in proportion to the overlap of each old bin with each new one. */
export function rebin(edges: number[], counts: number[], lo: number, hi: number, bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (let i = 0; i < counts.length; i++) {
    const a = edges[i];
    const b = edges[i + 1];
    if (counts[i] === 0 || b <= a) continue;
    const first = Math.max(0, Math.floor((a - lo) / width));
    const last = Math.min(bins - 1, Math.floor((b - lo) / width - 1e-9));
    for (let j = first; j <= last; j++) {
      const overlap = Math.min(b, lo + (j + 1) * width) - Math.max(a, lo + j * width);
      if (overlap > 0) out[j] += (counts[i] * overlap) / (b - a);
    }
  }
  return out;
}

function pickLayers(layers: LayerReport[]): LayerReport[] {
  const withData = layers.filter((l) => l.activation);
  if (withData.length <= MAX_PANELS) return withData;
  return Array.from({ length: MAX_PANELS }, (_, i) => withData[Math.round((i * (withData.length - 1)) / (MAX_PANELS - 1))]);
}

/** What each histogram grid last drew (the layers array and the theme), so that asking again for the same draws nothing. */
const drawn = new WeakMap<HTMLElement, { layers: LayerReport[]; themeKey: string }>();

/**
 * Per-layer histograms of the outputs as small multiples, one column per layer and the same x-range for all (the
 * classic lecture figure: shrinking towards 0 or piling up at ±1 is visible at a glance). The cells of the last call
 * are reused when the same layers are shown, so their charts are updated in place rather than made anew. With
 * `pending`, the histograms are the previous run's (a newer what-if's run has not finished) and are marked so.
 */
export function histogramGrid(container: HTMLElement, layers: LayerReport[], theme: ChartTheme, pending = false): void {
  const shown = pickLayers(layers);
  container.classList.toggle('pending', pending && shown.length > 0);
  container.dataset.pending = String(pending && shown.length > 0);
  // While the slider moves, the same previous run's histograms are asked for on every frame: they are drawn already.
  const themeKey = JSON.stringify(theme);
  const last = drawn.get(container);
  if (last && last.layers === layers && last.themeKey === themeKey) return;
  drawn.set(container, { layers, themeKey });
  if (shown.length === 0) {
    container.replaceChildren(h('p', { class: 'placeholder' }, 'Histograms need a sampled run (mode "sampled" or "both").'));
    return;
  }
  const lo = Math.min(...shown.map((l) => l.activation!.histogram.edges[0]));
  const hi = Math.max(...shown.map((l) => l.activation!.histogram.edges[l.activation!.histogram.edges.length - 1]));
  container.dataset.range = JSON.stringify([lo, hi]);
  container.dataset.layers = String(shown.length);
  const key = shown.map((l) => l.index).join(',');
  let grid = container.querySelector<HTMLElement>('.histogram-grid');
  // As many cells as before (another view of the same deep model: blocks or all layers): the cells and their charts
  // are reused, relabelled and updated in place, which costs a fraction of making 24 charts anew.
  if (grid && grid.dataset.key !== key && grid.children.length === shown.length) {
    grid.dataset.key = key;
    shown.forEach((layer, i) => {
      const canvas = grid!.children[i].querySelector('canvas')!;
      canvas.dataset.layer = String(layer.index);
      canvas.setAttribute('aria-label', `histogram of layer ${layer.index + 1}`);
    });
    container.querySelector('.note:not(.pending-note)')?.replaceChildren(`Showing ${shown.length} of ${layers.length} layers, evenly spaced.`);
  }
  if (!grid || grid.dataset.key !== key) {
    grid = h('div', { class: 'histogram-grid', 'data-key': key });
    const note = shown.length < layers.filter((l) => l.activation).length ? h('p', { class: 'note' }, `Showing ${shown.length} of ${layers.length} layers, evenly spaced.`) : null;
    container.replaceChildren(...(note ? [note] : []), h('p', { class: 'note pending-note' }, 'From the previous run: the sampled run for the new what-if is pending.'), grid);
    for (const layer of shown) {
      grid.append(h('div', { class: 'histogram-cell' },
        h('div', { class: 'histogram-title' }),
        h('div', { class: 'histogram-canvas' }, h('canvas', { 'data-layer': String(layer.index), 'aria-label': `histogram of layer ${layer.index + 1}` })),
        h('div', { class: 'histogram-std' })));
    }
  }
  const centers = Array.from({ length: BINS }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / BINS);
  const labels = centers.map((c) => formatNumber(c));
  shown.forEach((layer, i) => {
    const cell = grid.children[i] as HTMLElement;
    const title = cell.querySelector<HTMLElement>('.histogram-title')!;
    title.title = `${layer.name} (${layer.type}) at ${layer.path}`;
    title.textContent = `${layer.index + 1} ${layer.activationFunction && layer.activationFunction !== 'linear' ? layer.activationFunction : layer.type}`;
    cell.querySelector('.histogram-std')!.textContent = `std ${formatNumber(layer.activation!.std)}`;
    const hist = layer.activation!.histogram;
    const total = hist.counts.reduce((a, b) => a + b, 0) || 1;
    const values = rebin(hist.edges, hist.counts, lo, hi, BINS).map((c) => c / total);
    draw(cell.querySelector('canvas')!, {
      type: 'bar',
      data: { labels, datasets: [{ data: values, backgroundColor: theme.histogram, borderWidth: 0, barPercentage: 1, categoryPercentage: 1 }] },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item: { raw: unknown }) => `${((item.raw as number) * 100).toFixed(1)}% of outputs` } } },
        scales: {
          x: { grid: { display: false }, ticks: { color: theme.foreground, maxRotation: 0, autoSkip: false, font: { size: 9 },
            callback: (_v: unknown, i: number) => (i === 0 ? formatNumber(lo) : i === BINS - 1 ? formatNumber(hi) : i === BINS / 2 ? formatNumber((lo + hi) / 2) : '') } },
          y: { display: false, beginAtZero: true },
        },
      },
    } as ChartConfiguration, { fraction: values });
  });
}
