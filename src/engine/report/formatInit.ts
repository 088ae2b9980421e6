import type { LayerReport } from './report';
import { formatNumber } from './formatNumber';

/**
 * A layer's init and the std it draws: `normal (0.02)`; for a layer with several weights, each weight's std, those
 * that agree together: `q,k,v 0.02, o 0.00408`; `*` when PyTorch's default was assumed. The CLI and the panel show it.
 */
export function formatInit(l: Pick<LayerReport, 'init' | 'projections'>): string {
  if (l.init) return `${l.init.label} (${formatNumber(l.init.std)})${l.init.source === 'assumed' ? ' *' : ''}`;
  if (!l.projections) return '';
  const byStd = new Map<string, string[]>();
  for (const p of l.projections) {
    const std = formatNumber(p.std);
    byStd.set(std, [...(byStd.get(std) ?? []), p.name]);
  }
  const assumed = l.projections.some((p) => p.source === 'assumed') ? ' *' : '';
  return [...byStd].map(([std, names]) => `${names.join(',')} ${std}`).join(', ') + assumed;
}
