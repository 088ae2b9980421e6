import { type Activation, canDie, saturates } from '../math/activation';
import type { DiagnoseStats } from '../graph/layerOp';
import type { Plan, PlanNode } from '../graph/plan';
import { nodeOp, nodeOps } from '../graph/registry';
import { initPointer, isWeightNode, type WeightNode } from '../graph/ops/weightLayer';
import { FINDING_THRESHOLDS } from './thresholds';
import { isPreNormBlock, transformerFindings } from './transformerFindings';
import { recommendInit, roundStd } from '../init/recommendInit';
import { formatSignificant } from '../report/formatNumber';
import type { Finding, Fix, LayerReport } from '../report/report';
import { childPointer } from '../format/problem';


const RELU_FAMILY = new Set(['relu', 'leaky_relu']);
const LINEAR_SCHEMES = new Set(['xavier_normal', 'xavier_uniform', 'lecun_normal', 'lecun_uniform', 'keras_default']);

/**
 * Diagnoses the initialization from per-layer statistics (sampled where measured, else predicted):
 * symmetry from the init itself (zero or constant weights: every unit computes the same function; Goodfellow et al.,
 * Deep Learning §8.4), vanishing and exploding activations and gradients along the main path, saturation (tanh,
 * sigmoid), dead ReLUs, residual variance growth (Zhang et al., 2019, Fixup; De & Smith, 2020, SkipInit) and inits
 * whose assumed nonlinearity differs from the layer's (Xavier before ReLU; He et al., 2015). Symmetry errors make the
 * signal findings moot, so those are only reported when there is none. Copies made by `repeat` are reported once.
 */
