// The one contract between the extension host and the analysis panel's webview. Host → webview messages are past
// tense (what happened), webview → host messages are imperatives (what to do); both sides import these unions and
// switch on `type`. The host validates every webview → host message (validatePanelMessage.ts) before acting on it,
// and the webview every host → webview message (validateHostMessage.ts).
import type { Mode, Report, WhatIf } from '../engine';

/** What the panel asks for: the run's knobs (bounds: RUN_BOUNDS in src/engine/format/bounds.ts). */
export interface RunSettings {
  seed: number;
  batchSize: number;
  mode: Mode;
}

/** The part of an engine report the panel draws, and how long the run took end to end. */
export type PanelReport = Omit<Report, 'file' | 'timings' | 'cost'> & {
  cost: { forwardFlops: number; peakBytes: number; parameterCount: number } | null;
  elapsedMs: number;
};

/** The panel's part of an engine report (what the webview draws), with the run's end-to-end time. */
export function panelReport(report: Report, elapsedMs: number): PanelReport {
  const { file: _file, timings: _timings, cost, ...rest } = report;
  return { ...rest, cost: cost ? { forwardFlops: cost.forwardFlops, peakBytes: cost.peakBytes, parameterCount: cost.parameterCount } : null, elapsedMs };
}

/** A weight layer the what-if can target. */
export interface WeightLayerChoice {
  path: string;
  label: string;
}

/**
 * The state the webview keeps across hide/show and reloads (getState/setState), which it hands back in `ready` and
 * which the panel serializer revives after a reload; both go through `validatePanelState`.
 */
export interface PanelState {
  fileUri: string;
  settings: RunSettings;
  whatIf: WhatIf | null;
}

// ---------------------------------------------------------------- host → webview

/** Host → webview: the panel is open on a file; the first message, in answer to `ready`. */
export interface PanelOpened {
  type: 'panelOpened';
  fileName: string;
  fileUri: string;
  settings: RunSettings;
  whatIf: WhatIf | null;
  /** The what-if's scheme choices: "keep", then the engine's init schemes. */
  schemes: string[];
}

/** Host → webview: run `runId` started (its result supersedes every older run's). */
export interface AnalysisStarted {
  type: 'analysisStarted';
  runId: number;
}

/** Host → webview: run `runId` has done `fraction` (0 to 1) of its sampled pass. */
export interface AnalysisProgressed {
  type: 'analysisProgressed';
  runId: number;
  fraction: number;
}

/**
 * Host → webview: run `runId` finished, with the settings and what-if it ran with and the layers a what-if can target;
 * `engineMs` is the engine's own time for it in the engine worker (its `analyze()` call, and loading the kernels first
 * when they were not loaded).
 */
export interface AnalysisComputed {
  type: 'analysisComputed';
  runId: number;
  report: PanelReport;
  settings: RunSettings;
  whatIf: WhatIf | null;
  weightLayers: WeightLayerChoice[];
  engineMs: number;
  /**
   * Whether the panel offers to run the sampled pass past the default budget: it was refused by that budget and fits
   * MAX_BUDGET (an 8B model's run streams its weights; it takes a minute or so, with progress and cancel).
   */
  offersPastBudget: boolean;
}

/**
 * Host → webview: the mean-field prediction (an analytic report, computed in milliseconds) for request `runId`, with
 * the settings and what-if it was computed for. It comes before the sampled run's `analysisComputed`; `sampledPending`
 * says whether one is on its way for this request (false for the previews asked for while the scale slider moves).
 */
export interface PredictionComputed {
  type: 'predictionComputed';
  runId: number;
  report: PanelReport;
  settings: RunSettings;
  whatIf: WhatIf | null;
  sampledPending: boolean;
}

/**
 * Where the time of a panel run went: the engine's own time (in the engine worker), the rest of the way from the
 * webview's request to the result's arrival (messages webview → host → worker and back, the host's work; for a run the
 * host started, such as after an edit of the file, from the arrival of its `analysisStarted`; null until the webview
 * has drawn the result, and for a result shown again), and the time the webview took to draw it (null until then).
 */
export interface PanelTimings {
  engineMs: number;
  transferMs: number | null;
  drawMs: number | null;
}

/** Host → webview: run `runId` failed; `message` says why. */
export interface AnalysisFailed {
  type: 'analysisFailed';
  runId: number;
  message: string;
}

/** Host → webview: run `runId` was cancelled (from the panel's Cancel button, or by a newer run): nothing new to show. */
export interface AnalysisCancelled {
  type: 'analysisCancelled';
  runId: number;
}

/** Host → webview: the what-if was written into the file, so the panel drops it. */
export interface WhatIfApplied {
  type: 'whatIfApplied';
  whatIf: WhatIf;
}

/** Host → webview: the host wants the charts as an image; the webview answers with `exportImage`. */
export interface ExportRequested {
  type: 'exportRequested';
  format: 'png';
}

export type HostToWebview =
  | PanelOpened
  | AnalysisStarted
  | AnalysisProgressed
  | AnalysisComputed
  | PredictionComputed
  | AnalysisFailed
  | AnalysisCancelled
  | WhatIfApplied
  | ExportRequested;

// ---------------------------------------------------------------- webview → host

/** Webview → host: the script is loaded (the handshake); `state` is what it kept, if anything. The host answers `panelOpened`. */
export interface Ready {
  type: 'ready';
  state: PanelState | null;
}

/** Webview → host: analyze again with these settings. */
export interface Rerun {
  type: 'rerun';
  settings: RunSettings;
}

/** Webview → host: analyze with this what-if (null: the file's own inits). */
export interface SetWhatIf {
  type: 'setWhatIf';
  whatIf: WhatIf | null;
}

/**
 * Webview → host: show the prediction for this what-if, without a sampled run (the scale slider is being dragged). A
 * run in flight is cancelled: it is for an older what-if. A `setWhatIf` follows when the drag rests.
 */
export interface PreviewWhatIf {
  type: 'previewWhatIf';
  whatIf: WhatIf | null;
}

/** Webview → host: run `runId`'s result is drawn; how long its messages took besides the engine, and the drawing. */
export interface RunDrawn {
  type: 'runDrawn';
  runId: number;
  transferMs: number | null;
  drawMs: number;
}

/** Webview → host: run the sampled pass refused by the default budget anyway (under MAX_BUDGET), with progress and cancel. */
export interface RunPastBudget {
  type: 'runPastBudget';
}

/** Webview → host: write the current what-if into the file. */
export interface ApplyWhatIf {
  type: 'applyWhatIf';
}

/** Webview → host: cancel the run in progress. */
export interface Cancel {
  type: 'cancel';
}

/** Webview → host: show this JSON pointer of the file in the editor ('' for the whole document). */
export interface RevealPath {
  type: 'revealPath';
  path: string;
}

/** Webview → host: save the last report as JSON or CSV. */
export interface ExportReport {
  type: 'exportReport';
  format: 'json' | 'csv';
}

/** Webview → host: save this PNG of the charts (a `data:image/png;base64,` URL), asked for or from the Export PNG button. */
export interface ExportImage {
  type: 'exportImage';
  dataUrl: string;
}

export type WebviewToHost =
  | Ready
  | Rerun
  | SetWhatIf
  | PreviewWhatIf
  | RunDrawn
  | RunPastBudget
  | ApplyWhatIf
  | Cancel
  | RevealPath
  | ExportReport
  | ExportImage;
