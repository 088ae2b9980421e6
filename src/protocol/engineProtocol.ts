// The contract between the extension host's AnalysisRunner (src/worker/analysisRunner.ts) and the engine process
// (src/worker/engineProcess.ts), over the IPC channel of `child_process.fork`. Host → engine messages are imperatives;
// the engine answers with the engine worker's own messages (`WorkerToHost` in workerProtocol.ts), relayed as they are.
// The engine process validates what it receives (validateEngineMessage.ts); the runner validates what comes back.
import type { AnalyzeOptions } from './workerProtocol';

/** Host → engine: analyze `text` as run `id`. Runs are served one at a time, in the order they arrive. */
export interface AnalyzeRun {
  type: 'analyze';
  id: number;
  text: string;
  options: AnalyzeOptions;
}

/**
 * Host → engine: stop run `id` (queued or running). Shared memory does not cross processes, so the engine process's
 * main thread, which only relays and is never busy, raises the run's shared flag for its engine worker thread; the
 * engine checks it at its next layer boundary and answers `runCancelled`.
 */
export interface CancelRun {
  type: 'cancel';
  id: number;
}

export type HostToEngine = AnalyzeRun | CancelRun;
