import type { PanelReport } from '../src/protocol/panelProtocol';
import { h } from './dom';

const ICONS: Record<string, string> = { error: '⛔', warning: '⚠', info: 'ℹ' };

/** Where a line of the list comes from while a newer what-if's sampled run is pending. */
type Origin = 'predicted' | 'previous';

const ORIGIN_TEXT: Record<Origin, string> = { predicted: 'predicted', previous: 'previous run' };

/**
 * The report's problems and findings as a list, each one a button that asks `reveal` to show its JSON pointer in the
 * editor; a check mark when there is nothing to report. The list's data-codes attribute holds the finding codes (for
 * tests). With `predicted` (`r` is a prediction whose sampled run is pending), its lines are marked "predicted"; with
 * `previous` (the last run's report), that run's other lines follow, marked "previous run": the list says which lines
 * are still old.
 */
export function renderFindings(list: HTMLElement, r: PanelReport, reveal: (path: string) => void, previous: PanelReport | null = null, predicted = previous !== null): void {
  const items: HTMLElement[] = [];
  const origin: Origin | null = predicted ? 'predicted' : null;
  for (const p of r.problems) {
    items.push(findingItem('error', 'invalid-network', `${p.line}:${p.column} ${p.message}`, null, p.path, reveal, origin));
  }
  for (const f of r.findings) items.push(findingItem(f.severity, f.code, f.message, f.fix?.description ?? null, f.path, reveal, origin));
  const current = new Set(r.findings.map((f) => `${f.code} ${f.path}`));
  const stale = previous?.findings.filter((f) => !current.has(`${f.code} ${f.path}`)) ?? [];
  for (const f of stale) items.push(findingItem(f.severity, f.code, f.message, f.fix?.description ?? null, f.path, reveal, 'previous'));
  if (items.length === 0) items.push(h('li', { class: 'finding ok' }, h('span', { class: 'icon ok' }, '✓'), h('span', {}, r.layers.length ? 'No problem found: the signal keeps its scale forward and backward.' : 'Nothing to analyze.'), originTag(origin)));
  list.replaceChildren(...items);
  list.dataset.codes = JSON.stringify(r.findings.map((f) => f.code));
  list.dataset.previousCodes = JSON.stringify(stale.map((f) => f.code));
}

/** The tag that names a line's origin (nothing when no run is pending). */
function originTag(origin: Origin | null): HTMLElement | null {
  return origin ? h('span', { class: `origin ${origin}` }, ORIGIN_TEXT[origin]) : null;
}

function findingItem(severity: string, code: string, message: string, fix: string | null, path: string, reveal: (path: string) => void, origin: Origin | null): HTMLElement {
  const li = h('li', { class: `finding ${severity}${origin ? ` ${origin}` : ''}`, tabindex: '0', role: 'button', 'data-path': path, 'data-code': code, 'data-origin': origin ?? undefined, title: `Show ${path || 'the document'} in the editor` },
    h('span', { class: `icon ${severity}`, 'aria-label': severity }, ICONS[severity] ?? '•'),
    h('div', { class: 'finding-body' },
      h('div', {}, h('code', { class: 'code' }, code), ' ', message, ' ', originTag(origin)),
      fix ? h('div', { class: 'fix' }, `Fix: ${fix}`) : null));
  li.addEventListener('click', () => reveal(path));
  li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') reveal(path); });
  return li;
}
