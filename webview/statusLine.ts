import type { WhatIf } from '../src/engine/edit/whatIf';
import type { Mode } from '../src/engine/report/report';
import type { PanelReport, PanelTimings } from '../src/protocol/panelProtocol';
import { h } from './dom';

/** The modes, as the mode drop-down and the status line name them (a table, so that a new Mode must be named). */
export const MODE_NAMES: Record<Mode, string> = { both: 'sampled + analytic', sampled: 'sampled', analytic: 'analytic (mean field)' };

/** A duration for the status line: whole milliseconds below 10 s, else seconds. */
export function formatMs(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function describeWhatIf(whatIf: WhatIf): string {
  return `what-if: ${whatIf.scheme} ×${whatIf.multiplier} on ${whatIf.target === 'all' ? 'all layers' : whatIf.target}`;
}

/**
 * Where the last run's time went, as the status line ends: the engine's own time, the rest of the way from the
 * request to the result's arrival (messages, the extension host, the worker), and drawing it.
 */
export function timingsText(t: PanelTimings): string {
  return [`engine ${formatMs(t.engineMs)}`, t.transferMs === null ? null : `transfer ${formatMs(t.transferMs)}`, t.drawMs === null ? null : `drawing ${formatMs(t.drawMs)}`]
    .filter(Boolean).join(' · ');
}

/**
 * The status line's content for a report: what ran and how (network, mode, seed, batch, layers, cost, backend,
 * what-if), then, apart, the last run's timings (also as data-* attributes, for tests). With `pending` (the report is a
 * newer what-if's prediction), it says that the sampled run is still to come and the timings are the previous run's.
 */
export function statusLine(r: PanelReport, whatIf: WhatIf | null, timings: PanelTimings | null, pending: 'sampled' | 'drag' | null): Node[] {
  const what = pending
    ? [r.network, `prediction drawn${whatIf ? ` for ${describeWhatIf(whatIf)}` : ' for the file\'s own inits'}`, pending === 'drag' ? 'the run starts when the slider rests' : 'sampled run pending…']
    : [r.network, MODE_NAMES[r.mode], `seed ${r.seed}`, `batch ${r.batchSize}`, `${r.layers.length} layers`,
      r.cost ? `${(r.cost.forwardFlops / 1e9).toFixed(2)} GFLOP/pass` : null, r.backend, whatIf ? describeWhatIf(whatIf) : null];
  const nodes: Node[] = [document.createTextNode(what.filter(Boolean).join(' · '))];
  if (timings) {
    const attrs: Record<string, string> = { id: 'timings', class: 'timings', 'data-engine-ms': String(Math.round(timings.engineMs)) };
    if (timings.transferMs !== null) attrs['data-transfer-ms'] = String(Math.round(timings.transferMs));
    if (timings.drawMs !== null) attrs['data-draw-ms'] = String(Math.round(timings.drawMs));
    nodes.push(h('span', attrs, `${pending ? 'last run: ' : ''}${timingsText(timings)}`));
  }
  return nodes;
}
