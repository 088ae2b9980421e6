import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAYER_TYPES } from '../../../src/engine/graph/registry';
import { ROOT } from '../../repo';

/** The project's own Hugging Face configs (written from published hyperparameters), by file name. */
export function fixture(name: string): string {
  return fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'huggingFace', name), 'utf8');
}

/** Families whose blocks use RMSNorm (the `rmsnorm` op): their tests need it registered. */
export const NEEDS_RMSNORM = new Set(['llama', 'mistral', 'qwen2', 't5']);

/** Whether this build registers the `rmsnorm` op (added on another branch; tests that need it wait for it). */
export const HAS_RMSNORM = LAYER_TYPES.includes('rmsnorm');

/** `../shared/real-configs/` beside the repository (real files written by others, never copied in), or null when absent. */
export function realConfigsFolder(): string | null {
  const folder = path.join(ROOT, '..', 'shared', 'real-configs');
  return fs.existsSync(folder) ? folder : null;
}
