import { formatApproximate, formatNumber, formatPercent, formatRange } from '../src/engine/report/formatNumber';
import { formatInit } from '../src/engine/report/formatInit';
import type { PanelReport } from '../src/protocol/panelProtocol';
import type { BlockReport } from '../src/engine/report/blockReport';
import { type ViewRow, fractions, layerName } from './blockView';
import { h } from './dom';

/**
 * The report as a table, one row per row of the view in execution order (`blockView.ts`: a block, or a layer), each
 * sampled statistic beside its prediction. A block's row summarises it (the stream std at its output, the gradient
 * at its input, its worst saturated and dead fractions, its attention) and expands to its layers when its name is
 * pressed (`onToggle` with its key). With `pending`, the sampled columns are the previous run's (marked so) and the
 * predicted ones already the new what-if's.
 */
export function renderLayerTable(table: HTMLElement, r: PanelReport, rows: readonly ViewRow[], onToggle: (key: string) => void, pending = false): void {
  const sampledClass = pending ? 'num pending' : 'num';
  const transformer = r.layers.some((l) => l.attention || l.loss);
  const head = h('tr', {}, ...['#', 'layer', 'output', 'init (std)', 'std sampled', 'std predicted', 'grad sampled', 'grad predicted', 'saturated', 'dead', 'distinct units',
    ...(transformer ? ['attention / loss at init'] : [])].map((t) => h('th', {}, t)));
  const body = rows.map((row) => (row.kind === 'block' ? blockRow(row, transformer, sampledClass, onToggle) : layerRow(row.layer, row.block, transformer, sampledClass)));
  table.replaceChildren(...(pending ? [h('caption', {}, 'Sampled columns (dimmed) are from the previous run until the new one finishes.')] : []), h('thead', {}, head), h('tbody', {}, ...body));
}

type PanelLayer = PanelReport['layers'][number];

function layerRow(l: PanelLayer, block: BlockReport | null, transformer: boolean, sampledClass: string): HTMLElement {
  const name = layerName(l, block);
  return h('tr', { 'data-index': String(l.index), ...(block ? { class: 'in-block' } : {}) },
    h('td', {}, String(l.index + 1)),
    h('td', { title: l.path }, `${name === l.type ? l.type : `${name} (${l.type})`}${l.activationFunction && l.activationFunction !== 'linear' ? ` · ${l.activationFunction}` : ''}`),
    h('td', {}, `[${l.outputShape.join('×')}]`),
    h('td', {}, formatInit(l)),
    h('td', { class: sampledClass, 'data-field': 'std' }, formatNumber(l.activation?.std)),
    h('td', { class: 'num', 'data-field': 'predicted-std', title: approximateTitle(l.predicted?.approximate) }, `${formatNumber(l.predicted?.activationStd)}${formatApproximate(l.predicted?.approximate, l.predicted?.approximateBy)}`),
    h('td', { class: sampledClass }, formatNumber(l.gradient?.std)),
    h('td', { class: 'num', 'data-field': 'predicted-gradient', title: approximateTitle(l.predicted?.approximate) }, `${formatNumber(l.predicted?.gradientStd)}${formatApproximate(l.predicted?.approximate, l.predicted?.gradientApproximateBy)}`),
    h('td', { class: l.activation ? sampledClass : 'num' }, formatPercent(l.activation?.saturatedFraction ?? l.predicted?.saturatedFraction)),
    h('td', { class: l.activation ? sampledClass : 'num' }, formatPercent(l.activation?.deadFraction ?? l.predicted?.deadFraction)),
    h('td', { class: sampledClass }, l.activation?.distinctUnits != null ? String(l.activation.distinctUnits) : ''),
    ...(transformer ? [h('td', { class: sampledClass, title: scoresTitle(l) }, scoresText(l))] : []));
}

