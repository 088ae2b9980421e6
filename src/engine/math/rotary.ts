/**
 * Rotary position embedding (Su et al., 2021, "RoFormer"), in Hugging Face's `rotate_half` layout (GPT-NeoX, Llama):
 * of a head vector's first `dims` entries (even), x₁ = entries [0, dims/2) and x₂ = [dims/2, dims) are rotated by
 * θ_{t,j} = t·base^(−2j/dims) at token position t: x₁′ = x₁·cos θ − x₂·sin θ, x₂′ = x₂·cos θ + x₁·sin θ; entries
 * from `dims` on pass unchanged (GPT-NeoX's rotary_pct). A rotation keeps norms, and its inverse (the backward pass)
 * is the rotation by −θ.
 */
export interface Rotary {
  dims: number;
  base: number;
}

/** cos θ and sin θ for every position t < tokens and pair j < dims/2, row-major [tokens, dims/2], in float64. */
export function rotaryAngles(rotary: Rotary, tokens: number): { cos: Float64Array; sin: Float64Array } {
  const half = rotary.dims / 2;
  const cos = new Float64Array(tokens * half);
  const sin = new Float64Array(tokens * half);
  for (let j = 0; j < half; j++) {
    // inv_freq as HF computes it: 1 / base^(2j/dims).
    const invFreq = 1 / rotary.base ** ((2 * j) / rotary.dims);
    for (let t = 0; t < tokens; t++) {
      cos[t * half + j] = Math.cos(t * invFreq);
      sin[t * half + j] = Math.sin(t * invFreq);
    }
  }
  return { cos, sin };
}

/**
 * Rotates, in place, `vectors` rows of length `stride` laid out as [groups, tokens, stride] (one head's vectors per
 * group); `direction` −1 applies the inverse rotation (for gradients).
 */
export function applyRotary(x: Float32Array, angles: { cos: Float64Array; sin: Float64Array }, rotary: Rotary, tokens: number, stride: number, direction: 1 | -1): void {
  const half = rotary.dims / 2;
  const rows = x.length / stride;
  for (let r = 0; r < rows; r++) {
    const t = r % tokens;
    const base = r * stride;
    for (let j = 0; j < half; j++) {
      const c = angles.cos[t * half + j];
      const s = direction * angles.sin[t * half + j];
      const x1 = x[base + j];
      const x2 = x[base + half + j];
      x[base + j] = x1 * c - x2 * s;
      x[base + half + j] = x2 * c + x1 * s;
    }
  }
}
