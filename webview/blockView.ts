// What the panel's charts and table show for a report with repeated blocks: one point and row per block (the report's
// `blocks`, grouped when `groupedView` says so), the layers outside blocks as they are, and the blocks the user
// expanded as their layers. Pure: no DOM, so test/webview tests it on engine reports.
import { type BlockGroup, type BlockReport, groupedView } from '../src/engine/report/blockReport';
import type { LayerReport } from '../src/engine/report/report';

/** How the panel shows the report: blocks (those expanded as their layers) or every layer. */
export interface BlockViewState {
  grouped: boolean;
  /** Keys (`blockKey`) of the blocks shown as their layers. */
  expanded: ReadonlySet<string>;
}

export type ViewRow =
  | { kind: 'layer'; layer: LayerReport; /** The expanded block it belongs to, else null. */ block: BlockReport | null }
  | { kind: 'block'; group: BlockGroup; block: BlockReport; key: string; expanded: boolean; layers: LayerReport[] };

/** A sampled value beside its prediction, for one point of a chart. */
export interface PointValues {
  sampled: number | null;
  predicted: number | null;
}

/** A block's key: its first layer's index (the same block across re-runs of the same file). */
export function blockKey(block: BlockReport): string {
  return String(block.firstLayer);
}

/** Whether the report has blocks to group (a group of at least `GROUPED_VIEW_MIN_BLOCKS`). */
export function hasBlockView(blocks: readonly BlockGroup[] | undefined): boolean {
  return (blocks ?? []).some(groupedView);
}

/**
 * The rows to show, in execution order: with `state.grouped`, each block of a grouped group as one row (followed by
 * its layers when expanded), every other layer as itself; otherwise every layer.
 */
export function viewRows(layers: readonly LayerReport[], blocks: readonly BlockGroup[] | undefined, state: BlockViewState): ViewRow[] {
  const groups = state.grouped ? (blocks ?? []).filter(groupedView) : [];
  const blockAt = new Map<number, { group: BlockGroup; block: BlockReport }>();
  for (const group of groups) for (const block of group.blocks) blockAt.set(block.firstLayer, { group, block });
  const rows: ViewRow[] = [];
  for (let i = 0; i < layers.length; i++) {
    const at = blockAt.get(i);
    if (!at) {
      rows.push({ kind: 'layer', layer: layers[i], block: null });
      continue;
    }
    const { group, block } = at;
    const key = blockKey(block);
    const expanded = state.expanded.has(key);
    const inner = layers.slice(block.firstLayer, block.lastLayer + 1);
    rows.push({ kind: 'block', group, block, key, expanded, layers: inner });
    if (expanded) for (const layer of inner) rows.push({ kind: 'layer', layer, block });
    i = block.lastLayer;
  }
  return rows;
}

/** The rows a chart plots: an expanded block is its layers, not a point of its own. */
export function chartRows(rows: readonly ViewRow[]): ViewRow[] {
  return rows.filter((r) => r.kind === 'layer' || !r.expanded);
}

/**
 * A layer's name as its block's copy: the `*` an imported repeat writes replaced by the block's number
 * (`layers.*.self_attn` in block `layers.5` is `layers.5.self_attn`); other names as they are.
 */
export function layerName(layer: LayerReport, block: BlockReport | null): string {
  const number = block ? /(\d+)$/.exec(block.name)?.[1] : undefined;
  return number !== undefined ? layer.name.replace('*', number) : layer.name;
}

/** Longest x label in the block view; longer names are cut with an ellipsis (the tooltip has them whole). */
const MAX_LABEL = 16;

/**
 * A point's x label. In the block view (`grouped`): a block's name (`h.3`; `block 3` as `3`), a layer's name
 * (`embed_tokens`, `layers.5.self_attn` inside an expanded block). Otherwise a layer's number (1-based, execution order).
 */
export function rowLabel(row: ViewRow, grouped = true): string {
  if (row.kind === 'block') return /^block \d+$/.test(row.block.name) ? row.block.name.slice(6) : row.block.name;
  if (!grouped) return String(row.layer.index + 1);
  const name = layerName(row.layer, row.block);
  return name.length > MAX_LABEL ? `${name.slice(0, MAX_LABEL - 1)}…` : name;
}

/** A point's tooltip title: `h.3: layers 9–15 (7 layers)`, or `12: h.*.attn (attention)`. */
export function rowTitle(row: ViewRow): string {
  if (row.kind === 'layer') return `${row.layer.index + 1}: ${layerName(row.layer, row.block)} (${row.layer.type})`;
  return `${row.block.name}: layers ${row.block.firstLayer + 1}–${row.block.lastLayer + 1} (${row.layers.length} layers)`;
}

/** The output std of a row: a block's stream at its output, a layer's output. */
export function outputStd(row: ViewRow): PointValues {
  if (row.kind === 'block') return row.block.outputStd;
  return { sampled: row.layer.activation?.std ?? null, predicted: row.layer.predicted?.activationStd ?? null };
}

/** The gradient std of a row: at a block's input, at a layer's output (dL/d(output)). */
export function gradientStd(row: ViewRow): PointValues {
  if (row.kind === 'block') return row.block.gradientStd;
  return { sampled: row.layer.gradient?.std ?? null, predicted: row.layer.predicted?.gradientStd ?? null };
}

/** Saturated and dead fractions of a row (sampled when `measured`, else predicted): a block's are its worst layer's. */
export function fractions(row: ViewRow, measured: boolean): { saturated: number; dead: number } {
  const layers = row.kind === 'block' ? row.layers : [row.layer];
  const stats = (l: LayerReport) => (measured ? l.activation : null) ?? l.predicted;
  return {
    saturated: Math.max(0, ...layers.map((l) => stats(l)?.saturatedFraction ?? 0)),
    dead: Math.max(0, ...layers.map((l) => stats(l)?.deadFraction ?? 0)),
  };
}

/** A row's attention: a block's lowest entropy and largest logit std, an attention layer's own; null without one. */
export function attentionOf(row: ViewRow): { entropy: number | null; logitStd: number | null; predictedLogitStd: number | null } | null {
  return row.kind === 'block' ? row.block.attention : row.layer.attention;
}

/**
 * The layers whose histograms stand for the rows: a block's output (its last layer, whether expanded or not, so that
 * expanding a block does not redraw the histograms), a layer itself.
 */
export function histogramLayers(rows: readonly ViewRow[]): LayerReport[] {
  return rows.filter((r) => r.kind === 'block' || r.block === null).map((r) => (r.kind === 'block' ? r.layers[r.layers.length - 1] : r.layer));
}
