// The check of what the engine process receives from the host (`validateHostToEngine`), with the same table as every
// other message; what it sends back is the engine worker's messages, checked by `validateWorkerToHost`.
import type { HostToEngine } from './engineProtocol';
import { isRunId, type MessageValidators, ownField, validateMessage } from './validateMessage';
import { validateAnalyzeOptions } from './validateWorkerMessage';

const hostToEngine: MessageValidators<HostToEngine> = {
  analyze(m) {
    const id = ownField(m, 'id');
    const text = ownField(m, 'text');
    const options = validateAnalyzeOptions(ownField(m, 'options'));
    return isRunId(id) && typeof text === 'string' && options ? { type: 'analyze', id, text, options } : null;
  },
  cancel(m) {
    const id = ownField(m, 'id');
    return isRunId(id) ? { type: 'cancel', id } : null;
  },
};

/** Checks a message the engine process received from the host; null when it is not a valid one. */
export function validateHostToEngine(raw: unknown): HostToEngine | null {
  return validateMessage(hostToEngine, raw);
}
