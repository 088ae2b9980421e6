import type { LayerReport } from '../src/engine/report/report';
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
  const cells: { canvas: HTMLCanvasElement; values: number[] }[] = [];
  shown.forEach((layer, i) => {
    const cell = grid!.children[i] as HTMLElement;
    const title = cell.querySelector<HTMLElement>('.histogram-title')!;
    title.title = `${layer.name} (${layer.type}) at ${layer.path}`;
    title.textContent = `${layer.index + 1} ${layer.activationFunction && layer.activationFunction !== 'linear' ? layer.activationFunction : layer.type}`;
    cell.querySelector('.histogram-std')!.textContent = `std ${formatNumber(layer.activation!.std)}`;
    const hist = layer.activation!.histogram;
    const total = hist.counts.reduce((a, b) => a + b, 0) || 1;
    cells.push({ canvas: cell.querySelector('canvas')!, values: rebin(hist.edges, hist.counts, lo, hi, BINS).map((c) => c / total) });
  });
  const paint = (): void => { for (const c of cells) drawHistogram(c.canvas, c.values, lo, hi, theme); };
  paint();
  // Drawn at the cells' size in device pixels: drawn again when they change size (the panel resized).
  repaints.set(container, paint);
  if (!observed.has(container)) {
    observed.add(container);
    let pending = false;
    new ResizeObserver(() => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; repaints.get(container)?.(); });
    }).observe(container);
  }
}

/** Each grid's latest drawing, to repeat when it changes size; the grids watched for that. */
const repaints = new WeakMap<HTMLElement, () => void>();
const observed = new WeakSet<HTMLElement>();

/** Height in CSS pixels of the x-axis labels under a histogram's bars. */
const AXIS_HEIGHT = 14;

/**
 * One histogram on its canvas: `values` (fractions of the outputs per bin over [lo, hi]) as bars scaled to the
 * largest, and lo, the middle and hi under them, drawn directly with the 2D context at the device's pixel ratio (a
 * Chart.js chart per cell cost tens of milliseconds each on a loaded machine; these cost well under one). A bar's
 * share is the canvas' tooltip where the pointer is. Records the values in data-series and data-ready for tests.
 */
function drawHistogram(canvas: HTMLCanvasElement, values: number[], lo: number, hi: number, theme: ChartTheme): void {
  canvas.dataset.ready = 'false';
  const box = canvas.parentElement!;
  const width = box.clientWidth || 100;
  const height = box.clientHeight || 110;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  Object.assign(canvas.style, { width: '100%', height: '100%', display: 'block' });
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const plot = height - AXIS_HEIGHT;
  const max = Math.max(...values) || 1;
  const bar = width / values.length;
  ctx.fillStyle = theme.histogram;
  values.forEach((v, i) => {
    const h = (v / max) * (plot - 2);
    if (h > 0) ctx.fillRect(i * bar, plot - h, Math.max(1, bar - 0.25), h);
  });
  ctx.fillStyle = theme.grid;
  ctx.fillRect(0, plot, width, 1);
  ctx.fillStyle = theme.foreground;
  ctx.font = `9px ${theme.font}`;
  ctx.textBaseline = 'top';
  for (const [text, x, align] of [[formatNumber(lo), 0, 'left'], [formatNumber((lo + hi) / 2), width / 2, 'center'], [formatNumber(hi), width, 'right']] as const) {
    ctx.textAlign = align;
    ctx.fillText(text, x, plot + 3);
  }
  canvas.onmousemove = (e: MouseEvent): void => {
    const i = Math.min(values.length - 1, Math.max(0, Math.floor((e.offsetX / canvas.clientWidth) * values.length)));
    const from = lo + ((hi - lo) * i) / values.length;
    canvas.title = `${(values[i] * 100).toFixed(1)}% of outputs in [${formatNumber(from)}, ${formatNumber(from + (hi - lo) / values.length)})`;
  };
  canvas.dataset.series = JSON.stringify({ fraction: values });
  canvas.dataset.ready = 'true';
}