export function diagnose(plan: Plan, layers: LayerReport[], inputStd: number): Finding[] {
  const findings = new Map<string, Finding>();
  const add = (f: Omit<Finding, 'copies' | 'alternatives' | 'related'> & Partial<Pick<Finding, 'alternatives' | 'related'>>): void => {
    const key = `${f.code} ${f.path}`;
    const existing = findings.get(key);
    if (existing) { existing.copies++; return; }
    findings.set(key, { alternatives: [], related: [], copies: 1, ...f });
  };
  const contexts = weightContexts(plan);
  const activationOf = new Map(contexts.map((c) => [c.node, c.act]));
  const effectiveActivation = (node: WeightNode): Activation => activationOf.get(node) ?? node.activation;

  for (const { node, act, lastOfBranch, isOutput, beforeNorm } of contexts) {
    if (node.isShortcut) continue;
    const { init } = node;
    if (init.std === 0 && !lastOfBranch) {
      const zero = init.mean === 0;
      const units = node.weightShape[0];
      const distinct = layers[node.index].activation?.distinctUnits;
      const measured = distinct != null ? ` (sampled: ${distinct} distinct unit${distinct === 1 ? '' : 's'} of ${units})` : '';
      add({
        code: zero ? 'zero-init-symmetry' : 'constant-init-symmetry',
        severity: zero && isOutput ? 'info' : 'error',
        path: node.initSpec.path || node.path,
        layer: node.index,
        message: zero
          ? `all ${units} units of '${node.name}' start with weights 0${measured}: they compute the same output and get the same update, so symmetry is never broken, and no gradient reaches the layers before it`
          : `all ${units} units of '${node.name}' start with the same weights (${formatSignificant(init.mean)})${measured}: they compute the same output and get the same update, so the layer behaves like a single unit`,
        fix: initFix(node, act),
      });
      continue;
    }
    if (beforeNorm) continue;
    const mismatch = mismatchReason(node, act);
    if (mismatch) {
      const rec = recommendInit(act, node.weightShape);
      add({ code: 'init-activation-mismatch', severity: mismatch.severity, path: node.initSpec.path || node.path, layer: node.index,
        message: `${node.init.label} on '${node.name}' ${mismatch.text}; ${rec.label}`, fix: initFix(node, act) });
    }
  }
  if ([...findings.values()].some((f) => f.severity === 'error')) return finish(findings);

  const stats: DiagnoseStats = {
    layers, inputStd,
    outputStd: (n) => layers[n.index].activation?.std ?? layers[n.index].predicted?.activationStd ?? NaN,
    lastWeightOf,
  };
  // Findings an op makes over its siblings on the main path (residual variance growth over consecutive blocks).
  const siblingFindings = nodeOps().flatMap((op) => op.findings.diagnoseSiblings?.(plan.nodes, stats) ?? []);
  for (const f of siblingFindings) add(f);
  const transformer = transformerFindings(plan, layers, inputStd);
  for (const f of transformer) add(f);
  // Structural variance growth explains an exploding signal; it is reported instead of the exploding findings.
  const grows = siblingFindings.length > 0 || transformer.some((f) => f.code === 'residual-stream-growth');

  for (const chain of mainPathChains(plan.nodes)) {
    for (const series of CHAIN_SERIES) {
      const stds = series.stds(chain, layers);
      const verdict = chainVerdict(stds);
      if (!verdict || (grows && verdict.kind === 'exploding')) continue;
      const at = series.at(chain, verdict.firstStep);
      const weight = isWeightNode(at) ? at : null;
      add({
        code: `${verdict.kind}-${series.what}`,
        severity: 'warning',
        path: weight ? scalePointer(weight) : at.path,
        layer: at.index,
        message: series.message(verdict, stds),
        ...(weight ? scaleFixes(weight, effectiveActivation(weight)) : { fix: null }),
      });
    }
  }

  for (const node of plan.ordered) {
    const layer = layers[node.index];
    const act = nodeOp(node.op).outputActivation?.(node) ?? null;
    if (!act) continue;
    const weight = isWeightNode(node) ? node : null;
    const saturated = layer.activation?.saturatedFraction ?? layer.predicted?.saturatedFraction ?? 0;
    if (saturates(act.name) && saturated > FINDING_THRESHOLDS.saturatedFraction) {
      add({ code: 'saturated-activations', severity: 'warning', path: weight ? scalePointer(weight) : node.path, layer: node.index,
        message: `${(saturated * 100).toFixed(0)}% of the outputs of '${node.name}' are saturated (|${act.name === 'tanh' ? 'tanh' : 'sigmoid − ½'}| near its bound; pre-activation std ${formatSignificant(layer.preActivation?.std ?? layer.predicted?.preActivationStd ?? NaN)}): their gradient is almost 0`,
        ...(weight ? scaleFixes(weight, act) : { fix: null }) });
    }
    const dead = layer.activation?.deadFraction ?? layer.predicted?.deadFraction ?? 0;
    if (canDie(act.name) && dead > FINDING_THRESHOLDS.deadFraction) {
      // leaky_relu's units are never dead: below 0 they pass slope·z, and a gradient scaled by the slope.
      const message = act.name === 'leaky_relu'
        ? `${(dead * 100).toFixed(0)}% of the units of '${node.name}' are negative for the whole batch of ${plan.batchSize}: they are not dead (leaky_relu passes ${formatSignificant(act.negativeSlope)}·z), but their gradient is scaled by ${formatSignificant(act.negativeSlope)}, so they learn ${formatSignificant(1 / act.negativeSlope)}× slower`
        : `${(dead * 100).toFixed(0)}% of the units of '${node.name}' output 0 for the whole batch of ${plan.batchSize}: they get no gradient and may never recover`;
      add({ code: 'dead-units', severity: act.name === 'leaky_relu' ? 'info' : 'warning', path: weight ? (weight.bias && weight.bias.mean < 0 ? childPointer(weight.path, 'bias') : scalePointer(weight)) : node.path, layer: node.index,
        message,
        ...(weight ? scaleFixes(weight, act) : { fix: null }) });
    }
  }
  return finish(findings);
}

