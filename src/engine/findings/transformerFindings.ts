import { childPointer } from '../format/problem';
import type { InitSpec } from '../init/initSpec';
import { initJson } from '../edit/whatIf';
import type { FindingDraft } from '../graph/layerOp';
import type { AttentionNode } from '../graph/ops/attention';
import type { GatedMlpNode } from '../graph/ops/gatedMlp';
import type { LmHeadNode } from '../graph/ops/lmHead';
import { initPointer, isWeightNode } from '../graph/ops/weightLayer';
import type { Plan, PlanNode } from '../graph/plan';
import { nodeOp } from '../graph/registry';
import { formatSignificant } from '../report/formatNumber';
import type { Fix, LayerReport } from '../report/report';
import { FINDING_THRESHOLDS } from './thresholds';

/**
 * The findings of transformer stacks, each with its fix as an edit:
 * - residual-stream-growth: a run of pre-norm blocks whose branches add more variance to the stream than the
 *   unit-variance input each branch reads (Xiong et al., 2020: the pre-LN stream grows linearly with depth); fix:
 *   every branch's output projection scaled by 1/√(number of residual branches) = 1/√(2·blocks) (Radford et al.,
 *   2019, GPT-2 §2.3), or zero-initialized (identity blocks at init);
 * - attention-entropy-collapse: attention whose weights concentrate on few keys at init (mean entropy over
 *   ln(visible keys) below 0.5; Zhai et al., 2023, "Stabilizing Transformer Training by Preventing Attention
 *   Entropy Collapse"); fix: the score scale that brings the logit std to 1;
 * - output-loss-above-uniform: an output head whose expected initial loss ln(vocab) + s²/2 exceeds ln(vocab) by more
 *   than 0.5 nats (logit std s above 1); fix: the head's init scaled to logit std 0.5;
 * - post-ln-gradient-imbalance: a post-norm stack whose gradient std differs by more than 2× between its last and
 *   first block (Xiong et al., 2020, Theorem 1: each post-LN sublayer divides the gradient by √(1 + ΔVar)); fix:
 *   the branch output projections scaled by DeepNet's β = (8N)^−¼ (Wang et al., 2022), shrinking ΔVar.
 */
