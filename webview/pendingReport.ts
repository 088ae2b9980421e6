import type { BlockGroup } from '../src/engine/report/blockReport';
import type { LayerReport } from '../src/engine/report/report';
import type { PanelReport } from '../src/protocol/panelProtocol';

/** What the panel draws: a report, and whether its sampled statistics are the previous run's (a newer one pending). */
export interface Shown {
  report: PanelReport;
  /** The sampled statistics in `report` are the previous run's; its predictions are the newer what-if's. */
  pending: boolean;
  /** The previous run's report while one is pending (its histograms and findings are shown, marked), else null. */
  previous: PanelReport | null;
}

/** Whether two reports list the same layers (what a what-if keeps; an edit of the file may not). */
function sameLayers(a: LayerReport[], b: LayerReport[]): boolean {
  return a.length === b.length && a.every((l, i) => l.path === b[i].path && l.type === b[i].type);
}

/**
 * What to draw while a newer what-if's sampled run is pending: its prediction (an analytic report), with the previous
 * run's sampled statistics laid beside it layer by layer when both list the same layers, so that every chart and
 * table keeps its measured points (marked pending) while the predicted lines move. Without a prediction, the last
 * run's report as it is.
 */
export function shownReport(last: PanelReport | null, prediction: PanelReport | null): Shown | null {
  if (!prediction) return last && { report: last, pending: false, previous: null };
  if (!last) return { report: prediction, pending: false, previous: null };
  const aligned = sameLayers(prediction.layers, last.layers);
  const layers = prediction.layers.map((l, i): LayerReport => {
    const old = aligned ? last.layers[i] : null;
    return {
      ...l,
      init: l.init && { ...l.init, sampledStd: old?.init?.sampledStd ?? null },
      preActivation: old?.preActivation ?? null,
      activation: old?.activation ?? null,
      gradient: old?.gradient ?? null,
      weightGradient: old?.weightGradient ?? null,
    };
  });
  const pending = layers.some((l) => l.activation !== null || l.gradient !== null);
  return { report: { ...prediction, layers, blocks: aligned ? pendingBlocks(prediction.blocks, last.blocks) : prediction.blocks }, pending, previous: last };
}

/** The prediction's blocks with the previous run's sampled statistics, block by block (the same blocks: same layers). */
function pendingBlocks(predicted: BlockGroup[], previous: BlockGroup[]): BlockGroup[] {
  return predicted.map((g, i) => ({
    ...g,
    blocks: g.blocks.map((b, k) => {
      const old = previous[i]?.blocks[k];
      const same = old !== undefined && old.firstLayer === b.firstLayer && old.lastLayer === b.lastLayer;
      return {
        ...b,
        outputStd: { sampled: same ? old.outputStd.sampled : null, predicted: b.outputStd.predicted },
        gradientStd: { sampled: same ? old.gradientStd.sampled : null, predicted: b.gradientStd.predicted },
        attention: b.attention && { entropy: same ? old.attention?.entropy ?? null : null, logitStd: same ? old.attention?.logitStd ?? null : null, predictedLogitStd: b.attention.predictedLogitStd },
      };
    }),
  }));
}
