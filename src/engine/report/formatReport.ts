import type { Location } from '../format/pointer';
import type { Finding, Report } from './report';
import { formatApproximate, formatNumber, formatPercent } from './formatNumber';


/**
 * The report as a readable text table (one row per layer, in execution order), then its problems and findings with
 * `file:line:col` locations, as the CLI prints it.
 */
export function formatReport(report: Report, locate: (pointer: string) => Location, file: string): string {
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
    const rows = report.layers.map((l) => [
      String(l.index),
      `${l.name === l.type ? l.type : `${l.name} (${l.type})`}${l.activationFunction && l.activationFunction !== 'linear' ? ` ${l.activationFunction}` : ''}`,
      `[${l.outputShape.join('×')}]`,
      l.init ? `${l.init.label} (${formatNumber(l.init.std)})${l.init.source === 'assumed' ? ' *' : ''}` : '',
      formatNumber(l.activation?.std),
      `${formatNumber(l.predicted?.activationStd)}${formatApproximate(l.predicted?.approximate, l.predicted?.approximateBy)}`,
      formatNumber(l.gradient?.std),
      `${formatNumber(l.predicted?.gradientStd)}${formatApproximate(l.predicted?.approximate, l.predicted?.gradientApproximateBy)}`,
      formatPercent(l.activation?.saturatedFraction ?? l.predicted?.saturatedFraction),
      formatPercent(l.activation?.deadFraction ?? l.predicted?.deadFraction),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]): string => '  ' + r.map((c, i) => (i >= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
    lines.push(fmt(header));
    lines.push('  ' + widths.map((w) => '─'.repeat(w)).join('  '));
    for (const r of rows) lines.push(fmt(r));
    const legend: string[] = [];
    if (report.layers.some((l) => l.init?.source === 'assumed')) legend.push('* no init declared: PyTorch default assumed');
    if (report.layers.some((l) => l.predicted?.approximate)) legend.push('~±x% approximate prediction: a sampled run may be off by up to x% (~? by an unknown amount)');
    if (legend.length) lines.push(`  ${legend.join('; ')}`);
    for (const l of report.layers) {
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

function formatFinding(f: Finding, loc: Location, file: string): string {
  const also = (f.fix?.also ?? []).map((e) => `, ${e.path} to ${JSON.stringify(e.value)}`).join('');
  const fix = f.fix ? `\n    fix: ${f.fix.description} → set ${f.fix.path} to ${JSON.stringify(f.fix.value)}${also}` : '';
  return `${file}:${loc.line}:${loc.column}: ${f.severity}: ${f.message} [${f.code}]${fix}`;
}