export function transformerFindings(plan: Plan, layers: LayerReport[], inputStd: number): FindingDraft[] {
  const out: FindingDraft[] = [];
  const std = (n: PlanNode): number => layers[n.index].activation?.std ?? layers[n.index].predicted?.activationStd ?? NaN;
  const grad = (n: PlanNode): number => layers[n.index].gradient?.std ?? layers[n.index].predicted?.gradientStd ?? NaN;

  // Runs of consecutive residual blocks on the main path, pre-norm (every branch starts with a normalization) or
  // post-norm (the block is followed by one).
  const nodes = plan.nodes;
  const preRuns: { blocks: PlanNode[]; before: number }[] = [];
  // Post-norm runs keep each block with the normalization after it, whose output is the stream the next block reads.
  const postRuns: { block: PlanNode; norm: PlanNode }[][] = [];
  let lastPre = -2;
  let lastPost = -3;
  for (let i = 0; i < nodes.length; i++) {
    const branches = residualBranches(nodes[i]);
    if (!branches) continue;
    if (isPreNormBlock(nodes[i])) {
      if (lastPre === i - 1) preRuns[preRuns.length - 1].blocks.push(nodes[i]);
      else preRuns.push({ blocks: [nodes[i]], before: i > 0 ? std(nodes[i - 1]) : inputStd });
      lastPre = i;
    } else if (i + 1 < nodes.length && nodeOp(nodes[i + 1].op).findings.normalizes === true) {
      // block, norm, block, norm, …
      const entry = { block: nodes[i], norm: nodes[i + 1] };
      if (lastPost === i - 2) postRuns[postRuns.length - 1].push(entry);
      else postRuns.push([entry]);
      lastPost = i;
    }
  }

  for (const { blocks, before } of preRuns) {
    if (blocks.length < 2) continue;
    const after = std(blocks[blocks.length - 1]);
    const added = after * after - before * before;
    if (!(added > FINDING_THRESHOLDS.residualStreamVariance)) continue;
    const branches = blocks.reduce((n, b) => n + residualBranches(b)!.length, 0);
    const factor = 1 / Math.sqrt(branches);
    const scaled = outputProjectionFix(blocks, factor, `scale every residual branch's output projection by 1/√${branches} = ${formatSignificant(factor)} (GPT-2's 1/√(2·blocks))`);
    const zero = outputProjectionFix(blocks, 0, 'zero-initialize every residual branch\'s output projection (each block starts as the identity)');
    out.push({
      code: 'residual-stream-growth', severity: 'warning', path: blocks[0].path, layer: blocks[0].index,
      message: `the residual stream's std grows from ${formatSignificant(before)} to ${formatSignificant(after)} over ${blocks.length} pre-norm blocks: their branches add a variance of ${formatSignificant(added)} (${formatSignificant(added / blocks.length)} per block), more than the unit-variance input each branch reads, so later blocks barely change the stream`,
      fix: scaled, alternatives: zero ? [zero] : [], related: [],
    });
  }

  for (const run of postRuns) {
    if (run.length < 2) continue;
    const blocks = run.map((e) => e.block);
    // The gradient with respect to the normalized stream after each block (before the norm it carries the norm's 1/σ).
    const first = grad(run[0].norm);
    const last = grad(run[run.length - 1].norm);
    const ratio = last / first;
    const limit = FINDING_THRESHOLDS.postNormGradientRatio;
    if (!(ratio > limit || ratio < 1 / limit)) continue;
    // DeepNet's N counts layers of two sublayers (attention and MLP), each a residual block here.
    const layersOfTwo = Math.ceil(blocks.length / 2);
    const beta = (8 * layersOfTwo) ** -0.25;
    const fix = outputProjectionFix(blocks, beta, `scale every residual branch's output projection by DeepNet's β = (8·${layersOfTwo})^−¼ = ${formatSignificant(beta)}`);
    out.push({
      code: 'post-ln-gradient-imbalance', severity: 'warning', path: blocks[0].path, layer: blocks[0].index,
      message: `the gradient std is ${formatSignificant(first)} after the first of ${blocks.length} post-norm blocks and ${formatSignificant(last)} after the last (×${formatSignificant(ratio)}): each normalization after a residual sum divides the gradient by √(1 + the variance its branch added), so the blocks learn at very different rates`,
      fix, alternatives: [], related: [],
    });
  }

  for (const node of plan.ordered) {
    const layer = layers[node.index];
    if ((node.op === 'attention' || node.op === 'cross_attention') && layer.attention) {
      const a = node as AttentionNode;
      const entropy = layer.attention.entropy;
      const logitStd = layer.attention.logitStd ?? layer.attention.predictedLogitStd ?? NaN;
      const collapsed = entropy !== null ? entropy < FINDING_THRESHOLDS.attentionEntropy : logitStd > FINDING_THRESHOLDS.attentionLogitStd;
      if (!collapsed || !(logitStd > 0)) continue;
      const scale = a.scale / logitStd;
      out.push({
        code: 'attention-entropy-collapse', severity: 'warning', path: a.path, layer: a.index,
        message: `attention in '${a.name}' concentrates on few keys at init: logit std ${formatSignificant(logitStd)}${entropy !== null ? `, mean entropy ${formatSignificant(entropy)} of ln(visible keys)` : ''}; near-uniform attention needs a logit std below about 1 (the q and k inits or the score scale are too large)`,
        fix: { description: `set the score scale to ${formatSignificant(scale)} (logit std 1)`, path: childPointer(a.path, 'scale'), value: Number(scale.toPrecision(4)) },
        alternatives: [], related: [],
      });
    }
    if (node.op === 'lm_head' && layer.loss) {
      const h = node as LmHeadNode;
      const loss = layer.loss.sampled ?? layer.loss.predicted ?? NaN;
      const excess = loss - layer.loss.uniform;
      if (!(excess > FINDING_THRESHOLDS.outputExcessLoss)) continue;
      const logitStd = std(h);
      const factor = 0.5 / logitStd;
      const owner = h.tiedTo ?? h;
      const fix: Fix = { description: `scale the ${h.tiedTo ? 'tied embedding\'s' : 'head\'s'} init by ${formatSignificant(factor)} (logit std 0.5, expected loss ln(vocab) + 0.125)`,
        path: initPointer(owner), value: scaledInit(owner.initSpec, factor) };
      out.push({
        code: 'output-loss-above-uniform', severity: 'warning', path: h.tiedTo ? initPointer(h.tiedTo) : h.path, layer: h.index,
        message: `the expected loss at init is ${formatSignificant(loss)}, ${formatSignificant(excess)} above ln(vocab) = ${formatSignificant(layer.loss.uniform)}: logit std ${formatSignificant(logitStd)} makes the head confidently wrong before training (the loss exceeds ln(vocab) by about half the logit variance)`,
        fix, alternatives: [], related: h.tiedTo ? [{ path: h.tiedTo.path, message: 'the head shares this embedding\'s table' }] : [],
      });
    }
  }
  return out;
}