/** Says how many copies a finding on a repeated layer affects. */
function finish(findings: Map<string, Finding>): Finding[] {
  const list = [...findings.values()];
  for (const f of list) if (f.copies > 1) f.message += ` (${f.copies} copies of this layer, made by repeat)`;
  return list;
}

type Verdict = NonNullable<ReturnType<typeof chainVerdict>>;

/**
 * The two series judged along a chain: the output std from the first layer to the last (the finding points at the
 * first layer whose own step is bad), and the gradient std from the last layer back to the first (it points at the
 * chain's first layer, the one that learns least or most).
 */
const CHAIN_SERIES: readonly {
  what: 'activations' | 'gradients';
  stds(chain: PlanNode[], layers: LayerReport[]): number[];
  at(chain: PlanNode[], firstStep: number): PlanNode;
  message(v: Verdict, stds: number[]): string;
}[] = [
  {
    what: 'activations',
    stds: (chain, layers) => chain.map((n) => layers[n.index].activation?.std ?? layers[n.index].predicted?.activationStd ?? NaN),
    at: (chain, firstStep) => chain[firstStep],
    message: (v, s) => `output std ${v.kind === 'vanishing' ? 'falls' : 'grows'} from ${formatSignificant(s[0])} ${chainEnd(v, s, 'at layer')}: activations ${v.kind === 'vanishing' ? 'vanish' : 'explode'}`,
  },
  {
    what: 'gradients',
    stds: (chain, layers) => chain.map((n) => layers[n.index].gradient?.std ?? layers[n.index].predicted?.gradientStd ?? NaN).reverse(),
    at: (chain) => chain[0],
    message: (v, s) => `gradient std ${v.kind === 'vanishing' ? 'falls' : 'grows'} from ${formatSignificant(s[0])} at the last layer ${chainEnd(v, s, 'layers back at')}: early layers ${v.kind === 'vanishing' ? 'barely learn' : 'get huge updates'}`,
  },
];

/**
 * Runs of main-path nodes whose op is a chain `link` (weight layers, residual blocks), skipping `transparent` ones and
 * cut at `cut` ones (pooling, normalization) and at zero- or constant-initialized layers (whose effect the symmetry
 * findings report).
 */
function mainPathChains(nodes: PlanNode[]): PlanNode[][] {
  const chains: PlanNode[][] = [[]];
  for (const n of nodes) {
    // A pre-norm block adds a fixed variance to the stream (residual-stream-growth judges it): not a link.
    const role = isPreNormBlock(n) ? 'transparent' : nodeOp(n.op).findings.chain;
    if (isWeightNode(n) && n.init.std === 0) chains.push([]);
    else if (role === 'link') chains[chains.length - 1].push(n);
    else if (role === 'cut') chains.push([]);
  }
  return chains.filter((c) => c.length > 0);
}

interface WeightContext {
  node: WeightNode;
  /** The nonlinearity that follows: the layer's own, or that of an activation layer right after it. */
  act: Activation;
  lastOfBranch: boolean;
  isOutput: boolean;
  beforeNorm: boolean;
}

function weightContexts(plan: Plan): WeightContext[] {
  const out: WeightContext[] = [];
  const lastWeight = [...plan.ordered].reverse().find((n): n is WeightNode => isWeightNode(n) && !n.isShortcut);
  const walk = (nodes: PlanNode[], inBranch: boolean): void => {
    const lastInList = [...nodes].reverse().find(isWeightNode);
    nodes.forEach((node, i) => {
      const subgraphs = nodeOp(node.op).subgraphs?.(node);
      if (subgraphs) {
        for (const sub of subgraphs) walk(sub, true);
        return;
      }
      if (!isWeightNode(node)) return;
      const next = nodes[i + 1];
      out.push({
        node,
        act: effectiveActivationAt(node, next),
        lastOfBranch: inBranch && node === lastInList,
        isOutput: node === lastWeight,
        beforeNorm: next !== undefined && nodeOp(next.op).findings.normalizes === true,
      });
    });
  };
  walk(plan.nodes, false);
  return out;
}

