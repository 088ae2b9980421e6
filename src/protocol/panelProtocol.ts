// The one contract between the extension host and the analysis panel's webview. Host → webview messages are past
// tense, webview → host messages are imperatives; both sides import these unions and switch on `type`.
import type { Mode, Report, WhatIf } from '../engine';

/** What the panel asks for: the run's knobs. */
export interface RunSettings {
  seed: number;
  batchSize: number;
  mode: Mode;
}

/** The part of an engine report the panel draws, and how long the run took end to end. */
export type PanelReport = Omit<Report, 'file' | 'timings' | 'cost'> & {
  cost: { forwardFlops: number; peakBytes: number } | null;
  elapsedMs: number;
};

/** A weight layer the what-if can target. */
export interface WeightLayerChoice {
  path: string;
  label: string;
}

/** The state the webview keeps across hide/show and reloads (getState/setState and the panel serializer). */
export interface PanelState {
  fileUri: string;
  settings: RunSettings;
  whatIf: WhatIf | null;
}

export type HostToWebview =
  | { type: 'panelOpened'; fileName: string; fileUri: string; settings: RunSettings; whatIf: WhatIf | null; schemes: string[] }
  | { type: 'analysisStarted'; runId: number }
  | { type: 'analysisProgressed'; runId: number; fraction: number }
  | { type: 'analysisComputed'; runId: number; report: PanelReport; settings: RunSettings; whatIf: WhatIf | null; weightLayers: WeightLayerChoice[] }
  | { type: 'analysisFailed'; runId: number; message: string }
  | { type: 'whatIfApplied'; whatIf: WhatIf }
  | { type: 'exportRequested'; format: 'png' };

export type WebviewToHost =
  | { type: 'ready'; state: PanelState | null }
  | { type: 'rerun'; settings: RunSettings }
  | { type: 'setWhatIf'; whatIf: WhatIf | null }
  | { type: 'applyWhatIf' }
  | { type: 'cancel' }
  | { type: 'revealPath'; path: string }
  | { type: 'exportReport'; format: 'json' | 'csv' }
  | { type: 'exportImage'; dataUrl: string };
