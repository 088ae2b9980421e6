/**
 * The job board the kernel threads share (an Int32Array on a SharedArrayBuffer): a job is one kernel run over several
 * argument lists ("parts"); every thread, the caller included, claims parts with an atomic counter until none are
 * left, so a thread that is still booting or busy never holds the others up, and the caller returns once every
 * claimed part is done. A part that throws (a WebAssembly trap) still counts as done and marks the job failed, so
 * nobody waits for it forever. Layout: [generation, kernel, parts, next, done, failed, …] then 16 i32 per part
 * (count, arguments).
 */
export const GENERATION = 0, KERNEL = 1, PARTS = 2, NEXT = 3, DONE = 4, FAILED = 5;
const HEADER = 16, PART_SLOT = 16;

export function createJobBoard(maxParts: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer((HEADER + maxParts * PART_SLOT) * 4));
}

/** Posts a job (the caller then claims parts too, with `claimParts`). */
export function postJob(board: Int32Array, kernel: number, parts: number[][]): void {
  parts.forEach((args, p) => {
    const at = HEADER + p * PART_SLOT;
    board[at] = args.length;
    for (let i = 0; i < args.length; i++) board[at + 1 + i] = args[i] | 0;
  });
  board[KERNEL] = kernel;
  board[PARTS] = parts.length;
  Atomics.store(board, DONE, 0);
  Atomics.store(board, FAILED, 0);
  // Parts become claimable only now, after everything above is written (Atomics are sequentially consistent).
  Atomics.store(board, NEXT, 0);
  Atomics.add(board, GENERATION, 1);
  Atomics.notify(board, GENERATION);
}

/**
 * Claims and runs parts of the current job until none are left. Returns the first error a part threw here (the job
 * is marked failed and the part counted as done), or null.
 */
export function claimParts(board: Int32Array, run: (kernel: number, args: number[]) => void): unknown {
  let error: unknown = null;
  for (;;) {
    const p = Atomics.add(board, NEXT, 1);
    if (p >= Atomics.load(board, PARTS)) return error;
    const at = HEADER + p * PART_SLOT;
    try {
      run(Atomics.load(board, KERNEL), Array.from(board.subarray(at + 1, at + 1 + board[at])));
    } catch (err) {
      error ??= err;
      Atomics.store(board, FAILED, 1);
    }
    Atomics.add(board, DONE, 1);
    Atomics.notify(board, DONE);
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
