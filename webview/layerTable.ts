import { formatApproximate, formatNumber, formatPercent } from '../src/engine/report/formatNumber';
import type { PanelReport } from '../src/protocol/panelProtocol';
import { h } from './dom';

/**
 * The report's layers as a table, one row per layer in execution order, each sampled statistic beside its prediction.
 * With `pending`, the sampled columns are the previous run's (marked so) and the predicted ones already the new what-if's.
 */
export function renderLayerTable(table: HTMLElement, r: PanelReport, pending = false): void {
  const sampledClass = pending ? 'num pending' : 'num';
  const transformer = r.layers.some((l) => l.attention || l.loss);
  const head = h('tr', {}, ...['#', 'layer', 'output', 'init (std)', 'std sampled', 'std predicted', 'grad sampled', 'grad predicted', 'saturated', 'dead', 'distinct units',
    ...(transformer ? ['attention / loss at init'] : [])].map((t) => h('th', {}, t)));
  const rows = r.layers.map((l) => h('tr', { 'data-index': String(l.index) },
    h('td', {}, String(l.index + 1)),
    h('td', { title: l.path }, `${l.name === l.type ? l.type : `${l.name} (${l.type})`}${l.activationFunction && l.activationFunction !== 'linear' ? ` · ${l.activationFunction}` : ''}`),
    h('td', {}, `[${l.outputShape.join('×')}]`),
    h('td', {}, l.init ? `${l.init.label} (${formatNumber(l.init.std)})${l.init.source === 'assumed' ? ' *' : ''}` : ''),
    h('td', { class: sampledClass, 'data-field': 'std' }, formatNumber(l.activation?.std)),
    h('td', { class: 'num', 'data-field': 'predicted-std', title: approximateTitle(l.predicted?.approximate) }, `${formatNumber(l.predicted?.activationStd)}${formatApproximate(l.predicted?.approximate, l.predicted?.approximateBy)}`),
    h('td', { class: sampledClass }, formatNumber(l.gradient?.std)),
    h('td', { class: 'num', 'data-field': 'predicted-gradient', title: approximateTitle(l.predicted?.approximate) }, `${formatNumber(l.predicted?.gradientStd)}${formatApproximate(l.predicted?.approximate, l.predicted?.gradientApproximateBy)}`),
    h('td', { class: l.activation ? sampledClass : 'num' }, formatPercent(l.activation?.saturatedFraction ?? l.predicted?.saturatedFraction)),
    h('td', { class: l.activation ? sampledClass : 'num' }, formatPercent(l.activation?.deadFraction ?? l.predicted?.deadFraction)),
    h('td', { class: sampledClass }, l.activation?.distinctUnits != null ? String(l.activation.distinctUnits) : ''),
    ...(transformer ? [h('td', { class: sampledClass, title: scoresTitle(l) }, scoresText(l))] : [])));
  table.replaceChildren(...(pending ? [h('caption', {}, 'Sampled columns (dimmed) are from the previous run until the new one finishes.')] : []), h('thead', {}, head), h('tbody', {}, ...rows));
}

type PanelLayer = PanelReport['layers'][number];

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
