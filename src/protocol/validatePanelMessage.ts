import { isWhatIfScheme, type WhatIf } from '../engine';
import type { PanelState, RunSettings, WebviewToHost } from './panelProtocol';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function runSettings(v: unknown): RunSettings | null {
  if (!isObject(v)) return null;
  if (!isInt(v.seed, 0, 0xffffffff) || !isInt(v.batchSize, 1, 65536)) return null;
  if (v.mode !== 'sampled' && v.mode !== 'analytic' && v.mode !== 'both') return null;
  return { seed: v.seed, batchSize: v.batchSize, mode: v.mode };
}

function whatIf(v: unknown): WhatIf | null | undefined {
  if (v === null) return null;
  if (!isObject(v) || typeof v.target !== 'string' || typeof v.scheme !== 'string' || typeof v.multiplier !== 'number') return undefined;
  if (!isWhatIfScheme(v.scheme) || !Number.isFinite(v.multiplier) || v.multiplier < 0 || v.multiplier > 1e6) return undefined;
  if (v.target !== 'all' && !v.target.startsWith('/')) return undefined;
  return { target: v.target, scheme: v.scheme, multiplier: v.multiplier };
}

function panelState(v: unknown): PanelState | null {
  if (!isObject(v) || typeof v.fileUri !== 'string') return null;
  const settings = runSettings(v.settings);
  const w = whatIf(v.whatIf ?? null);
  return settings && w !== undefined ? { fileUri: v.fileUri, settings, whatIf: w } : null;
}

/**
 * Checks a message from the webview before the host acts on it: its `type` and every field's type and range.
 * Returns null for anything malformed (the webview is not trusted to be well-behaved).
 */
export function validateWebviewMessage(raw: unknown): WebviewToHost | null {
  if (!isObject(raw) || typeof raw.type !== 'string') return null;
  switch (raw.type) {
    case 'ready': return { type: 'ready', state: raw.state == null ? null : panelState(raw.state) };
    case 'rerun': { const s = runSettings(raw.settings); return s ? { type: 'rerun', settings: s } : null; }
    case 'setWhatIf': { const w = whatIf(raw.whatIf); return w === undefined ? null : { type: 'setWhatIf', whatIf: w }; }
    case 'applyWhatIf': return { type: 'applyWhatIf' };
    case 'cancel': return { type: 'cancel' };
    case 'revealPath': return typeof raw.path === 'string' && (raw.path === '' || raw.path.startsWith('/')) && raw.path.length < 2000 ? { type: 'revealPath', path: raw.path } : null;
    case 'exportReport': return raw.format === 'json' || raw.format === 'csv' ? { type: 'exportReport', format: raw.format } : null;
    case 'exportImage':
      return typeof raw.dataUrl === 'string' && raw.dataUrl.startsWith('data:image/png;base64,') && raw.dataUrl.length < 50_000_000 ? { type: 'exportImage', dataUrl: raw.dataUrl } : null;
    default: return null;
  }
}
