import type { PlanNode } from '../graph/plan';
import { nodeOp } from '../graph/registry';
import type { Finding, LayerReport, Severity } from './report';
import type { BlockGroup, BlockReport } from './blockReport';

/** The longest block pattern searched for, in top-level units (a T5 decoder block is 3, a post-LN BERT block 4). */
const MAX_PERIOD = 16;

interface Unit {
  node: PlanNode;
  signature: string;
  first: number;
  last: number;
}

/**
 * Finds the repeated blocks of a network: in a list of layers (the network's, then recursively the layer lists inside
 * layers no block covers, such as an encoder's), the longest run of two or more consecutive copies of one pattern of
 * top-level layers, compared by op, activation, output shape and, for layers that hold others (residual blocks), the
 * same recursively. A `repeat`'s copies, an imported model's per-layer blocks (`h.0` … `h.11`, written as a repeat or
 * one by one) and a pre-LN transformer block (the attention residual and the MLP residual, a pattern of two) are all
 * such runs. A pattern is primitive (not itself repeats of a shorter one) and covers at least two report rows, so a
 * stack of single dense layers is not grouped; runs are taken longest first (then the shorter pattern, then the
 * earlier start, but a start at a residual block before one that is not), and the rest of the list is searched again. Each block summarises its rows: the stream std at its
 * output, the gradient std at its input, its attention's worst scores and its findings' worst severity (a finding on
 * a repeated layer, reported once with `copies`, counts for every block holding a layer at its JSON pointer).
 */
export function groupBlocks(nodes: readonly PlanNode[], layers: readonly LayerReport[], findings: readonly Finding[]): BlockGroup[] {
  const groups: BlockGroup[] = [];
  const nodePaths = collectPaths(nodes, layers.length);
  const search = (list: readonly PlanNode[]): void => {
    const units = list.map(unitOf);
    for (const [start, end] of findRuns(units, groups, layers, findings, nodePaths)) {
      for (let i = start; i < end; i++) for (const sub of nodeOp(units[i].node.op).subgraphs?.(units[i].node) ?? []) search(sub);
    }
  };
  search(nodes);
  groups.sort((a, b) => a.blocks[0].firstLayer - b.blocks[0].firstLayer);
  return groups;
}

/** Every node's JSON pointer (in the generated network) by report index. */
function collectPaths(nodes: readonly PlanNode[], count: number): string[] {
  const paths = new Array<string>(count).fill('');
  const visit = (list: readonly PlanNode[]): void => {
    for (const n of list) {
      paths[n.index] = n.path;
      for (const sub of nodeOp(n.op).subgraphs?.(n) ?? []) visit(sub);
    }
  };
  visit(nodes);
  return paths;
}

function unitOf(node: PlanNode): Unit {
  const subgraphs = nodeOp(node.op).subgraphs?.(node) ?? [];
  const inner = subgraphs.map((list) => list.map(unitOf));
  let first = node.index;
  let last = node.index;
  for (const list of inner) for (const u of list) { first = Math.min(first, u.first); last = Math.max(last, u.last); }
  const act = nodeOp(node.op).outputActivation?.(node)?.name;
  const signature = `${node.op}${act && act !== 'linear' ? `:${act}` : ''}[${node.outShape.join('x')}]${inner.length ? `(${inner.map((l) => l.map((u) => u.signature).join(',')).join(';')})` : ''}`;
  return { node, signature, first, last };
}

/**
 * Groups the runs of repeated patterns in `units` into `groups`; returns the stretches [start, end) of units left
 * outside any run (searched again inside by the caller).
 */
function findRuns(units: Unit[], groups: BlockGroup[], layers: readonly LayerReport[], findings: readonly Finding[], paths: string[]): [number, number][] {
  const rest: [number, number][] = [];
  const pending: [number, number][] = [[0, units.length]];
  for (let seg = pending.pop(); seg; seg = pending.pop()) {
    const best = bestRun(units, seg[0], seg[1]);
    if (!best) { if (seg[1] > seg[0]) rest.push(seg); continue; }
    const { start, period, copies } = best;
    const blocks: BlockReport[] = [];
    for (let k = 0; k < copies; k++) {
      const us = units.slice(start + k * period, start + (k + 1) * period);
      blocks.push(blockReport(k, us[0].first, us[us.length - 1].last, layers, findings, paths, blocks[k - 1]?.name ?? null));
    }
    groups.push({ pattern: units.slice(start, start + period).map((u) => describe(u.node)).join(' + '), layersPerBlock: blocks[0].lastLayer - blocks[0].firstLayer + 1, blocks });
    pending.push([seg[0], start], [start + period * copies, seg[1]]);
  }
  return rest;
}

