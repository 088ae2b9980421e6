/**
 * Floats per query row (b, h, i) in attention's row statistics, [batch, heads, tokens, ATTENTION_ROW_STATS]: over the
 * visible keys j (j ≤ i when causal), with s_j the scaled scores, m = max_j s_j, l = Σ_j e^{s_j − m}, p_j = e^{s_j − m}/l:
 * m, l, Σ_j p_j·(s_j − m) (so the entropy is ln l − that), the scores' mean μ = Σ_j s_j / visible and Σ_j (s_j − μ)²
 * (row moments, so that the std over all rows does not cancel when the scores share an offset).
 */
export const ATTENTION_ROW_STATS = 5;

/**
 * Row-wise softmax of scaled scores with an optional causal mask, as torch.softmax(scores.masked_fill(mask, −inf)):
 * p_ij = exp(s_ij − m_i) / l_i, m_i = max_k s_ik, l_i = Σ_k exp(s_ik − m_i) over the visible keys (k ≤ i when causal),
 * 0 for masked ones; sums in float64, results rounded to float32. Writes each row's statistics (ATTENTION_ROW_STATS:
 * m, l, Σ p·(s − m), the mean μ and Σ (s − μ)²) at rowStats[statsAt + i·ATTENTION_ROW_STATS].
 */
export function maskedSoftmax(s: Float32Array, p: Float32Array, rows: number, cols: number, causal: boolean, rowStats: Float32Array, statsAt: number): void {
  for (let i = 0; i < rows; i++) {
    const visible = causal ? Math.min(cols, i + 1 + (cols - rows)) : cols;
    const base = i * cols;
    let max = -Infinity, sum = 0;
    for (let j = 0; j < visible; j++) {
      const v = s[base + j];
      sum += v;
      if (v > max) max = v;
    }
    const mean = sum / visible;
    let m2 = 0;
    for (let j = 0; j < visible; j++) m2 += (s[base + j] - mean) ** 2;
    let l = 0;
    for (let j = 0; j < visible; j++) l += Math.exp(s[base + j] - max);
    let shifted = 0;
    for (let j = 0; j < visible; j++) {
      const e = Math.exp(s[base + j] - max) / l;
      p[base + j] = e;
      shifted += e * (s[base + j] - max);
    }
    for (let j = visible; j < cols; j++) p[base + j] = 0;
    rowStats.set([max, l, shifted, mean, m2], statsAt + i * ATTENTION_ROW_STATS);
  }
}

/**
 * The statistics of attention at init from its row statistics ([pairs, tokens, ATTENTION_ROW_STATS], `maskedSoftmax`):
 * `logitStd`, the std of the scaled scores over every visible (query, key) pair (`keys` per query without a causal
 * mask: the tokens of self-attention, the memory's of cross-attention), and `entropy`, the mean over rows
 * with more than one visible key of H_i/ln(visible_i), H_i = −Σ p ln p = ln l_i − Σ p·(s − m_i); sums in float64,
 * the rows' moments combined by Chan et al.'s pairwise rule (M2 = Σ M2_i + Σ n_i·(μ_i − μ)²).
 */
export function attentionStatistics(rowStats: Float32Array, pairs: number, tokens: number, causal: boolean, keys = tokens): { logitStd: number; entropy: number } {
  let count = 0, sum = 0, ratio = 0, rows = 0;
  const visibleOf = (r: number): number => (causal ? (r % tokens) + 1 : keys);
  for (let r = 0; r < pairs * tokens; r++) {
    const at = r * ATTENTION_ROW_STATS;
    const visible = visibleOf(r);
    count += visible;
    sum += visible * rowStats[at + 3];
    if (visible > 1) {
      ratio += (Math.log(rowStats[at + 1]) - rowStats[at + 2]) / Math.log(visible);
      rows++;
    }
  }
  const mean = sum / count;
  let m2 = 0;
  for (let r = 0; r < pairs * tokens; r++) m2 += rowStats[r * ATTENTION_ROW_STATS + 4] + visibleOf(r) * (rowStats[r * ATTENTION_ROW_STATS + 3] - mean) ** 2;
  return { logitStd: Math.sqrt(m2 / count), entropy: rows > 0 ? ratio / rows : 1 };
}

/**
 * The softmax's backward pass in place: ds_ij = p_ij·(dp_ij − Σ_k p_ik·dp_ik) (the Jacobian diag(p) − p·pᵀ applied
 * to dp), times `scale` (the score scale that multiplied q·k); masked entries have p = 0 and get 0.
 */
export function softmaxBackward(p: Float32Array, dp: Float32Array, rows: number, cols: number, scale: number): void {
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += p[base + j] * dp[base + j];
    for (let j = 0; j < cols; j++) dp[base + j] = scale * p[base + j] * (dp[base + j] - dot);
  }
}
