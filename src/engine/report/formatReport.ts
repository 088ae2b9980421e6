import type { Location } from '../format/pointer';
import type { Finding, LayerReport, Report } from './report';
import { type BlockGroup, groupedView } from './blockReport';
import { formatInit } from './formatInit';
import { formatApproximate, formatNumber, formatPercent, formatRange as range } from './formatNumber';


/**
 * The report as a readable text table (one row per layer, in execution order), then its problems and findings with
 * `file:line:col` locations, as the CLI prints it. Repeated blocks (`report.blocks`, when `groupedView` says so) are
 * one row per group, `blocks h.0–h.11 ×12`, with each statistic's range over the blocks (the stream std at each
 * block's output, the gradient std at its input), and a line on their attention and findings; `allLayers` lists
 * every layer instead.
 */
export function formatReport(report: Report, locate: (pointer: string) => Location, file: string, options: { allLayers?: boolean } = {}): string {
  const lines: string[] = [];
  lines.push(`${file}: ${report.network || '(unnamed network)'} (mode ${report.mode}, seed ${report.seed}, batch ${report.batchSize}${report.backend ? `, ${report.backend}` : ''})`);
  if (report.source) {
    const s = report.source;
    lines.push(`  ${s.format} ${s.family} config, built as ${s.architecture}${s.tokens !== null ? ` on ${s.tokens} tokens` : ''}, ${report.cost ? `${report.cost.parameterCount.toLocaleString('en')} parameters` : ''}`);
    lines.push(`  init: ${s.initRules}`);
    for (const note of s.notes) lines.push(`  note: ${note}`);
  } else if (report.cost) {
    lines.push(`  ${report.cost.parameterCount.toLocaleString('en')} parameters`);
  }
  if (report.sampledRefused) lines.push(`  note: ${report.sampledRefused}`);
  if (report.layers.length > 0) {
    const header = ['#', 'layer', 'output', 'init (std)', 'std sampled', 'std predicted', 'grad std', 'grad pred', 'saturated', 'dead'];
    const groups = options.allLayers ? [] : report.blocks.filter(groupedView);
    const groupAt = new Map(groups.map((g) => [g.blocks[0].firstLayer, g]));
    const grouped = new Set<number>();
    for (const g of groups) for (let i = g.blocks[0].firstLayer; i <= g.blocks[g.blocks.length - 1].lastLayer; i++) grouped.add(i);
    const layerRow = (l: LayerReport): string[] => [
      String(l.index),
      `${l.name === l.type ? l.type : `${l.name} (${l.type})`}${l.activationFunction && l.activationFunction !== 'linear' ? ` ${l.activationFunction}` : ''}`,
      `[${l.outputShape.join('×')}]`,
      formatInit(l),
      formatNumber(l.activation?.std),
      `${formatNumber(l.predicted?.activationStd)}${formatApproximate(l.predicted?.approximate, l.predicted?.approximateBy)}`,
      formatNumber(l.gradient?.std),
      `${formatNumber(l.predicted?.gradientStd)}${formatApproximate(l.predicted?.approximate, l.predicted?.gradientApproximateBy)}`,
      formatPercent(l.activation?.saturatedFraction ?? l.predicted?.saturatedFraction),
      formatPercent(l.activation?.deadFraction ?? l.predicted?.deadFraction),
    ];
    const rows: string[][] = [];
    for (const l of report.layers) {
      const g = groupAt.get(l.index);
      if (g) rows.push(groupRow(g, report.layers));
      else if (!grouped.has(l.index)) rows.push(layerRow(l));
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]): string => '  ' + r.map((c, i) => (i >= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
    lines.push(fmt(header));
    lines.push('  ' + widths.map((w) => '─'.repeat(w)).join('  '));
    for (const r of rows) lines.push(fmt(r));
    const legend: string[] = [];
    if (report.layers.some((l) => l.init?.source === 'assumed')) legend.push('* no init declared: PyTorch default assumed');
    if (report.layers.some((l) => l.predicted?.approximate)) legend.push('~±x% approximate prediction: a sampled run may be off by up to x% (~? by an unknown amount)');
    if (groups.length) legend.push('blocks a–b ×n: n repeated blocks in one row, each statistic\'s range over them (std at each block\'s output, grad std at its input); --all-layers lists every layer');
    if (legend.length) lines.push(`  ${legend.join('; ')}`);
    for (const g of groups) lines.push(`  ${groupSummary(g)}`);
    for (const l of report.layers) {
      if (grouped.has(l.index)) continue;
      const a = l.attention;
      if (a) lines.push(`  #${l.index} ${l.name}: logit std ${formatNumber(a.logitStd)} (predicted ${formatNumber(a.predictedLogitStd)}), attention entropy ${formatNumber(a.entropy)} of ln(visible keys)`);
      // Losses in nats to two decimals: the excess over ln(vocab) is what matters, and it can be a few hundredths.
      const nats = (x: number | null): string => (x === null ? '–' : x.toFixed(2));
      if (l.loss) lines.push(`  #${l.index} ${l.name}: loss at init ${nats(l.loss.sampled)} (predicted ${nats(l.loss.predicted)}) against ln(vocab) = ${nats(l.loss.uniform)}`);
    }
  }
  for (const p of report.problems) lines.push(`${file}:${p.line}:${p.column}: ${p.severity}: ${p.message}`);
  for (const f of report.findings) lines.push(formatFinding(f, locate(f.path), file));
  const errors = report.problems.filter((p) => p.severity === 'error').length + report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.problems.length + report.findings.length - errors;
  lines.push(`${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} or note${warnings === 1 ? '' : 's'}`);
  return lines.join('\n');
}

/** `h.0–h.11` (imported names), or `0–31` for blocks named `block N`. */
function blockRange(g: BlockGroup): string {
  const [first, last] = [g.blocks[0].name, g.blocks[g.blocks.length - 1].name];
  return /^block \d+$/.test(first) && /^block \d+$/.test(last) ? `${first.slice(6)}–${last.slice(6)}` : `${first}–${last}`;
}

/** A group's row: its layer range, its blocks, and each column's range over the blocks. */
function groupRow(g: BlockGroup, layers: readonly LayerReport[]): string[] {
  const first = g.blocks[0].firstLayer;
  const last = g.blocks[g.blocks.length - 1].lastLayer;
  const rows = layers.slice(first, last + 1);
  const stds = rows.flatMap((l) => [l.init?.std, ...(l.projections ?? []).map((p) => p.std)]);
  const maxOf = (xs: (number | null | undefined)[]): number | null => {
    const finite = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return finite.length ? Math.max(...finite) : null;
  };
  return [
    `${first}–${last}`,
    `blocks ${blockRange(g)} ×${g.blocks.length}`,
    `[${layers[g.blocks[0].lastLayer].outputShape.join('×')}]`,
    stds.some((x) => x !== undefined) ? `std ${range(stds)}` : '',
    range(g.blocks.map((b) => b.outputStd.sampled)),
    range(g.blocks.map((b) => b.outputStd.predicted)),
    range(g.blocks.map((b) => b.gradientStd.sampled)),
    range(g.blocks.map((b) => b.gradientStd.predicted)),
    formatPercent(maxOf(rows.map((l) => l.activation?.saturatedFraction ?? l.predicted?.saturatedFraction))),
    formatPercent(maxOf(rows.map((l) => l.activation?.deadFraction ?? l.predicted?.deadFraction))),
  ];
}

/** What a group's blocks are, their attention's range and where their findings are. */
function groupSummary(g: BlockGroup): string {
  const parts = [`blocks ${blockRange(g)}: ${g.blocks.length} × ${g.layersPerBlock} layers, ${g.pattern}`];
  const attention = g.blocks.map((b) => b.attention).filter((a) => a !== null);
  if (attention.length) {
    const sampled = attention.some((a) => a.logitStd !== null);
    parts.push(`logit std ${range(attention.map((a) => (sampled ? a.logitStd : a.predictedLogitStd)))}${sampled ? '' : ' (predicted)'}` +
      `${attention.some((a) => a.entropy !== null) ? `, attention entropy ${range(attention.map((a) => a.entropy))} of ln(visible keys)` : ''}`);
  }
  const flagged = g.blocks.filter((b) => b.severity !== null);
  if (flagged.length) parts.push(`findings in ${flagged.map((b) => `${b.name} (${b.severity}: ${b.findings.join(', ')})`).join(', ')}`);
  return parts.join('; ');
}

function formatFinding(f: Finding, loc: Location, file: string): string {
  const also = (f.fix?.also ?? []).map((e) => `, ${e.path} to ${JSON.stringify(e.value)}`).join('');
  const fix = f.fix ? `\n    fix: ${f.fix.description} → set ${f.fix.path} to ${JSON.stringify(f.fix.value)}${also}` : '';
  return `${file}:${loc.line}:${loc.column}: ${f.severity}: ${f.message} [${f.code}]${fix}`;
}
