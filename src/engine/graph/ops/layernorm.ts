import { normalizationOp } from './normalization';

/**
 * `layernorm` at init, as torch.nn.LayerNorm with γ = 1, β = 0: x̂ = (x − μ)/√(σ² + eps) (Ba et al., 2016) over
 * each token's features on a [T, F] sequence (nn.LayerNorm(F)), over the features on [F], and over the whole
 * sample on [C, H, W] (nn.LayerNorm([C, H, W])).
 */
export const layernorm = normalizationOp('layernorm', 'Layer normalization at init, gamma 1, beta 0: over each token\'s features on [tokens, features], over the features on [features], over the whole sample on [channels, height, width].');
