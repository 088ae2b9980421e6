import { sizeOf } from '../graph/plan';
import { type Activation, derivative } from '../math/activation';
import { standardNormalRule } from '../math/gaussHermite';
import { normalCdf } from '../math/gaussian';
import { type ElementLaw, ownRule, probabilityAbove, sharedRule } from './elementLaw';
import { type Signal, variance } from './signal';

// The mean field predicts the infinite-width limit. A sampled run draws one set of weights and one batch, so its
// statistics scatter around that limit, the more the fewer units, positions and samples a layer has. This module
// estimates that scatter (its relative variance, accumulated from layer to layer as independent draws add) so that a
// prediction can say how far one run may be from it.

/** How many standard deviations of the finite-size scatter the reported bound covers. */
export const FINITE_SIZE_SIGMAS = 3;

/** Units (channels or features) and positions per unit of a per-sample shape: [C, H, W] → C, H·W; [T, F] → F, T; [F] → F, 1. */
export function unitsAndPositions(shape: readonly number[]): { units: number; positions: number } {
  if (shape.length === 3) return { units: shape[0], positions: shape[1] * shape[2] };
  if (shape.length === 2) return { units: shape[1], positions: shape[0] };
  return { units: Math.max(1, sizeOf(shape)), positions: 1 };
}

/** What the walker knows about a node for its finite-size scatter. */
export interface ScatterNode {
  inShape: number[];
  outShape: number[];
  /** Set for a layer with a weight: its fan-in and fan-out (conv: channels·kernel taps). */
  weight?: { fanIn: number; fanOut: number };
  /**
   * For an op with projections of its own that is not one weight layer (attention, a gated MLP): their number in a
   * row on the path from input to output (value then output projection: 2), each scattering like a weight layer of
   * fan-in the input's features.
   */
  projections?: number;
  /** A normalization: its output's scale does not depend on the input's draw. */
  normalizes: boolean;
  /** The nonlinearity whose φ′ the backward pass multiplies by, and the law of its input, where known. */
  derivativeOf?: { activation: Activation; pre: ElementLaw };
}

/**
 * The relative variance the sampled std of one layer's output has from draw to draw, and the scatter of its mean
 * relative to its std. With V the output variance, f = σ²_shared/V the part of it that is a per-unit offset (n
 * units, N = B·n·positions elements), a weight layer's own draw gives (Marchenko–Pastur for the sample covariance of
 * its input, Gaussian weights) Var(V̂)/V² ≈ (2/n)·[f² + (1 − f)²·(1/rows + 1/fanIn)], rows = B·positions: the n unit
 * offsets are n draws (χ²_n), each unit's scale a sum of fanIn squared weights, and the elements N draws; its mean
 * scatters by √(f/n + (1 − f)/N) stds. The input's scatter carries over; ops without weights add only the growth of
 * those terms as they concentrate the variance in fewer draws (a global average pooling leaves the unit offsets)
 * and keep the mean's absolute scatter; a normalization pins its output's mean (batchnorm per unit, layernorm per
 * sample) and scale: no scatter.
 */
export function forwardScatter(node: ScatterNode, input: Signal, output: Signal, inputScatter: { scatter: number; meanScatter: number }, batch: number): { scatter: number; meanScatter: number } {
  if (node.normalizes) return { scatter: 0, meanScatter: 0 };
  const terms = (s: Signal, shape: readonly number[]): { f: number; units: number; elements: number; v: number } => {
    const v = variance(s);
    const { units, positions } = unitsAndPositions(shape);
    return { f: v > 0 ? Math.min(1, s.sharedVariance / v) : 0, units, elements: batch * units * positions, v };
  };
  const out = terms(output, node.outShape);
  const weight = node.weight ?? (node.projections ? { fanIn: unitsAndPositions(node.inShape).units, fanOut: out.units } : undefined);
  if (weight) {
    const rows = out.elements / out.units;
    const own = (node.projections ?? 1) * (2 / out.units) * (out.f * out.f + (1 - out.f) ** 2 * (1 / rows + 1 / weight.fanIn));
    return { scatter: inputScatter.scatter + own, meanScatter: out.v > 0 ? Math.sqrt(out.f / out.units + (1 - out.f) / out.elements) : 0 };
  }
  const drawn = (t: { f: number; units: number; elements: number }): number => (2 / t.units) * t.f * t.f + (2 * (1 - t.f) ** 2) / t.elements;
  const inTerms = terms(input, node.inShape);
  const own = Math.max(0, drawn(out) - drawn(inTerms));
  return { scatter: inputScatter.scatter + own, meanScatter: out.v > 0 ? inputScatter.meanScatter * Math.sqrt(inTerms.v / out.v) : 0 };
}

