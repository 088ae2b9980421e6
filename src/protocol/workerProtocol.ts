import type { Mode, Report, WhatIf } from '../engine';

/** What the extension host asks the engine worker. */
export interface WorkerRequest {
  id: number;
  text: string;
  options: { mode?: Mode; seed?: number; batchSize?: number; file?: string | null; whatIf?: WhatIf | null };
  /** One i32 on shared memory: the host sets it to 1 to cancel this run; the engine stops at its next layer. */
  cancel: Int32Array;
}

/** What the engine worker answers. */
export type WorkerResponse =
  | { type: 'progress'; id: number; fraction: number }
  | { type: 'done'; id: number; report: Report }
  | { type: 'failed'; id: number; message: string };
