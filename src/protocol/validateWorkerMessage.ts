// The checks of the messages between the host's AnalysisRunner and the engine worker: the worker checks what it is
// asked (`validateHostToWorker`), the runner checks what comes back (`validateWorkerToHost`). Both sides are our own
// code; the checks catch a mismatched build (a stale dist/engineWorker.js) and bugs, with the same tables as the
// webview's messages.
import type { Report } from '../engine';
import type { AnalyzeOptions, HostToWorker, WorkerToHost } from './workerProtocol';
import { hasReportShape, isDuration, isRecord, isRunId, type MessageValidators, ownField, validateMessage } from './validateMessage';
import { isMode, validateWhatIf } from './validateRunSettings';
import { isValidBatchSize, isValidSeed } from '../engine';

/** The options of an `analyze` request (to the engine process or its worker): each one absent or valid. */
export function validateAnalyzeOptions(value: unknown): AnalyzeOptions | null {
  if (!isRecord(value)) return null;
  const options: AnalyzeOptions = {};
  const mode = ownField(value, 'mode');
  const seed = ownField(value, 'seed');
  const batchSize = ownField(value, 'batchSize');
  const file = ownField(value, 'file');
  const whatIf = ownField(value, 'whatIf');
  const pastBudget = ownField(value, 'pastBudget');
  if (pastBudget !== undefined) {
    if (typeof pastBudget !== 'boolean') return null;
    options.pastBudget = pastBudget;
  }
  if (mode !== undefined) {
    if (!isMode(mode)) return null;
    options.mode = mode;
  }
  if (seed !== undefined) {
    if (!isValidSeed(seed)) return null;
    options.seed = seed;
  }
  if (batchSize !== undefined) {
    if (!isValidBatchSize(batchSize)) return null;
    options.batchSize = batchSize;
  }
  if (file !== undefined) {
    if (file !== null && typeof file !== 'string') return null;
    options.file = file;
  }
  if (whatIf !== undefined) {
    const checked = whatIf === null ? null : validateWhatIf(whatIf);
    if (whatIf !== null && !checked) return null;
    options.whatIf = checked;
  }
  return options;
}

const hostToWorker: MessageValidators<HostToWorker> = {
  analyze(m) {
    const id = ownField(m, 'id');
    const text = ownField(m, 'text');
    const options = validateAnalyzeOptions(ownField(m, 'options'));
    const cancel = ownField(m, 'cancel');
    // The cancel flag must be shared memory, or the host's raising it would never reach this thread.
    const shared = cancel instanceof Int32Array && cancel.length >= 1 && cancel.buffer instanceof SharedArrayBuffer;
    return isRunId(id) && typeof text === 'string' && options && shared ? { type: 'analyze', id, text, options, cancel } : null;
  },
};

const workerToHost: MessageValidators<WorkerToHost> = {
  runProgressed(m) {
    const id = ownField(m, 'id');
    const fraction = ownField(m, 'fraction');
    return isRunId(id) && typeof fraction === 'number' && fraction >= 0 && fraction <= 1 ? { type: 'runProgressed', id, fraction } : null;
  },
  runCompleted(m) {
    const id = ownField(m, 'id');
    const report = ownField(m, 'report');
    const engineMs = ownField(m, 'engineMs');
    return isRunId(id) && hasReportShape(report) && isDuration(engineMs) ? { type: 'runCompleted', id, report: report as unknown as Report, engineMs } : null;
  },
  runFailed(m) {
    const id = ownField(m, 'id');
    const message = ownField(m, 'message');
    return isRunId(id) && typeof message === 'string' ? { type: 'runFailed', id, message } : null;
  },
  runCancelled(m) {
    const id = ownField(m, 'id');
    return isRunId(id) ? { type: 'runCancelled', id } : null;
  },
};

/** Checks a request the engine worker received; null when it is not a valid one. */
export function validateHostToWorker(raw: unknown): HostToWorker | null {
  return validateMessage(hostToWorker, raw);
}

/** Checks a message from the engine worker; null when it is not a valid one. */
export function validateWorkerToHost(raw: unknown): WorkerToHost | null {
  return validateMessage(workerToHost, raw);
}
