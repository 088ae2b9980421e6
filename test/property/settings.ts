// The property tier's fixed seed and case counts: one place, so that a run is reproducible and its size is known
// (11,000 cases; CONTRIBUTING.md gives the time).

/** The seed of every property: the same cases on every run (change it to explore, never to make a failure go away). */
export const PROPERTY_SEED = 14;

/** Generated cases per property. */
export const runs = {
  valid: 1500,
  mutatedJson: 1500,
  mutatedText: 2000,
  /** Per message validator (six of them), half of them anything at all, half near-valid messages. */
  messages: 1000,
} as const;
