// How far a mean-field prediction may be from a sampled run: relative bounds, how they compound from layer to layer,
// and when a layer counts as approximate.

/**
 * A prediction within this relative distance of the sampled value counts as exact (issue 12: "within 10% of the
 * median sampled value over 5 seeds"); beyond it the layer is marked approximate and the bound is reported.
 */
export const EXACT_WITHIN = 0.1;

/**
 * The bound of a product of two quantities each off by at most a and b relatively: (1 + a)·(1 + b) − 1. Used along
 * a chain (a layer's output from its input's, a gradient from the one above it and the factor between them).
 */
export function compoundBounds(a: number, b: number): number {
  return (1 + a) * (1 + b) - 1;
}

/**
 * The bound of a dense or conv layer's own prediction (`predictWeightLayer`, which marks a layer with a non-zero
 * weight mean or a stride approximate). A stride changes neither the forward moments (each output is a full sum of
 * fanIn·inside taps) nor the average backward factor (fanOut·inside/stride counts every (output, tap) pair once): 0.
 * A non-zero weight mean μ adds μ·Σ_i x_i to every unit, whose variance the recursion takes as fanIn·μ²·Var(x) —
 * exact when the input's units are uncorrelated within a sample (0), unknown (NaN) when they are not (after a layer
 * with a non-zero weight mean or a constant init, whose units share a common part: `correlatedUnits`).
 */
export function weightLayerBound(weightMean: number, inputCorrelatedUnits: boolean): number {
  return weightMean !== 0 && inputCorrelatedUnits ? NaN : 0;
}
