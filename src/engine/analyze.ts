import type { ComputeBackend } from './backend/computeBackend';
import { type Budget, budgetRefusal, DEFAULT_BUDGET, estimateCost } from './sampled/cost';
import { diagnose } from './findings/diagnose';
import { predictMeanField, type PredictedLayer } from './meanField/predictMeanField';
import type { NetworkSpec } from './format/networkSpec';
import { readNetwork, sourceLocator } from './import/formats';
import { buildPlan } from './graph/buildPlan';
import type { PlanNode } from './graph/plan';
import { isWeightNode } from './graph/ops/weightLayer';
import type { LinearPart } from './graph/ops/projection';
import { nodeOp } from './graph/registry';
import type { Location } from './format/pointer';
import type { Problem } from './format/problem';
import { CancelledError, runSampled, type SampledLayer } from './sampled/runSampled';
import { referenceBackend } from './backend/reference/referenceBackend';
import type { Finding, LayerReport, Mode, Report } from './report/report';
import { groupBlocks } from './report/blocks';
import { applyWhatIf, type WhatIf } from './edit/whatIf';

export interface AnalyzeOptions {
  mode?: Mode;
  /** Override the file's seed and batch size. */
  seed?: number;
  batchSize?: number;
  budget?: Budget;
  backend?: ComputeBackend;
  /** The file name the report carries. */
  file?: string | null;
  /** Called with the fraction done of the sampled run; return true to cancel it. */
  onProgress?: (fraction: number) => boolean;
  /** A hypothetical init applied to the parsed network before it is planned (the panel's what-if). */
  whatIf?: WhatIf | null;
  /** The sequence length of an imported model's run (a Hugging Face config's; default 32, at most its positions). */
  tokens?: number;
  /** Find the repeated blocks (`Report.blocks`); default true. The editor's warnings, which show none, skip them. */
  blocks?: boolean;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Analyzes a network description: parse (problems with locations), plan (shapes), mean-field prediction, sampled
 * forward and backward pass (unless the mode is analytic or the cost estimate is over budget), then findings.
 * The text may be in any format `readNetwork` recognises (the engine's own, a Hugging Face `config.json`); an
 * imported file's layers, findings and fixes are reported at its own keys, in its own vocabulary.
 * Never throws for any input text; the sampled run is skipped with a reason when refused or cancelled.
 */
export function analyze(text: string, options: AnalyzeOptions = {}): Report {
  const mode = options.mode ?? 'both';
  const t0 = now();
  const parsed = readNetwork(text, { tokens: options.tokens });
  const problems: Problem[] = [...parsed.problems];
  const source = parsed.source;
  const empty = (network: string, seed: number, batchSize: number): Report => ({
    file: options.file ?? null, network, mode, seed, batchSize, layers: [], blocks: [], findings: [], problems, backend: null, cost: null, sampledRefused: null,
    timings: { parseMs: now() - t0, analyticMs: 0, sampledMs: 0 }, ...(source ? { source } : {}),
  });
  if (!parsed.network) return empty('', options.seed ?? 0, options.batchSize ?? 0);
  let network: NetworkSpec = { ...parsed.network, seed: options.seed ?? parsed.network.seed, batchSize: options.batchSize ?? parsed.network.batchSize };
  // An imported file's what-if names its own keys: it applies to every generated layer that comes from the key.
  if (options.whatIf) network = applyWhatIfTo(network, options.whatIf, parsed.map?.fromSource(options.whatIf.target));
  // Pointers of the generated network, in the file's terms (the engine's own format: the same).
  const toFile = parsed.map ? parsed.map.toSource : (p: string): string => p;
  const { plan, errors } = buildPlan(network);
  if (!plan) {
    const locate = sourceLocator(text);
    for (const e of errors) {
      const at = toFile(e.path);
      const loc = locate(at);
      problems.push({ path: at, line: loc.line, column: loc.column, offset: loc.offset, length: loc.length, severity: 'error', message: e.message });
    }
    return empty(network.name, network.seed, network.batchSize);
  }
  const parseMs = now() - t0;

  const t1 = now();
  const predicted = predictMeanField(plan, network.input);
  const analyticMs = now() - t1;

  const cost = estimateCost(plan);
  let sampled: SampledLayer[] | null = null;
  let sampledRefused: string | null = null;
  let backendName: string | null = null;
  const t2 = now();
  if (mode !== 'analytic') {
    sampledRefused = budgetRefusal(cost, options.budget ?? DEFAULT_BUDGET);
    if (!sampledRefused) {
      const backend = options.backend ?? referenceBackend;
      try {
        sampled = runSampled(plan, backend, { input: network.input, cacheWeights: cost.cachesWeights, onProgress: options.onProgress });
        backendName = backend.name;
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
        sampledRefused = 'the sampled run was cancelled; showing the analytic prediction only';
      }
    }
  }
  const sampledMs = now() - t2;

  // A refused or cancelled sampled-only run still returns the prediction, as promised.
  const showPredicted = mode !== 'sampled' || sampled === null;
  const layers = plan.ordered.map((node) => layerReport(node, sampled?.[node.index] ?? null, showPredicted ? predicted[node.index] : null));
  let findings = diagnose(plan, layers, network.input.std);
  // Grouped before the findings and pointers are translated into an imported file's keys: by the generated layers.
  const blocks = options.blocks === false ? [] : groupBlocks(plan.nodes, layers, findings);
  if (parsed.translateFinding) findings = mergeFindings(findings.map(parsed.translateFinding));
  for (const layer of layers) layer.path = toFile(layer.path);
  problems.push(...nonFiniteProblems(layers, sourceLocator(text)));
  return {
    file: options.file ?? null, network: network.name, mode, seed: network.seed, batchSize: network.batchSize, layers, blocks, findings, problems,
    backend: backendName, cost: { forwardFlops: cost.forwardFlops, totalFlops: cost.totalFlops, peakBytes: cost.peakBytes, weightCount: cost.weightCount, parameterCount: cost.parameterCount },
    sampledRefused, timings: { parseMs, analyticMs, sampledMs }, ...(source ? { source: { ...source, batchSize: network.batchSize } } : {}),
  };
}

/** The what-if applied to its target, or to each of `targets` (the generated layers of an imported file's key). */
function applyWhatIfTo(network: NetworkSpec, whatIf: WhatIf, targets: string[] | undefined): NetworkSpec {
  if (whatIf.target === 'all' || !targets || targets.length === 0) return applyWhatIf(network, whatIf);
  return targets.reduce((n, target) => applyWhatIf(n, { ...whatIf, target }), network);
}

/** Findings that landed on one key with one code (two generated layers from the same key) as one, counting copies. */
function mergeFindings(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of findings) {
    const key = `${f.code} ${f.path}`;
    const seen = byKey.get(key);
    if (seen) seen.copies += f.copies;
    else byKey.set(key, f);
  }
  return [...byKey.values()];
}

function layerReport(node: PlanNode, s: SampledLayer | null, p: PredictedLayer | null): LayerReport {
  const weight = isWeightNode(node) ? node : null;
  const act = nodeOp(node.op).outputActivation?.(node)?.name ?? null;
  return {
    index: node.index,
    path: node.path,
    name: node.name,
    type: weight?.isShortcut ? `${node.op} (projection)` : node.op,
    outputShape: node.outShape,
    fanIn: weight ? weight.fanIn : null,
    fanOut: weight ? weight.fanOut : null,
    activationFunction: act,
    init: weight ? { scheme: weight.initSpec.scheme, std: weight.init.std, label: weight.init.label, source: weight.initSpec.source, sampledStd: s?.weightStd ?? null } : null,
    projections: projectionsOf(node),
    preActivation: s ? s.preActivation : null,
    activation: s ? s.activation : null,
    gradient: s ? { std: s.gradientStd } : null,
    weightGradient: s && (weight || s.weightGradientStd !== null) ? { std: s.weightGradientStd ?? 0, ratio: s.weightStd ? (s.weightGradientStd ?? 0) / s.weightStd : null } : null,
    predicted: p,
    attention: node.op === 'attention' || node.op === 'cross_attention' ? { logitStd: s?.attention?.logitStd ?? null, entropy: s?.attention?.entropy ?? null, predictedLogitStd: p?.logitStd ?? null } : null,
    loss: node.op === 'lm_head' ? { sampled: s?.loss ?? null, predicted: p?.loss ?? null, uniform: Math.log(node.outShape[node.outShape.length - 1]) } : null,
  };
}

/** The gated MLP's projections, in the order its node holds them. */
const MLP_PROJECTIONS = ['gate', 'up', 'down'];

/** Each weight of a layer with several (attention, cross-attention, gated MLP) and its init; null for other layers. */
function projectionsOf(node: PlanNode): LayerReport['projections'] {
  const parts = (node as PlanNode & { projections?: (LinearPart & { name?: string })[] }).projections;
  if (!Array.isArray(parts)) return null;
  return parts.map((p, i) => ({
    name: p.name ?? MLP_PROJECTIONS[i] ?? String(i), shape: [p.rows, p.cols], scheme: p.initSpec.scheme, std: p.init.std, label: p.init.label, source: p.initSpec.source,
  }));
}

/** Statistics that describe, not measure: never checked for overflow. */
const STRUCTURAL_FIELDS = new Set(['index', 'outputShape', 'fanIn', 'fanOut']);

/**
 * A warning for every statistic of the report that is not a finite number (an overflow past the float32 range in the
 * sampled run or the float64 range in the prediction, or a NaN that followed one), so that no NaN or Infinity reaches
 * the user without a word: one per statistic, at the layer where it first left the range (the first in execution
 * order, the last for gradients, which run backward; its index, name, JSON pointer, line and column), counting the
 * other layers where it is out of range too. The report keeps its shape: the numbers stay
 * as they are (null in JSON).
 */
export function nonFiniteProblems(layers: LayerReport[], locate: (pointer: string) => Location): Problem[] {
  const found = new Map<string, { layer: LayerReport; value: number; count: number }>();
  const visit = (layer: LayerReport, value: unknown, field: string): void => {
    if (typeof value === 'number') {
      if (Number.isFinite(value)) return;
      const seen = found.get(field);
      // Gradients run from the output back: where they first leave the range is the last layer in report order.
      if (seen) Object.assign(seen, backward(field) ? { layer, value } : {}, { count: seen.count + 1 });
      else found.set(field, { layer, value, count: 1 });
    } else if (Array.isArray(value)) {
      const bad = value.find((v) => typeof v === 'number' && !Number.isFinite(v)) as number | undefined;
      if (bad !== undefined) visit(layer, bad, field);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) if (!(field === '' && STRUCTURAL_FIELDS.has(key))) visit(layer, v, field ? `${field}.${key}` : key);
    }
  };
  for (const layer of layers) visit(layer, layer, '');
  return [...found.entries()].map(([field, { layer, value, count }]) => {
    const loc = locate(layer.path);
    const what = Number.isNaN(value)
      ? 'is NaN (undefined: an overflow upstream met 0 or another Infinity)'
      : `overflowed to ${value} (past the largest ${field.startsWith('predicted.') || field === 'init.std' ? 'float64, about 1.8e308' : 'float32, about 3.4e38, in the sampled tensors'})`;
    const others = count - 1;
    const more = others === 0 ? '' : `, and is not finite in ${others} ${backward(field) ? 'earlier' : 'later'} layer${others === 1 ? '' : 's'} too`;
    return {
      path: layer.path, line: loc.line, column: loc.column, offset: loc.offset, length: loc.length, severity: 'warning' as const,
      message: `${field} of layer ${layer.index} '${layer.name}' (${layer.path || '/'}, line ${loc.line}, column ${loc.column}) ${what}${more}; ` +
        'the report shows it as null: lower the init scale or the input std there',
    };
  });
}

/** Whether a statistic is computed by the backward pass (from the last layer to the first). */
function backward(field: string): boolean {
  return /gradient/i.test(field);
}
