import { formatSignificant } from '../report/formatNumber';
import { calculateGain } from './gain';
import { computeFans } from './fan';
import { normalCdf, normalPdf, normalTailMoments } from '../math/gaussian';
import type { InitSpec } from './initSpec';

/** How a resolved init draws its values (before `multiplier`). */
export type InitDistribution =
  | { kind: 'constant'; value: number }
  | { kind: 'normal'; mean: number; std: number }
  | { kind: 'uniform'; low: number; high: number }
  /** N(mean, std²) restricted to [a, b] (absolute bounds, PyTorch's `trunc_normal_`). */
  | { kind: 'truncated_normal'; mean: number; std: number; a: number; b: number }
  /** A (semi-)orthogonal matrix times `gain` (PyTorch's `orthogonal_`). */
  | { kind: 'orthogonal'; gain: number };

/** An init made concrete for one tensor: how to sample it and the moments of what it produces. */
export interface ResolvedInit {
  distribution: InitDistribution;
  multiplier: number;
  /** Mean and standard deviation of the final values (multiplier included). */
  mean: number;
  std: number;
  /** A short human description: "kaiming_normal(relu): N(0, 0.0221²)". */
  label: string;
}

/** Keras' truncated normal on (−2σ, 2σ) has std 0.87962566103423978·σ, which Keras divides by. */
export const KERAS_TRUNCATION_STD = 0.87962566103423978;

/**
 * Makes an init spec concrete for a weight with the given fans, following `torch.nn.init` and
 * `keras.initializers` exactly:
 * - xavier_{normal,uniform}(gain): std = gain·√(2/(fanIn + fanOut)); uniform bound √3·std (Glorot & Bengio, 2010).
 * - kaiming_{normal,uniform}(a, mode, nonlinearity): std = calculate_gain(nonlinearity, a)/√fan_mode, defaults
 *   a = 0, mode fan_in, nonlinearity leaky_relu (so gain √2); uniform bound √3·std (He et al., 2015).
 * - lecun_normal (Keras): truncated normal with std √(1/fanIn)/0.8796…, cut at ±2 of that; lecun_uniform:
 *   U(±√(3/fanIn)) (LeCun et al., 1998).
 * - variance_scaling(scale, mode, distribution) (Keras): n = fanIn, fanOut or their mean; std √(scale/n), truncated
 *   normal std divided by 0.8796…, uniform bound √(3·scale/n).
 * - orthogonal(gain): Saxe et al. (2013); each entry has mean square gain²/max(rows, cols).
 * - pytorch_default: `nn.Linear`/`nn.Conv2d.reset_parameters`, kaiming_uniform(a=√5), i.e. U(±1/√fanIn); its bias
 *   U(±1/√fanIn). keras_default: glorot_uniform kernel, zeros bias.
 * - normal(mean=0, std=1), uniform(low=0, high=1), truncated_normal(mean=0, std=1, a=−2, b=2) as PyTorch's defaults.
 * `weightShape` is [out, in, ...kernel]; for `role` bias it is still the layer's weight shape (only pytorch_default
 * depends on it). For `role` embedding (a [vocab, width] table), pytorch_default is nn.Embedding's N(0, 1) and
 * keras_default Keras' U(±0.05).
 */