function blockRow(row: Extract<ViewRow, { kind: 'block' }>, transformer: boolean, sampledClass: string, onToggle: (key: string) => void): HTMLElement {
  const { block, layers } = row;
  const measured = layers.some((l) => l.activation);
  const worst = fractions(row, measured);
  const toggle = h('button', { class: 'block-toggle', type: 'button', 'aria-expanded': String(row.expanded), title: `${row.expanded ? 'Collapse' : 'Expand'} ${block.name}: ${row.group.pattern}` },
    `${row.expanded ? '▾' : '▸'} ${block.name}`);
  toggle.addEventListener('click', () => onToggle(row.key));
  const severity = block.severity ? h('span', { class: `severity ${block.severity}`, title: block.findings.join(', ') }, block.severity) : null;
  const attention = block.attention;
  const scores = attention
    ? `logit std ${formatNumber(attention.logitStd ?? attention.predictedLogitStd)}${attention.logitStd === null ? ' (predicted)' : ''}${attention.entropy !== null ? ` · entropy ${formatNumber(attention.entropy)}` : ''}`
    : '';
  return h('tr', { class: `block-row${row.expanded ? ' expanded' : ''}`, 'data-block': row.key, 'data-expanded': String(row.expanded) },
    h('td', {}, `${block.firstLayer + 1}–${block.lastLayer + 1}`),
    h('td', {}, toggle, ` ${layers.length} layers`, ...(severity ? [' ', severity] : [])),
    h('td', {}, `[${layers[layers.length - 1].outputShape.join('×')}]`),
    h('td', {}, formatRange(layers.flatMap((l) => [l.init?.std, ...(l.projections ?? []).map((p) => p.std)]), '')),
    h('td', { class: sampledClass, 'data-field': 'std', title: 'the residual stream after the block' }, formatNumber(block.outputStd.sampled)),
    h('td', { class: 'num', 'data-field': 'predicted-std' }, formatNumber(block.outputStd.predicted)),
    h('td', { class: sampledClass, title: 'at the block\'s input' }, formatNumber(block.gradientStd.sampled)),
    h('td', { class: 'num', 'data-field': 'predicted-gradient' }, formatNumber(block.gradientStd.predicted)),
    h('td', { class: measured ? sampledClass : 'num', title: 'its worst layer' }, formatPercent(worst.saturated)),
    h('td', { class: measured ? sampledClass : 'num', title: 'its worst layer' }, formatPercent(worst.dead)),
    h('td', {}, ''),
    ...(transformer ? [h('td', { class: sampledClass, title: 'its least uniform attention: the lowest entropy over ln(visible tokens), the largest logit std' }, scores)] : []));
}


/** An attention layer's logit std and entropy, or an output head's loss against ln(vocab) (sampled, else predicted). */
function scoresText(l: PanelLayer): string {
  if (l.attention) {
    const logit = l.attention.logitStd ?? l.attention.predictedLogitStd;
    return `logit std ${formatNumber(logit)}${l.attention.logitStd === null ? ' (predicted)' : ''}${l.attention.entropy !== null ? ` · entropy ${formatNumber(l.attention.entropy)}` : ''}`;
  }
  if (l.loss) {
    const loss = l.loss.sampled ?? l.loss.predicted;
    return loss === null ? '' : `loss ${loss.toFixed(2)}${l.loss.sampled === null ? ' (predicted)' : ''} · ln V ${l.loss.uniform.toFixed(2)}`;
  }
  return '';
}

function scoresTitle(l: PanelLayer): string {
  if (l.attention) return 'std of the scaled attention logits; mean attention entropy over ln(visible tokens): 1 is uniform attention, 0 every query on one token';
  if (l.loss) return `expected cross-entropy at init (predicted ${l.loss.predicted?.toFixed(3) ?? '–'}) against ln(vocab), the loss of uniform logits`;
  return '';
}

/** The tooltip of an approximate prediction's cell. */
function approximateTitle(approximate: boolean | undefined): string | undefined {
  return approximate ? 'approximate: a sampled run may be off by up to the percentage shown (? when unknown)' : undefined;
}
