import { normalizationOp } from './normalization';

/**
 * `batchnorm` at init, as torch.nn.BatchNorm1d/2d in training mode with γ = 1, β = 0: each feature (each channel,
 * over N·H·W) normalized with its batch mean and biased variance, x̂ = (x − μ_B)/√(σ²_B + eps) (Ioffe & Szegedy, 2015).
 */
export const batchnorm = normalizationOp('batchnorm', 'Batch normalization at init: per feature (per channel for conv) over the batch, gamma 1, beta 0.');