export function resolveInit(spec: InitSpec, weightShape: readonly number[], role: 'weight' | 'bias' | 'embedding' = 'weight'): ResolvedInit {
  const o = spec.options;
  const { fanIn, fanOut } = computeFans(weightShape);
  let dist: InitDistribution;
  let label: string = spec.scheme;
  switch (spec.scheme) {
    case 'zeros': dist = { kind: 'constant', value: 0 }; break;
    case 'ones': dist = { kind: 'constant', value: 1 }; break;
    case 'constant': dist = { kind: 'constant', value: o.value ?? 0 }; break;
    case 'normal': dist = { kind: 'normal', mean: o.mean ?? 0, std: o.std ?? 1 }; break;
    case 'uniform': dist = { kind: 'uniform', low: o.low ?? 0, high: o.high ?? 1 }; break;
    case 'truncated_normal': dist = { kind: 'truncated_normal', mean: o.mean ?? 0, std: o.std ?? 1, a: o.a ?? -2, b: o.b ?? 2 }; break;
    case 'xavier_normal':
    case 'xavier_uniform': {
      const std = (o.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
      dist = spec.scheme === 'xavier_normal' ? { kind: 'normal', mean: 0, std } : symmetricUniform(Math.sqrt(3) * std);
      if (o.gain !== undefined) label += `(gain=${formatSignificant(o.gain)})`;
      break;
    }
    case 'kaiming_normal':
    case 'kaiming_uniform': {
      const nonlinearity = o.nonlinearity ?? 'leaky_relu';
      const gain = calculateGain(nonlinearity, nonlinearity === 'leaky_relu' ? (o.a ?? 0) : undefined);
      const fan = (o.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
      const std = gain / Math.sqrt(fan);
      dist = spec.scheme === 'kaiming_normal' ? { kind: 'normal', mean: 0, std } : symmetricUniform(Math.sqrt(3) * std);
      label += `(${nonlinearity}${o.mode === 'fan_out' ? ', fan_out' : ''})`;
      break;
    }
    case 'lecun_normal': dist = kerasTruncated(Math.sqrt(1 / fanIn)); break;
    case 'lecun_uniform': dist = symmetricUniform(Math.sqrt(3 / fanIn)); break;
    case 'variance_scaling': {
      const mode = o.mode ?? 'fan_in';
      const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
      const variance = (o.scale ?? 1) / Math.max(1, n);
      const distribution = o.distribution ?? 'truncated_normal';
      dist = distribution === 'uniform' ? symmetricUniform(Math.sqrt(3 * variance))
        : distribution === 'untruncated_normal' ? { kind: 'normal', mean: 0, std: Math.sqrt(variance) } : kerasTruncated(Math.sqrt(variance));
      label += `(${o.scale ?? 1}, ${mode}, ${distribution})`;
      break;
    }
    case 'orthogonal': dist = { kind: 'orthogonal', gain: o.gain ?? 1 }; break;
    case 'pytorch_default':
      // nn.Embedding.reset_parameters: normal_(weight), N(0, 1). nn.Linear/Conv: kaiming_uniform_(a=√5): gain
      // √(2/(1+5)), bound √3·gain/√fanIn = 1/√fanIn; the bias uses the same bound.
      dist = role === 'embedding' ? { kind: 'normal', mean: 0, std: 1 } : symmetricUniform(1 / Math.sqrt(fanIn));
      break;
    case 'keras_default':
      // keras.layers.Embedding: embeddings_initializer "uniform", RandomUniform(−0.05, 0.05).
      dist = role === 'bias' ? { kind: 'constant', value: 0 } : role === 'embedding' ? symmetricUniform(0.05) : symmetricUniform(Math.sqrt(6 / (fanIn + fanOut)));
      break;
  }
  const m = moments(dist, weightShape[0], fanIn);
  const multiplier = spec.multiplier;
  if (multiplier !== 1) label += ` ×${formatSignificant(multiplier)}`;
  return { distribution: dist, multiplier, mean: m.mean * multiplier, std: m.std * Math.abs(multiplier), label };
}

function symmetricUniform(bound: number): InitDistribution {
  return { kind: 'uniform', low: -bound, high: bound };
}

function kerasTruncated(std: number): InitDistribution {
  const sigma = std / KERAS_TRUNCATION_STD;
  return { kind: 'truncated_normal', mean: 0, std: sigma, a: -2 * sigma, b: 2 * sigma };
}

/**
 * Mean and std of the values a distribution produces. Uniform: std (high − low)/√12. Truncated normal: see
 * `truncatedNormalMoments`. Orthogonal: mean 0, mean square gain²/max(rows, cols) (rows are
 * orthonormal when rows ≤ cols, columns otherwise), with rows = out and cols = fanIn of the flattened weight.
 */
export function moments(dist: InitDistribution, rows: number, cols: number): { mean: number; std: number } {
  switch (dist.kind) {
    case 'constant': return { mean: dist.value, std: 0 };
    case 'normal': return { mean: dist.mean, std: dist.std };
    case 'uniform': return { mean: (dist.low + dist.high) / 2, std: (dist.high - dist.low) / Math.sqrt(12) };
    case 'truncated_normal': return truncatedNormalMoments(dist.mean, dist.std, dist.a, dist.b);
    case 'orthogonal':
      return { mean: 0, std: dist.gain / Math.sqrt(Math.max(rows, cols)) };
  }
}

function finiteProduct(x: number, density: number): number {
  return Number.isFinite(x) ? x * density : 0;
}

/** Below this mass, or below `NARROW_MASS` for an interval narrower than one std, Φ(β) − Φ(α) loses digits. */
const RELIABLE_MASS = 0.3;
const NARROW_MASS = 0.01;

/**
 * Where a truncated normal N(μ, σ²) on [a, b] (σ > 0, a < b) lies, in units of σ: `above` when μ < a (values
 * a + σ·y), `below` when μ > b (values b − σ·y), y ≥ 0 distributed as a standard normal on [l, l + w] shifted by −l,
 * with l = distance of the nearer bound from μ and w = (b − a)/σ (computed directly, never as β − α, so that
 * neither cancels); `around` when μ ∈ [a, b], with the widths `right` = (b − μ)/σ and `left` = (μ − a)/σ.
 */
export type TruncatedFrame =
  | { side: 'above' | 'below'; bound: number; l: number; w: number }
  | { side: 'around'; right: number; left: number };

/** The frame of a truncated normal (see `TruncatedFrame`); requires σ > 0 and a < b. */
export function truncatedFrame(mean: number, std: number, a: number, b: number): TruncatedFrame {
  if (mean < a) return { side: 'above', bound: a, l: (a - mean) / std, w: (b - a) / std };
  if (mean > b) return { side: 'below', bound: b, l: (mean - b) / std, w: (b - a) / std };
  return { side: 'around', right: (b - mean) / std, left: (mean - a) / std };
}

/**
 * Mean and std of N(μ, σ²) restricted to [a, b] (PyTorch's `trunc_normal_`; Johnson, Kotz & Balakrishnan,
 * Continuous Univariate Distributions vol. 1, §10.1). With α = (a − μ)/σ, β = (b − μ)/σ, Z = Φ(β) − Φ(α): mean
 * μ + σ(φ(α) − φ(β))/Z and variance σ²[1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²], used while Z ≥ 0.3 (or
 * Z ≥ 0.01 over an interval at least σ wide), where it is accurate. Otherwise (far tails, where Z underflows, and
 * narrow intervals, where it cancels) the moments come from `normalTailMoments` in the frame of `truncatedFrame`,
 * exact to float64 for any finite parameters; the limit of a vanishing interval is a point mass at the bound nearer
 * μ. σ = 0 (or a ≥ b, refused by the parser) is the point mass at μ clamped to [a, b].
 */
export function truncatedNormalMoments(mean: number, std: number, a: number, b: number): { mean: number; std: number } {
  if (std === 0 || !(a < b)) return { mean: Math.min(Math.max(mean, a), b), std: 0 };
  const alpha = (a - mean) / std;
  const beta = (b - mean) / std;
  const z = normalCdf(beta) - normalCdf(alpha);
  if (z >= RELIABLE_MASS || (z >= NARROW_MASS && (b - a) / std >= 1)) {
    const pa = normalPdf(alpha);
    const pb = normalPdf(beta);
    const shift = (pa - pb) / z;
    const variance = std * std * (1 + (finiteProduct(alpha, pa) - finiteProduct(beta, pb)) / z - shift * shift);
    return { mean: mean + std * shift, std: Math.sqrt(Math.max(0, variance)) };
  }
  const frame = truncatedFrame(mean, std, a, b);
  const clamp = (x: number): number => Math.min(Math.max(x, a), b);
  if (frame.side !== 'around') {
    const t = normalTailMoments(frame.l, frame.w);
    return { mean: clamp(frame.side === 'above' ? a + std * t.mean : b - std * t.mean), std: std * t.std };
  }
  const right = normalTailMoments(0, frame.right);
  const left = normalTailMoments(0, frame.left);
  const mass = right.mass + left.mass;
  const shift = (right.mass * right.mean - left.mass * left.mean) / mass;
  const second = (right.mass * (right.std * right.std + right.mean * right.mean) + left.mass * (left.std * left.std + left.mean * left.mean)) / mass;
  return { mean: clamp(mean + std * shift), std: std * Math.sqrt(Math.max(0, second - shift * shift)) };
}
