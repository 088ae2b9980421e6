/**
 * Row-wise softmax of scaled scores with an optional causal mask, as torch.softmax(scores.masked_fill(mask, −inf)):
 * p_ij = exp(s_ij − max_k s_ik) / Σ_k exp(s_ik − max_k s_ik) over the visible keys j (j ≤ i when causal), 0 for
 * masked ones; sums in float64, results rounded to float32. Also accumulates, for the statistics of attention at
 * init, the visible logits' sum and sum of squares, and the entropy −Σ p log p over ln(visible keys) of every row
 * with more than one visible key.
 */
export function maskedSoftmax(s: Float32Array, p: Float32Array, rows: number, cols: number, causal: boolean, acc: SoftmaxStats): void {
  for (let i = 0; i < rows; i++) {
    const visible = causal ? Math.min(cols, i + 1 + (cols - rows)) : cols;
    const base = i * cols;
    let max = -Infinity;
    for (let j = 0; j < visible; j++) {
      const v = s[base + j];
      acc.logitSum += v;
      acc.logitSquares += v * v;
      if (v > max) max = v;
    }
    acc.logitCount += visible;
    let sum = 0;
    for (let j = 0; j < visible; j++) sum += Math.exp(s[base + j] - max);
    let entropy = 0;
    for (let j = 0; j < visible; j++) {
      const e = Math.exp(s[base + j] - max) / sum;
      p[base + j] = e;
      if (e > 0) entropy -= e * Math.log(e);
    }
    for (let j = visible; j < cols; j++) p[base + j] = 0;
    if (visible > 1) {
      acc.entropyRatioSum += entropy / Math.log(visible);
      acc.entropyRows++;
    }
  }
}

/** Running sums for the logit std and the mean normalized entropy of an attention layer. */
export interface SoftmaxStats {
  logitSum: number;
  logitSquares: number;
  logitCount: number;
  entropyRatioSum: number;
  entropyRows: number;
}

/** Zeroed running sums. */
export function emptySoftmaxStats(): SoftmaxStats {
  return { logitSum: 0, logitSquares: 0, logitCount: 0, entropyRatioSum: 0, entropyRows: 0 };
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
