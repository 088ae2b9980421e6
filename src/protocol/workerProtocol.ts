// The contract between the extension host's AnalysisRunner (src/worker/analysisRunner.ts) and the engine worker
// thread (src/worker/engineWorker.ts). Host → worker messages are imperatives, worker → host messages past tense; the
// worker validates what it receives and the runner validates what comes back (validateWorkerMessage.ts).
import type { Mode, Report, WhatIf } from '../engine';

/** The engine options a run may set (the rest are the engine's defaults). */
export interface AnalyzeOptions {
  mode?: Mode;
  seed?: number;
  batchSize?: number;
  file?: string | null;
  whatIf?: WhatIf | null;
  /** Run the sampled pass under MAX_BUDGET instead of the default budget (the panel's "Run anyway" on a big model). */
  pastBudget?: boolean;
}

// ---------------------------------------------------------------- host → worker

/**
 * Host → worker: analyze `text` as run `id`. The worker runs one analysis at a time and cannot read messages during
 * one, so cancelling is not a message: `cancel` is one i32 on shared memory that the host sets to 1, and the engine
 * stops at its next layer; the worker then answers `runCancelled`.
 */
export interface Analyze {
  type: 'analyze';
  id: number;
  text: string;
  options: AnalyzeOptions;
  cancel: Int32Array;
}

export type HostToWorker = Analyze;

// ---------------------------------------------------------------- worker → host

/** Worker → host: run `id` has done `fraction` (0 to 1) of its sampled pass. */
export interface RunProgressed {
  type: 'runProgressed';
  id: number;
  fraction: number;
}

/**
 * Worker → host: run `id` finished with `report`; `engineMs` is the worker's time for it: the engine's `analyze()`
 * call, and loading the kernels first when the run is the first sampled one since the worker started or let them go.
 */
export interface RunCompleted {
  type: 'runCompleted';
  id: number;
  report: Report;
  engineMs: number;
}

/** Worker → host: run `id` threw; `message` says why. */
export interface RunFailed {
  type: 'runFailed';
  id: number;
  message: string;
}

/** Worker → host: run `id` saw its cancel flag raised (before it started, or at a layer boundary) and stopped. */
export interface RunCancelled {
  type: 'runCancelled';
  id: number;
}

export type WorkerToHost = RunProgressed | RunCompleted | RunFailed | RunCancelled;