/** A residual block (identity shortcut) each of whose branches starts with a normalization: a pre-norm block. */
export function isPreNormBlock(node: PlanNode): boolean {
  const branches = residualBranches(node);
  return branches !== null && branches.every((b) => b.length > 0 && nodeOp(b[0].op).findings.normalizes === true);
}

/** The branches of a residual block on the main path (identity shortcut), else null. */
function residualBranches(node: PlanNode): PlanNode[][] | null {
  if (node.op === 'parallel_residual') return nodeOp(node.op).subgraphs!(node);
  if (node.op === 'residual' && !(node as PlanNode & { shortcut: unknown }).shortcut) return nodeOp(node.op).subgraphs!(node);
  return null;
}

/**
 * One fix that scales the output projection of every branch of `blocks` by `factor` (0: zero init): an attention's
 * `out_init`, a gated MLP's `down_init`, else the branch's last weight layer's `init`. Blocks copied by `repeat`
 * share their pointers and are edited once. Null when no branch ends in a projection.
 */
function outputProjectionFix(blocks: PlanNode[], factor: number, description: string): Fix | null {
  const edits = new Map<string, unknown>();
  for (const block of blocks) {
    for (const branch of residualBranches(block) ?? []) {
      const target = lastProjection(branch);
      if (target && !edits.has(target.path)) edits.set(target.path, factor === 0 ? 'zeros' : scaledInit(target.spec, factor));
    }
  }
  const [first, ...rest] = [...edits.entries()];
  if (!first) return null;
  return { description, path: first[0], value: first[1], also: rest.map(([path, value]) => ({ path, value })) };
}

/** Where the last projection of a branch keeps its init, and the init. */
function lastProjection(branch: PlanNode[]): { path: string; spec: InitSpec } | null {
  for (let i = branch.length - 1; i >= 0; i--) {
    const n = branch[i];
    if (n.op === 'attention' || n.op === 'cross_attention') {
      const o = (n as AttentionNode).projections[(n as AttentionNode).projections.length - 1];
      return { path: childPointer(n.path, 'out_init'), spec: o.initSpec };
    }
    if (n.op === 'gated_mlp') return { path: childPointer(n.path, 'down_init'), spec: (n as GatedMlpNode).projections[2].initSpec };
    if (isWeightNode(n)) return { path: initPointer(n), spec: n.initSpec };
  }
  return null;
}

/**
 * An init scaled by `factor`, as the file writes it: a normal or truncated normal gets its std (and a truncated
 * normal its absolute bounds) scaled; any other scheme gets `multiplier` × factor.
 */
export function scaledInit(spec: InitSpec, factor: number): string | Record<string, unknown> {
  const round = (x: number): number => Number(x.toPrecision(4));
  if ((spec.scheme === 'normal' || spec.scheme === 'truncated_normal') && spec.options.std !== undefined && spec.multiplier === 1) {
    const o = spec.options;
    return initJson({ ...spec, options: { ...o, std: round((o.std ?? 1) * factor), ...(o.mean !== undefined ? { mean: round(o.mean * factor) } : {}),
      ...(o.a !== undefined ? { a: round(o.a * factor) } : {}), ...(o.b !== undefined ? { b: round(o.b * factor) } : {}) } });
  }
  return initJson({ ...spec, multiplier: round(spec.multiplier * factor) });
}
