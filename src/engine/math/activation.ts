import { normalCdf, normalPdf } from './gaussian';

/** The activations a layer may declare, in the order error messages list them. */
export const ACTIVATION_NAMES = ['linear', 'tanh', 'relu', 'leaky_relu', 'sigmoid', 'gelu', 'gelu_new', 'silu', 'elu', 'selu', 'softplus'] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

/** An activation with its parameter: `negativeSlope` is leaky_relu's slope (PyTorch default 0.01). */
export interface Activation {
  name: ActivationName;
  negativeSlope: number;
}

/** The identity, φ(x) = x: what layers without a nonlinearity apply (their statistics are judged as linear). */
export const LINEAR: Activation = Object.freeze({ name: 'linear', negativeSlope: 0.01 });

// SELU constants from Klambauer et al. (2017), as torch.nn.SELU uses them.
const SELU_LAMBDA = 1.0507009873554804934193349852946;
const SELU_ALPHA = 1.6732632423543772848170429916717;
/** √(2/π), the constant of GELU's tanh approximation. */
const GELU_TANH_C = Math.sqrt(2 / Math.PI);
/** |tanh(x)| > 0.99 and sigmoid outside (0.01, 0.99) count as saturated. */
export const SATURATION_LEVEL = 0.99;

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * φ(x) for one value, matching torch.nn.functional: gelu is the exact x·Φ(x), gelu_new GPT-2's tanh approximation
 * ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (F.gelu(approximate='tanh'), Hendrycks & Gimpel, 2016), elu has α = 1,
 * softplus has β = 1 and returns x above the threshold 20.
 */
export function activate(act: Activation, x: number): number {
  switch (act.name) {
    case 'linear': return x;
    case 'tanh': return Math.tanh(x);
    case 'relu': return x > 0 ? x : 0;
    case 'leaky_relu': return x > 0 ? x : act.negativeSlope * x;
    case 'sigmoid': return sigmoid(x);
    case 'gelu': return x * normalCdf(x);
    case 'gelu_new': return 0.5 * x * (1 + Math.tanh(GELU_TANH_C * (x + 0.044715 * x * x * x)));
    case 'silu': return x * sigmoid(x);
    case 'elu': return x > 0 ? x : Math.expm1(x);
    case 'selu': return x > 0 ? SELU_LAMBDA * x : SELU_LAMBDA * SELU_ALPHA * Math.expm1(x);
    case 'softplus': return x > 20 ? x : Math.log1p(Math.exp(x));
  }
}

/** φ′(x) at the pre-activation x (the derivative at a kink is the right-hand one's complement: relu′(0) = 0). */
export function derivative(act: Activation, x: number): number {
  switch (act.name) {
    case 'linear': return 1;
    case 'tanh': { const y = Math.tanh(x); return 1 - y * y; }
    case 'relu': return x > 0 ? 1 : 0;
    case 'leaky_relu': return x > 0 ? 1 : act.negativeSlope;
    case 'sigmoid': { const s = sigmoid(x); return s * (1 - s); }
    case 'gelu': return normalCdf(x) + x * normalPdf(x);
    case 'gelu_new': {
      const t = Math.tanh(GELU_TANH_C * (x + 0.044715 * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_TANH_C * (1 + 3 * 0.044715 * x * x);
    }
    case 'silu': { const s = sigmoid(x); return s + x * s * (1 - s); }
    case 'elu': return x > 0 ? 1 : Math.exp(x);
    case 'selu': return x > 0 ? SELU_LAMBDA : SELU_LAMBDA * SELU_ALPHA * Math.exp(x);
    case 'softplus': return x > 20 ? 1 : sigmoid(x);
  }
}

/** y[i] = φ(x[i]) over a whole tensor. */
export function activateInto(act: Activation, x: Float32Array, y: Float32Array): void {
  const n = x.length;
  switch (act.name) {
    case 'linear': y.set(x); return;
    case 'tanh': for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]); return;
    case 'relu': for (let i = 0; i < n; i++) { const v = x[i]; y[i] = v > 0 ? v : 0; } return;
    default: for (let i = 0; i < n; i++) y[i] = activate(act, x[i]);
  }
}

/** g[i] ← g[i]·φ′(x[i]) over a whole tensor (x is the pre-activation). */
export function multiplyByDerivative(act: Activation, x: Float32Array, g: Float32Array): void {
  const n = x.length;
  switch (act.name) {
    case 'linear': return;
    case 'relu': for (let i = 0; i < n; i++) if (!(x[i] > 0)) g[i] = 0; return;
    default: for (let i = 0; i < n; i++) g[i] *= derivative(act, x[i]);
  }
}

/** Whether the activation has flat tails where gradients die (tanh, sigmoid). */
export function saturates(name: ActivationName): boolean {
  return name === 'tanh' || name === 'sigmoid';
}

/**
 * The range outside which an output counts as saturated (|tanh| > 0.99, sigmoid < 0.01 or > 0.99), or null for
 * activations that do not saturate.
 */
export function saturationBounds(name: ActivationName): [number, number] | null {
  if (name === 'tanh') return [-SATURATION_LEVEL, SATURATION_LEVEL];
  if (name === 'sigmoid') return [1 - SATURATION_LEVEL, SATURATION_LEVEL];
  return null;
}

/** ReLU-family activations, whose units can die (pre-activation ≤ 0 for the whole batch). */
export function canDie(name: ActivationName): boolean {
  return name === 'relu' || name === 'leaky_relu';
}
