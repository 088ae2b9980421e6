import { sizeOf } from '../plan';

/** x̂ = (x − mean)/√(var + eps) per feature over the batch (batchnorm: per channel over N·H·W) or per sample (layernorm). */
export function normalize(kind: 'batchnorm' | 'layernorm', x: Float32Array, out: Float32Array, batch: number, shape: number[], eps: number): Float64Array {
  const groups = normGroups(kind, batch, shape);
  const invStd = new Float64Array(groups.count);
  for (let gIdx = 0; gIdx < groups.count; gIdx++) {
    let sum = 0;
    let n = 0;
    groups.forEach(gIdx, (i) => { sum += x[i]; n++; });
    const mean = sum / n;
    let m2 = 0;
    groups.forEach(gIdx, (i) => { const d = x[i] - mean; m2 += d * d; });
    const inv = 1 / Math.sqrt(m2 / n + eps);
    invStd[gIdx] = inv;
    groups.forEach(gIdx, (i) => { out[i] = (x[i] - mean) * inv; });
  }
  return invStd;
}

/** dx = (1/σ)·(dy − mean(dy) − x̂·mean(dy·x̂)) within each normalization group (Ioffe & Szegedy, 2015). */
export function normalizeBackward(kind: 'batchnorm' | 'layernorm', xhat: Float32Array, dy: Float32Array, invStd: Float64Array, batch: number, shape: number[]): Float32Array {
  const groups = normGroups(kind, batch, shape);
  const dx = new Float32Array(dy.length);
  for (let gIdx = 0; gIdx < groups.count; gIdx++) {
    let sumDy = 0;
    let sumDyX = 0;
    let n = 0;
    groups.forEach(gIdx, (i) => { sumDy += dy[i]; sumDyX += dy[i] * xhat[i]; n++; });
    const meanDy = sumDy / n;
    const meanDyX = sumDyX / n;
    groups.forEach(gIdx, (i) => { dx[i] = invStd[gIdx] * (dy[i] - meanDy - xhat[i] * meanDyX); });
  }
  return dx;
}

/** Index sets normalized together: batchnorm one per feature or channel, layernorm one per sample. */
function normGroups(kind: 'batchnorm' | 'layernorm', batch: number, shape: number[]): { count: number; forEach: (g: number, f: (i: number) => void) => void } {
  const size = sizeOf(shape);
  if (kind === 'layernorm') {
    return { count: batch, forEach: (g, f) => { for (let i = g * size; i < (g + 1) * size; i++) f(i); } };
  }
  const channels = shape[0];
  const spatial = size / channels;
  return {
    count: channels,
    forEach: (g, f) => {
      for (let b = 0; b < batch; b++) {
        const base = b * size + g * spatial;
        for (let i = 0; i < spatial; i++) f(base + i);
      }
    },
  };
}

