import type { ComputeBackend } from '../backend/computeBackend';

/**
 * Token ids uniform over a vocabulary of V: id = min(V − 1, ⌊u⌋) with u the float32 bulk uniform fill on [0, V) of
 * stream `key` (`fill.ts`; the min guards float32 rounding up to V). Stored as float32, exact for V ≤ 2²⁴.
 */
export function fillTokenIds(backend: ComputeBackend, key: number, out: Float32Array, vocab: number): void {
  backend.fillUniform(key, out, 0, vocab);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(vocab - 1, Math.floor(out[i]));
}
