import { normalizationOp } from './normalization';

/**
 * `layernorm` at init, as torch.nn.LayerNorm over all of a sample's features with γ = 1, β = 0:
 * x̂ = (x − μ)/√(σ² + eps) per sample (Ba et al., 2016).
 */
export const layernorm = normalizationOp('layernorm', 'Layer normalization at init: per sample over all features, gamma 1, beta 0.');
