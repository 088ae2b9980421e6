import type { PanelReport } from '../src/protocol/panelProtocol';
import { h } from './dom';

const ICONS: Record<string, string> = { error: '⛔', warning: '⚠', info: 'ℹ' };

/**
 * The report's problems and findings as a list, each one a button that asks `reveal` to show its JSON pointer in the
 * editor; a check mark when there is nothing to report. The list's data-codes attribute holds the finding codes (for
 * tests).
 */
export function renderFindings(list: HTMLElement, r: PanelReport, reveal: (path: string) => void): void {
  const items: HTMLElement[] = [];
  for (const p of r.problems) {
    items.push(findingItem('error', 'invalid-network', `${p.line}:${p.column} ${p.message}`, null, p.path, reveal));
  }
  for (const f of r.findings) items.push(findingItem(f.severity, f.code, f.message, f.fix?.description ?? null, f.path, reveal));
  if (items.length === 0) items.push(h('li', { class: 'finding ok' }, h('span', { class: 'icon ok' }, '✓'), h('span', {}, r.layers.length ? 'No problem found: the signal keeps its scale forward and backward.' : 'Nothing to analyze.')));
  list.replaceChildren(...items);
  list.dataset.codes = JSON.stringify(r.findings.map((f) => f.code));
}

function findingItem(severity: string, code: string, message: string, fix: string | null, path: string, reveal: (path: string) => void): HTMLElement {
  const li = h('li', { class: `finding ${severity}`, tabindex: '0', role: 'button', 'data-path': path, 'data-code': code, title: `Show ${path || 'the document'} in the editor` },
    h('span', { class: `icon ${severity}`, 'aria-label': severity }, ICONS[severity] ?? '•'),
    h('div', { class: 'finding-body' },
      h('div', {}, h('code', { class: 'code' }, code), ' ', message),
      fix ? h('div', { class: 'fix' }, `Fix: ${fix}`) : null));
  li.addEventListener('click', () => reveal(path));
  li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') reveal(path); });
  return li;
}