/**
 * The relative variance a backward factor Var(dx)/Var(dy) adds from draw to draw: a weight layer's weights
 * (2/n_in)·(1/rows_in + 1/fanOut), n_in input units over rows_in = B·positions, the transpose of the forward
 * estimate; a factor through φ′ the scatter of E[φ′(z)²] over n units (Var_s E[φ′² | s]/E[φ′²]²/n, the per-unit
 * offsets deciding how many units are active) and over the elements; a normalization the scatter of the input's own
 * std, which it divides by (`inputScatter`).
 */
export function backwardScatter(node: ScatterNode, inputScatter: number, batch: number): number {
  let scatter = 0;
  const { units, positions } = unitsAndPositions(node.inShape);
  if (node.weight) scatter += (2 / units) * (1 / (batch * positions) + 1 / node.weight.fanOut);
  else if (node.projections) scatter += node.projections * (2 / units) * (1 / (batch * positions) + 1 / unitsAndPositions(node.outShape).units);
  if (node.derivativeOf) {
    const out = unitsAndPositions(node.outShape);
    scatter += derivativeScatter(node.derivativeOf.pre, node.derivativeOf.activation, out.units, batch * out.units * out.positions);
  }
  if (node.normalizes) scatter += inputScatter;
  return scatter;
}

/** Gauss–Hermite nodes for the own part of a Gaussian pre-activation here: a scatter estimate needs no more. */
const SCATTER_OWN_NODES = 16;

/**
 * Var(mean of φ′(z)² over a layer)/E[φ′(z)²]²: units' means Var_s E[φ′² | s]/n plus elements' Var(φ′²)/N. For a
 * Gaussian z = μ + σ_s·s + σ_e·e and the relu family, E[φ′² | s] = a² + (1 − a²)·Φ((μ + σ_s·s)/σ_e); otherwise
 * quadrature in e (16 Gauss–Hermite nodes for a Gaussian z, the law's own rule else).
 */
function derivativeScatter(law: ElementLaw, act: Activation, units: number, elements: number): number {
  if (act.name === 'linear') return 0;
  const g = law.gaussian;
  const outer = sharedRule(law);
  const own = g ? standardNormalRule(SCATTER_OWN_NODES) : ownRule(law);
  const piecewise = act.name === 'relu' || act.name === 'leaky_relu';
  const a = act.name === 'leaky_relu' ? act.negativeSlope : 0;
  let mean = 0, meanSquare = 0, second = 0;
  for (let i = 0; i < outer.nodes.length; i++) {
    const s = outer.nodes[i];
    let m = 0, m2 = 0;
    if (piecewise && (g || law.monotone)) {
      const p = g ? (g.individualStd > 0 ? normalCdf((g.mean + g.sharedStd * s) / g.individualStd) : g.mean + g.sharedStd * s > 0 ? 1 : 0) : probabilityAbove(law, s, 0);
      m = a * a + (1 - a * a) * p;
      m2 = a ** 4 + (1 - a ** 4) * p;
    } else {
      for (let j = 0; j < own.nodes.length; j++) {
        const d2 = derivative(act, law.value(s, own.nodes[j])) ** 2;
        m += own.weights[j] * d2;
        m2 += own.weights[j] * d2 * d2;
      }
    }
    mean += outer.weights[i] * m;
    meanSquare += outer.weights[i] * m * m;
    second += outer.weights[i] * m2;
  }
  if (!(mean > 0)) return 0;
  return Math.max(0, meanSquare - mean * mean) / (mean * mean * units) + Math.max(0, second - mean * mean) / (mean * mean * elements);
}

/**
 * The bound one run stays within with about 3σ confidence, relative: from the relative variance of the variance,
 * the std's relative scatter is half its square root; plus the downward bias of a std estimated from one draw
 * (E√V̂ ≈ √V·(1 − Var(V̂)/8V²)) around the sample's own mean (which takes Var(m̂) = meanScatter²·V from it).
 */
export function scatterBound(scatter: number, meanScatter = 0): number {
  return FINITE_SIZE_SIGMAS * Math.max(Math.sqrt(scatter) / 2, meanScatter) + scatter / 8 + (meanScatter * meanScatter) / 2;
}