function effectiveActivationAt(node: WeightNode, next: PlanNode | undefined): Activation {
  if (node.activation.name === 'linear' && next && nodeOp(next.op).findings.activationOnly) return nodeOp(next.op).outputActivation?.(next) ?? node.activation;
  return node.activation;
}

function mismatchReason(node: WeightNode, act: Activation): { text: string; severity: 'warning' | 'info' } | null {
  const scheme = node.initSpec.scheme;
  const o = node.initSpec.options;
  if (RELU_FAMILY.has(act.name)) {
    const linearKaiming = (scheme === 'kaiming_normal' || scheme === 'kaiming_uniform') && o.nonlinearity !== undefined && !RELU_FAMILY.has(o.nonlinearity);
    if (LINEAR_SCHEMES.has(scheme) || (scheme === 'orthogonal' && (o.gain ?? 1) < 1.2) || linearKaiming) {
      return { text: `keeps the variance of a linear unit, but ${act.name} zeroes about half of its input, so each layer roughly halves the signal's variance`, severity: 'warning' };
    }
  }
  if (saturates(act.name) && (scheme === 'kaiming_normal' || scheme === 'kaiming_uniform') && (o.nonlinearity === undefined || RELU_FAMILY.has(o.nonlinearity))) {
    return { text: `uses the ReLU gain √2 before ${act.name}, which pushes units towards saturation`, severity: 'info' };
  }
  return null;
}

/** Replace the layer's init by the recommended scheme. */
function initFix(node: WeightNode, act: Activation): Fix {
  const rec = recommendInit(act, node.weightShape);
  return { description: `use ${rec.label}`, path: initPointer(node), value: rec.value, std: rec.std };
}

/** The recommended scheme, and as an alternative the single number (std) the fan implies, when the init has one. */
function scaleFixes(node: WeightNode, act: Activation): { fix: Fix; alternatives: Fix[] } {
  const fix = initFix(node, act);
  const alternatives: Fix[] = [];
  const spec = node.initSpec;
  if (spec.source === 'layer' && (spec.scheme === 'normal' || spec.scheme === 'truncated_normal') && fix.std !== undefined) {
    alternatives.push({ description: `set std to ${roundStd(fix.std)} (what ${fix.description.replace(/^use /, '').replace(/:.*/, '')} gives for this fan)`, path: childPointer(spec.path, 'std'), value: roundStd(fix.std), std: fix.std });
  }
  return { fix, alternatives };
}

/** The number that sets the init's scale when there is one (`std`, `gain`), else the init itself. */
function scalePointer(node: WeightNode): string {
  const spec = node.initSpec;
  if (spec.source !== 'layer') return spec.path || node.path;
  if ((spec.scheme === 'normal' || spec.scheme === 'truncated_normal') && spec.options.std !== undefined) return childPointer(spec.path, 'std');
  if ((spec.scheme === 'xavier_normal' || spec.scheme === 'xavier_uniform' || spec.scheme === 'orthogonal') && spec.options.gain !== undefined) return childPointer(spec.path, 'gain');
  return spec.path;
}

/**
 * How a chain message ends: "to 0.02 at the first, over 12 layers (×0.70 per layer)", or, when the series left the
 * float64 range, where it did ("until it overflows to Infinity 812 layers back of 2000 (×1.45 per layer)").
 * `where` says how a position in the series reads ("at layer" for activations, "layers back at" for gradients).
 */
