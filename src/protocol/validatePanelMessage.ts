// The host's checks of what comes from the webview: every webview → host message, and the panel state the webview
// kept (handed back in `ready`, or revived by the panel serializer after a reload). The webview is not trusted to be
// well-behaved: anything malformed is null.
import type { WhatIf } from '../engine';
import type { PanelState, WebviewToHost } from './panelProtocol';
import { isDuration, isRecord, isRunId, type MessageValidators, ownField, validateMessage } from './validateMessage';
import { isPointer, validateRunSettings, validateWhatIf } from './validateRunSettings';

/** How an exported chart image arrives. */
export const PNG_DATA_URL_PREFIX = 'data:image/png;base64,';

/** The largest chart image accepted, in characters of its data URL (some 37 MB of PNG: far past a panel's charts). */
const MAX_IMAGE_DATA_URL_LENGTH = 50_000_000;

/** A URI as vscode.Uri.toString() writes it: a scheme, then a colon. */
const URI = /^[a-z][a-z0-9+.-]*:/i;

/** The panel state a webview kept, or null when it is not one (the panel then starts afresh). */
export function validatePanelState(value: unknown): PanelState | null {
  if (!isRecord(value)) return null;
  const fileUri = ownField(value, 'fileUri');
  if (typeof fileUri !== 'string' || !URI.test(fileUri)) return null;
  const settings = validateRunSettings(ownField(value, 'settings'));
  const rawWhatIf = ownField(value, 'whatIf') ?? null;
  const whatIf = rawWhatIf === null ? null : validateWhatIf(rawWhatIf);
  if (!settings || (rawWhatIf !== null && !whatIf)) return null;
  return { fileUri, settings, whatIf };
}

/** A message's what-if: null (the file's own inits), a valid one, or undefined when it is neither (or missing). */
function whatIfOrNull(m: Record<string, unknown>): WhatIf | null | undefined {
  const raw = ownField(m, 'whatIf');
  if (raw === null) return null;
  return validateWhatIf(raw) ?? undefined;
}

const webviewToHost: MessageValidators<WebviewToHost> = {
  // A state that does not validate is dropped, not the handshake: the panel still opens, with its defaults.
  ready: (m) => ({ type: 'ready', state: validatePanelState(ownField(m, 'state')) }),
  rerun(m) {
    const settings = validateRunSettings(ownField(m, 'settings'));
    return settings && { type: 'rerun', settings };
  },
  setWhatIf(m) {
    const whatIf = whatIfOrNull(m);
    return whatIf === undefined ? null : { type: 'setWhatIf', whatIf };
  },
  previewWhatIf(m) {
    const whatIf = whatIfOrNull(m);
    return whatIf === undefined ? null : { type: 'previewWhatIf', whatIf };
  },
  runDrawn(m) {
    const [runId, transferMs, drawMs] = [ownField(m, 'runId'), ownField(m, 'transferMs'), ownField(m, 'drawMs')];
    return isRunId(runId) && (transferMs === null || isDuration(transferMs)) && isDuration(drawMs) ? { type: 'runDrawn', runId, transferMs, drawMs } : null;
  },
  applyWhatIf: () => ({ type: 'applyWhatIf' }),
  cancel: () => ({ type: 'cancel' }),
  runPastBudget: () => ({ type: 'runPastBudget' }),
  revealPath(m) {
    const path = ownField(m, 'path');
    return isPointer(path) ? { type: 'revealPath', path } : null;
  },
  exportReport(m) {
    const format = ownField(m, 'format');
    return format === 'json' || format === 'csv' ? { type: 'exportReport', format } : null;
  },
  exportImage(m) {
    const dataUrl = ownField(m, 'dataUrl');
    const ok = typeof dataUrl === 'string' && dataUrl.startsWith(PNG_DATA_URL_PREFIX) && dataUrl.length <= MAX_IMAGE_DATA_URL_LENGTH;
    return ok ? { type: 'exportImage', dataUrl } : null;
  },
};

/**
 * Checks a message from the webview before the host acts on it: its `type` (an own key of the validator table) and
 * every field's type and range. Returns the message rebuilt from its checked fields, or null for anything malformed.
 */
export function validateWebviewToHost(raw: unknown): WebviewToHost | null {
  return validateMessage(webviewToHost, raw);
}
