// The webview's checks of what comes from the host: every host → webview message, by the same table as the other
// directions, so a new message type does not compile until the webview knows how to check it. The host is trusted
// more than the webview, so the report itself is checked for its shape (the arrays and fields the panel reads), not
// value by value.
import type { HostToWebview, PanelReport, RunSettings, WeightLayerChoice } from './panelProtocol';
import { hasReportShape, isDuration, isRecord, isRunId, type MessageValidators, ownField, validateMessage } from './validateMessage';
import { isPointer, validateRunSettings, validateWhatIf } from './validateRunSettings';

const isString = (v: unknown): v is string => typeof v === 'string';

/** The what-if a message carries: null, or a valid one; undefined when it is neither. */
function whatIfField(m: Record<string, unknown>): ReturnType<typeof validateWhatIf> | undefined {
  const raw = ownField(m, 'whatIf') ?? null;
  if (raw === null) return null;
  return validateWhatIf(raw) ?? undefined;
}

/**
 * The report's repeated blocks as the panel reads them: groups with a pattern and blocks, each block a name and a
 * range of layer rows inside the report (first ≤ last < the number of layers).
 */
function isBlockGroups(v: unknown, layerCount: number): boolean {
  const isRow = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) < layerCount;
  return Array.isArray(v) && v.every((g) => isRecord(g) && isString(ownField(g, 'pattern')) && Number.isSafeInteger(ownField(g, 'layersPerBlock')) && (() => {
    const blocks = ownField(g, 'blocks');
    return Array.isArray(blocks) && blocks.length > 0 && blocks.every((b) => isRecord(b) && isString(ownField(b, 'name')) && isRow(ownField(b, 'firstLayer'))
      && isRow(ownField(b, 'lastLayer')) && (ownField(b, 'firstLayer') as number) <= (ownField(b, 'lastLayer') as number));
  })());
}

/** A report with the arrays and fields the panel reads: layers, blocks, findings, problems, network, mode, seed, batch size. */
function isPanelReport(v: unknown): v is PanelReport {
  if (!hasReportShape(v)) return false;
  const layersOk = v.layers.every((l) => isRecord(l) && Number.isInteger(ownField(l, 'index')) && isString(ownField(l, 'name')));
  return layersOk && isBlockGroups(ownField(v, 'blocks'), v.layers.length) && isString(ownField(v, 'network')) && Number.isFinite(ownField(v, 'elapsedMs')) && validateRunSettings({ seed: ownField(v, 'seed'), batchSize: ownField(v, 'batchSize'), mode: ownField(v, 'mode') }) !== null;
}

function isWeightLayerChoices(v: unknown): v is WeightLayerChoice[] {
  return Array.isArray(v) && v.every((c) => isRecord(c) && isPointer(ownField(c, 'path')) && isString(ownField(c, 'label')));
}

const hostToWebview: MessageValidators<HostToWebview> = {
  panelOpened(m) {
    const [fileName, fileUri, schemes] = [ownField(m, 'fileName'), ownField(m, 'fileUri'), ownField(m, 'schemes')];
    const settings = validateRunSettings(ownField(m, 'settings'));
    const whatIf = whatIfField(m);
    if (!isString(fileName) || !isString(fileUri) || !settings || whatIf === undefined || !Array.isArray(schemes) || !schemes.every(isString)) return null;
    return { type: 'panelOpened', fileName, fileUri, settings, whatIf, schemes };
  },
  analysisStarted(m) {
    const runId = ownField(m, 'runId');
    return isRunId(runId) ? { type: 'analysisStarted', runId } : null;
  },
  analysisProgressed(m) {
    const [runId, fraction] = [ownField(m, 'runId'), ownField(m, 'fraction')];
    return isRunId(runId) && typeof fraction === 'number' && fraction >= 0 && fraction <= 1 ? { type: 'analysisProgressed', runId, fraction } : null;
  },
  analysisComputed(m) {
    const [runId, report, weightLayers, engineMs, offersPastBudget] = [ownField(m, 'runId'), ownField(m, 'report'), ownField(m, 'weightLayers'), ownField(m, 'engineMs'), ownField(m, 'offersPastBudget')];
    const settings: RunSettings | null = validateRunSettings(ownField(m, 'settings'));
    const whatIf = whatIfField(m);
    if (!isRunId(runId) || !isPanelReport(report) || !settings || whatIf === undefined || !isWeightLayerChoices(weightLayers) || !isDuration(engineMs)
      || typeof offersPastBudget !== 'boolean') return null;
    return { type: 'analysisComputed', runId, report, settings, whatIf, weightLayers, engineMs, offersPastBudget };
  },
  predictionComputed(m) {
    const [runId, report, sampledPending] = [ownField(m, 'runId'), ownField(m, 'report'), ownField(m, 'sampledPending')];
    const settings = validateRunSettings(ownField(m, 'settings'));
    const whatIf = whatIfField(m);
    if (!isRunId(runId) || !isPanelReport(report) || !settings || whatIf === undefined || typeof sampledPending !== 'boolean') return null;
    return { type: 'predictionComputed', runId, report, settings, whatIf, sampledPending };
  },
  analysisFailed(m) {
    const [runId, message] = [ownField(m, 'runId'), ownField(m, 'message')];
    return isRunId(runId) && isString(message) ? { type: 'analysisFailed', runId, message } : null;
  },
  analysisCancelled(m) {
    const runId = ownField(m, 'runId');
    return isRunId(runId) ? { type: 'analysisCancelled', runId } : null;
  },
  whatIfApplied(m) {
    const whatIf = validateWhatIf(ownField(m, 'whatIf'));
    return whatIf && { type: 'whatIfApplied', whatIf };
  },
  exportRequested: (m) => (ownField(m, 'format') === 'png' ? { type: 'exportRequested', format: 'png' } : null),
};

/**
 * Checks a message from the host before the webview acts on it: its `type` (an own key of the table) and the shape of
 * its fields. Returns the message rebuilt from its checked fields, or null.
 */
export function validateHostToWebview(raw: unknown): HostToWebview | null {
  return validateMessage(hostToWebview, raw);
}