/** The run covering most units in [from, to): its start, pattern length and copies; null when none qualifies. */
function bestRun(units: Unit[], from: number, to: number): { start: number; period: number; copies: number } | null {
  let best: { start: number; period: number; copies: number } | null = null;
  const maxPeriod = Math.min(MAX_PERIOD, Math.floor((to - from) / 2));
  for (let p = 1; p <= maxPeriod; p++) {
    // matching[i]: how many consecutive units from i equal the unit p further on.
    const matching = new Array<number>(to - from + 1).fill(0);
    for (let i = to - p - 1; i >= from; i--) matching[i - from] = units[i].signature === units[i + p].signature ? matching[i - from + 1] + 1 : 0;
    for (let i = from; i + 2 * p <= to; i++) {
      const copies = Math.floor(matching[i - from] / p) + 1;
      if (copies < 2) continue;
      // Of two phases of one pattern covering as much, the one starting at a layer that holds others (a residual
      // block): a post-LN block is its residual and the norm after it, not the norm before and the residual.
      if (best && (copies * p < best.copies * best.period || (copies * p === best.copies * best.period && (p !== best.period || holds(units[best.start]) || !holds(units[i]))))) continue;
      if (units[i + p - 1].last - units[i].first + 1 < 2 || !primitive(units, i, p)) continue;
      best = { start: i, period: p, copies };
    }
  }
  return best;
}

/** Whether the unit holds other layers (a residual block, an encoder). */
function holds(unit: Unit): boolean {
  return unit.first < unit.node.index;
}

/** Whether units[i, i + p) is not itself two or more copies of a shorter pattern. */
function primitive(units: Unit[], i: number, p: number): boolean {
  for (let d = 1; d < p; d++) {
    if (p % d !== 0) continue;
    let repeats = true;
    for (let j = i + d; j < i + p && repeats; j++) repeats = units[j].signature === units[j - d].signature;
    if (repeats) return false;
  }
  return true;
}

/** `residual(rmsnorm, attention)`. */
function describe(node: PlanNode): string {
  const subgraphs = nodeOp(node.op).subgraphs?.(node) ?? [];
  return subgraphs.length ? `${node.op}(${subgraphs.map((l) => l.map(describe).join(', ')).join('; ')})` : node.op;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

function blockReport(index: number, first: number, last: number, layers: readonly LayerReport[], findings: readonly Finding[], paths: string[], previousName: string | null): BlockReport {
  const rows = layers.slice(first, last + 1);
  const out = layers[last];
  const before = first > 0 ? layers[first - 1] : null;
  const attention = rows.filter((l) => l.attention);
  const min = (xs: (number | null)[]): number | null => xs.reduce<number | null>((m, x) => (x === null || !Number.isFinite(x) ? m : m === null ? x : Math.min(m, x)), null);
  const max = (xs: (number | null)[]): number | null => xs.reduce<number | null>((m, x) => (x === null || !Number.isFinite(x) ? m : m === null ? x : Math.max(m, x)), null);
  const blockPaths = paths.slice(first, last + 1);
  const own = findings.filter((f) => (f.layer !== null && f.layer >= first && f.layer <= last)
    || (f.copies > 1 && blockPaths.some((p) => p !== '' && (f.path === p || f.path.startsWith(`${p}/`)))));
  const severity = own.reduce<Severity | null>((s, f) => (s === null || SEVERITY_RANK[f.severity] > SEVERITY_RANK[s] ? f.severity : s), null);
  return {
    index,
    name: blockName(rows, index, previousName),
    firstLayer: first,
    lastLayer: last,
    outputStd: { sampled: out.activation?.std ?? null, predicted: out.predicted?.activationStd ?? null },
    gradientStd: { sampled: before?.gradient?.std ?? null, predicted: before?.predicted?.gradientStd ?? null },
    attention: attention.length === 0 ? null : {
      entropy: min(attention.map((l) => l.attention!.entropy)),
      logitStd: max(attention.map((l) => l.attention!.logitStd)),
      predictedLogitStd: max(attention.map((l) => l.attention!.predictedLogitStd)),
    },
    severity,
    findings: [...new Set(own.map((f) => f.code))],
  };
}

/**
 * A block's name from its layers' names: the prefix they share up to a layer number (`h.3` of `h.3.attn`,
 * `h.3.ln_1`), or up to the `*` an imported repeat writes (`layers.*.mlp`: numbered on from the block before, else
 * by its position); `block N` when the names share no such prefix.
 */
function blockName(rows: readonly LayerReport[], index: number, previousName: string | null): string {
  const prefixes = rows.map((l) => /^(.*?)(\d+|\*)(?=[.\s_]|$)/.exec(l.name));
  const first = prefixes[0];
  if (first && prefixes.every((m) => m && m[1] === first[1] && m[2] === first[2])) {
    if (first[2] !== '*') return `${first[1]}${first[2]}`;
    const previous = previousName?.startsWith(first[1]) ? Number(previousName.slice(first[1].length)) : NaN;
    return `${first[1]}${Number.isInteger(previous) ? previous + 1 : index}`;
  }
  return `block ${index}`;
}
