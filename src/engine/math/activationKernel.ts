import { type Activation, activate } from './activation';
import { gaussHermite } from './gaussHermite';

/** Nodes per axis of the two-dimensional quadrature (32² = 1,024 evaluations of φ). */
const KERNEL_NODES = 32;

/**
 * E[φ(u)·φ(v)] for (u, v) jointly Gaussian with equal means μ, equal variances q and covariance c: the activation's
 * kernel (Neal, 1996; Lee et al., 2018, "Deep Neural Networks as Gaussian Processes"; Poole et al., 2016), the
 * cross-moment of two tokens' outputs whose pre-activations correlate. With u = μ + √q·z₁ and
 * v = μ + √q·(ρz₁ + √(1 − ρ²)·z₂), ρ = c/q, by 32 × 32-node Gauss–Hermite quadrature; the identity gives μ² + c
 * exactly. ρ is clamped to [−1, 1].
 */
export function activationKernel(act: Activation, mu: number, q: number, c: number): number {
  if (act.name === 'linear') return mu * mu + c;
  if (!(q > 0)) { const y = activate(act, mu); return y * y; }
  const rho = Math.max(-1, Math.min(1, c / q));
  const sigma = Math.sqrt(q);
  const rest = Math.sqrt(Math.max(0, 1 - rho * rho));
  const { nodes, weights } = gaussHermite(KERNEL_NODES);
  let sum = 0;
  for (let i = 0; i < nodes.length; i++) {
    const z1 = Math.SQRT2 * nodes[i];
    const fu = activate(act, mu + sigma * z1);
    let inner = 0;
    for (let j = 0; j < nodes.length; j++) inner += weights[j] * activate(act, mu + sigma * (rho * z1 + rest * Math.SQRT2 * nodes[j]));
    sum += weights[i] * fu * inner;
  }
  return sum / Math.PI;
}
