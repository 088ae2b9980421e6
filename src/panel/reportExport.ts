import type { Report } from '../engine';

/**
 * The report as CSV, one row per layer (sampled and predicted columns side by side; empty where not computed), with
 * the repeated block it belongs to and, for a layer with several weights, each one's init std (`q=0.02 k=0.02 …`).
 */
export function reportCsv(report: Report): string {
  const header = ['index', 'path', 'name', 'type', 'output_shape', 'fan_in', 'fan_out', 'activation', 'init', 'init_std', 'pre_std', 'output_mean', 'output_std',
    'output_min', 'output_max', 'saturated_fraction', 'dead_fraction', 'distinct_units', 'gradient_std', 'weight_gradient_std', 'weight_gradient_ratio',
    'predicted_output_std', 'predicted_gradient_std', 'chi', 'predicted_saturated_fraction', 'predicted_dead_fraction', 'approximate',
    'approximate_by', 'gradient_approximate_by', 'block', 'projection_stds'];
  const value = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  // The repeated block each layer belongs to (report.blocks), by name: `h.3`, `block 3`.
  const blockOf = new Map<number, string>();
  for (const group of report.blocks) for (const b of group.blocks) for (let i = b.firstLayer; i <= b.lastLayer; i++) blockOf.set(i, b.name);
  const rows = report.layers.map((l) => [
    l.index, l.path, l.name, l.type, l.outputShape.join('x'), l.fanIn, l.fanOut, l.activationFunction, l.init?.label, l.init?.std,
    l.preActivation?.std, l.activation?.mean, l.activation?.std, l.activation?.min, l.activation?.max, l.activation?.saturatedFraction,
    l.activation?.deadFraction, l.activation?.distinctUnits, l.gradient?.std, l.weightGradient?.std, l.weightGradient?.ratio,
    l.predicted?.activationStd, l.predicted?.gradientStd, l.predicted?.chi, l.predicted?.saturatedFraction, l.predicted?.deadFraction, l.predicted?.approximate,
    l.predicted?.approximateBy, l.predicted?.gradientApproximateBy, blockOf.get(l.index), l.projections?.map((p) => `${p.name}=${p.std}`).join(' '),
  ].map(value).join(','));
  return [header.join(','), ...rows].join('\n') + '\n';
}
