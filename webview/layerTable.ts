import { formatApproximate, formatNumber, formatPercent } from '../src/engine/report/formatNumber';
import type { PanelReport } from '../src/protocol/panelProtocol';
import { h } from './dom';

/** The report's layers as a table, one row per layer in execution order, each sampled statistic beside its prediction. */
export function renderLayerTable(table: HTMLElement, r: PanelReport): void {
  const head = h('tr', {}, ...['#', 'layer', 'output', 'init (std)', 'std sampled', 'std predicted', 'grad sampled', 'grad predicted', 'saturated', 'dead', 'distinct units'].map((t) => h('th', {}, t)));
  const rows = r.layers.map((l) => h('tr', { 'data-index': String(l.index) },
    h('td', {}, String(l.index + 1)),
    h('td', { title: l.path }, `${l.name === l.type ? l.type : `${l.name} (${l.type})`}${l.activationFunction && l.activationFunction !== 'linear' ? ` · ${l.activationFunction}` : ''}`),
    h('td', {}, `[${l.outputShape.join('×')}]`),
    h('td', {}, l.init ? `${l.init.label} (${formatNumber(l.init.std)})${l.init.source === 'assumed' ? ' *' : ''}` : ''),
    h('td', { class: 'num', 'data-field': 'std' }, formatNumber(l.activation?.std)),
    h('td', { class: 'num', 'data-field': 'predicted-std', title: approximateTitle(l.predicted?.approximate) }, `${formatNumber(l.predicted?.activationStd)}${formatApproximate(l.predicted?.approximate, l.predicted?.approximateBy)}`),
    h('td', { class: 'num' }, formatNumber(l.gradient?.std)),
    h('td', { class: 'num', 'data-field': 'predicted-gradient', title: approximateTitle(l.predicted?.approximate) }, `${formatNumber(l.predicted?.gradientStd)}${formatApproximate(l.predicted?.approximate, l.predicted?.gradientApproximateBy)}`),
    h('td', { class: 'num' }, formatPercent(l.activation?.saturatedFraction ?? l.predicted?.saturatedFraction)),
    h('td', { class: 'num' }, formatPercent(l.activation?.deadFraction ?? l.predicted?.deadFraction)),
    h('td', { class: 'num' }, l.activation?.distinctUnits != null ? String(l.activation.distinctUnits) : '')));
  table.replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
}

/** The tooltip of an approximate prediction's cell. */
function approximateTitle(approximate: boolean | undefined): string | undefined {
  return approximate ? 'approximate: a sampled run may be off by up to the percentage shown (? when unknown)' : undefined;
}