function chainEnd(v: Verdict, s: number[], where: 'at layer' | 'layers back at'): string {
  const perLayer = Number.isFinite(v.perLayer) ? ` (×${v.perLayer.toFixed(2)} per layer)` : '';
  const position = (i: number): string => where === 'at layer' ? `at layer ${i + 1} of ${s.length}` : `${i} layers back of ${s.length}`;
  if (v.overflowAt !== null) return `until it overflows to Infinity ${position(v.overflowAt)}${perLayer}: the number left the float64 range (about 1.8e308)`;
  if (v.underflowAt !== null) return `until it reaches 0 ${position(v.underflowAt)}${perLayer} (underflowed, or every unit cut off)`;
  return where === 'at layer'
    ? `to ${formatSignificant(s[s.length - 1])} over ${s.length} layers${perLayer}`
    : `to ${formatSignificant(s[s.length - 1])} at the first, over ${s.length} layers${perLayer}`;
}

/**
 * Judges a series of stds along a chain (first to last): vanishing when the geometric mean ratio per step is below
 * `vanishingRatioPerLayer` and the whole chain shrinks below `vanishingTotalRatio` (exploding symmetrically), or
 * when it collapses by `collapseRatio` whatever its length. `firstStep` is the first layer whose own step is bad.
 * A series that overflows to +Infinity is exploding (and one that falls from a positive std to 0 is vanishing)
 * whatever its length, with `overflowAt` (`underflowAt`) the first index out of range and `perLayer` measured over
 * the part before it (NaN when there is none); a NaN anywhere else gives no verdict.
 */
export function chainVerdict(stds: number[]): { kind: 'vanishing' | 'exploding'; perLayer: number; firstStep: number; overflowAt: number | null; underflowAt: number | null } | null {
  const t = FINDING_THRESHOLDS;
  const n = stds.length;
  if (n < 2) return null;
  const step = (bad: (r: number) => boolean): number => {
    for (let i = 1; i < n; i++) if (bad(stds[i] / stds[i - 1])) return i - 1;
    return 0;
  };
  const rate = (end: number): number => end >= 1 && stds[0] > 0 ? Math.pow(stds[end] / stds[0], 1 / end) : NaN;
  const outside = stds.findIndex((s) => !Number.isFinite(s));
  if (outside >= 0) {
    if (stds[outside] !== Infinity) return null;
    return { kind: 'exploding', perLayer: rate(outside - 1), firstStep: outside === 0 ? 0 : step((r) => r > 1 / t.vanishingRatioPerLayer), overflowAt: outside, underflowAt: null };
  }
  const first = stds[0];
  const last = stds[n - 1];
  if (first === 0) return null;
  if (last === 0) {
    const zero = stds.indexOf(0);
    return { kind: 'vanishing', perLayer: rate(zero - 1), firstStep: step((r) => r < t.vanishingRatioPerLayer), overflowAt: null, underflowAt: zero };
  }
  const total = last / first;
  const perLayer = Math.pow(total, 1 / (n - 1));
  const long = n >= t.minChainLayers;
  if ((long && perLayer < t.vanishingRatioPerLayer && total < t.vanishingTotalRatio) || total < t.collapseRatio) {
    return { kind: 'vanishing', perLayer, firstStep: step((r) => r < t.vanishingRatioPerLayer), overflowAt: null, underflowAt: null };
  }
  if ((long && perLayer > 1 / t.vanishingRatioPerLayer && total > 1 / t.vanishingTotalRatio) || total > 1 / t.collapseRatio) {
    return { kind: 'exploding', perLayer, firstStep: step((r) => r > 1 / t.vanishingRatioPerLayer), overflowAt: null, underflowAt: null };
  }
  return null;
}

/** The last weight layer of a node list, looking into nested lists (a residual branch's last layer). */
function lastWeightOf(nodes: PlanNode[]): WeightNode | null {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (isWeightNode(n)) return n;
    for (const sub of nodeOp(n.op).subgraphs?.(n) ?? []) {
      const inner = lastWeightOf(sub);
      if (inner) return inner;
    }
  }
  return null;
}
