/**
 * The bounds of a run's settings, one place for the file format, the CLI, the panel and its message validators.
 * The seed is a uint32 (the generator's key, `random/rng.ts`); the batch is capped so that one batch of the widest
 * allowed layer stays within the memory budget's reach.
 */
export const RUN_BOUNDS = {
  seed: { min: 0, max: 0xffffffff },
  batchSize: { min: 1, max: 65536 },
} as const;

/** Whether `value` is a seed the engine accepts: an integer in [0, 2³² − 1]. */
export function isValidSeed(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= RUN_BOUNDS.seed.min && (value as number) <= RUN_BOUNDS.seed.max;
}

/** Whether `value` is a batch size the engine accepts: an integer in [1, 65536]. */
export function isValidBatchSize(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= RUN_BOUNDS.batchSize.min && (value as number) <= RUN_BOUNDS.batchSize.max;
}
