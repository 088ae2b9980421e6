// The what-if scale slider's log scale: positions are log10 of the scale, from ×0.01 to ×100.

/** The slider's range, in log10 of the scale: ×0.01 to ×100 in steps of 10^0.05 (about ×1.12). */
export const SCALE_RANGE = { min: -2, max: 2, step: 0.05 } as const;

/** The scale at slider position `position` (log10), to two significant digits (×0.50, ×2.0, ×3.2). */
export function scaleAt(position: number): number {
  return Number((10 ** position).toPrecision(2));
}

/** The slider position (a step of the range, clamped to it) nearest to log10(`scale`); ×0 sits at the left end. */
export function positionOf(scale: number): number {
  if (!(scale > 0)) return SCALE_RANGE.min;
  const raw = Math.round(Math.log10(scale) / SCALE_RANGE.step) * SCALE_RANGE.step;
  return Math.min(SCALE_RANGE.max, Math.max(SCALE_RANGE.min, Number(raw.toFixed(2))));
}
