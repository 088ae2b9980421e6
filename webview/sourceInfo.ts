import type { PanelReport } from '../src/protocol/panelProtocol';
import { h } from './dom';

/** The formats as the panel names them. */
const FORMAT_NAMES: Readonly<Record<string, string>> = {
  huggingface: 'Hugging Face config', keras: 'Keras model', tfjs: 'TF.js layers model', 'gpt-neox': 'GPT-NeoX config',
};

/**
 * What an imported file was read as, for the line under the status: the model built and its format, the parameter
 * count as the framework counts it, the init rules followed (whose code, which version) and the importer's notes
 * (what it left out or approximated, the defaults it took). Null for the engine's own format.
 */
export function sourceSummary(r: PanelReport): { summary: string; initRules: string; notes: string[] } | null {
  const s = r.source;
  if (!s) return null;
  const count = r.cost ? r.cost.parameterCount + (s.uncountedParameters ?? 0) : null;
  const parts = [`Read as ${s.architecture} (${FORMAT_NAMES[s.format] ?? s.format}, ${s.family})`,
    count !== null ? `${count.toLocaleString('en-US')} parameters` : null,
    s.tokens !== null ? `${s.tokens} tokens per sequence` : null];
  return { summary: parts.filter(Boolean).join(' · '), initRules: s.initRules, notes: s.notes };
}

/** Fills the collapsible source section (`details#source`), hidden for the engine's own format. */
export function renderSource(details: HTMLElement, r: PanelReport): void {
  const info = sourceSummary(r);
  details.hidden = info === null;
  if (!info) return;
  const count = info.notes.length;
  details.replaceChildren(
    h('summary', { id: 'source-summary' }, `${info.summary}${count > 0 ? ` · ${count} note${count === 1 ? '' : 's'}` : ''}`),
    h('p', { class: 'source-rules' }, `Init: ${info.initRules}`),
    h('ul', { id: 'source-notes' }, ...info.notes.map((n) => h('li', {}, n))));
}
