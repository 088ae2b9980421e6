/**
 * The job board the kernel threads share (an Int32Array on a SharedArrayBuffer): a job is one kernel run over several
 * argument lists ("parts"); every thread, the caller included, claims parts with an atomic counter until none are
 * left, so a thread that is still booting or busy never holds the others up, and the caller returns once every
 * claimed part is done. A part that throws (a WebAssembly trap) still counts as done and marks the job failed, so
 * nobody waits for it forever. Layout: [generation, kernel, parts, next ticket, done, failed, …] then 16 i32 per part
 * (count, arguments). At most 65,536 parts a job.
 */
const GENERATION = 0, KERNEL = 1, PARTS = 2, NEXT = 3, DONE = 4, FAILED = 5;
const HEADER = 16, PART_SLOT = 16;
/** Generations wrap at 2¹⁵, so that a ticket (generation << 16 | part) stays a positive int32. */
const TAG_MASK = 0x7fff;

export function createJobBoard(maxParts: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer((HEADER + maxParts * PART_SLOT) * 4));
}

/**
 * Posts a job (the caller then claims parts too, with `claimParts`). The generation moves first, so a ticket a thread
 * took from the previous job's counter is recognized as stale; the counter restarts last, tagged with the new
 * generation, once the job is fully written (Atomics are sequentially consistent).
 */
export function postJob(board: Int32Array, kernel: number, parts: number[][]): void {
  const generation = (Atomics.load(board, GENERATION) + 1) & TAG_MASK;
  Atomics.store(board, GENERATION, generation);
  parts.forEach((args, p) => {
    const at = HEADER + p * PART_SLOT;
    Atomics.store(board, at, args.length);
    for (let i = 0; i < args.length; i++) Atomics.store(board, at + 1 + i, args[i] | 0);
  });
  Atomics.store(board, KERNEL, kernel);
  Atomics.store(board, PARTS, parts.length);
  Atomics.store(board, DONE, 0);
  Atomics.store(board, FAILED, 0);
  Atomics.store(board, NEXT, generation << 16);
  Atomics.notify(board, NEXT);
}

/**
 * Claims and runs parts of the current job until none are left. A ticket is (generation << 16) | part; it counts only
 * if its generation is the board's both before and after the job is read, so a thread that raced a new job's posting
 * never runs a part twice. Returns the first error a part threw here (the job is marked failed and the part counted
 * as done), or null.
 */
export function claimParts(board: Int32Array, run: (kernel: number, args: number[]) => void): unknown {
  let error: unknown = null;
  for (;;) {
    const ticket = Atomics.add(board, NEXT, 1);
    const generation = ticket >>> 16;
    if (generation !== Atomics.load(board, GENERATION)) return error;
    const p = ticket & 0xffff;
    const parts = Atomics.load(board, PARTS);
    const kernel = Atomics.load(board, KERNEL);
    const at = HEADER + p * PART_SLOT;
    const args = p < parts ? Array.from({ length: Atomics.load(board, at) }, (_, i) => Atomics.load(board, at + 1 + i)) : [];
    if (generation !== Atomics.load(board, GENERATION) || p >= parts) return error;
    try {
      run(kernel, args);
    } catch (err) {
      error ??= err;
      Atomics.store(board, FAILED, 1);
    }
    Atomics.add(board, DONE, 1);
    Atomics.notify(board, DONE);
  }
}

/**
 * A kernel thread's life: claim parts, then sleep until the ticket counter is restarted by a new job (if one was
 * posted since the last look, the counter has already moved and the thread does not sleep).
 */
export function serveJobs(board: Int32Array, run: (kernel: number, args: number[]) => void): never {
  for (;;) {
    claimParts(board, run);
    Atomics.wait(board, NEXT, Atomics.load(board, NEXT));
  }
}

/**
 * Blocks until every part of the current job is done; throws if a part failed on another thread, or if no part
 * finished for `stallMs` (a thread that died mid-part).
 */
export function awaitJob(board: Int32Array, stallMs = 60000): void {
  const parts = Atomics.load(board, PARTS);
  let waited = 0;
  for (let done = Atomics.load(board, DONE); done < parts;) {
    if (Atomics.wait(board, DONE, done, 1000) === 'timed-out') {
      waited += 1000;
      if (waited >= stallMs) throw new Error(`the WebAssembly kernel threads stopped: ${parts - done} of ${parts} parts unfinished after ${stallMs / 1000} s`);
    }
    const now = Atomics.load(board, DONE);
    if (now !== done) waited = 0;
    done = now;
  }
  if (Atomics.load(board, FAILED)) throw new Error('a WebAssembly kernel failed on a kernel thread');
}
