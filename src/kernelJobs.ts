/**
 * The job board the kernel threads share (an Int32Array on a SharedArrayBuffer): a job is one kernel run over several
 * argument lists ("parts"); every thread, the caller included, claims parts with an atomic counter until none are
 * left, so a thread that is still booting or busy never holds the others up, and the caller returns once every
 * claimed part is done. Layout: [generation, kernel, parts, next, done, …] then 16 i32 per part (count, arguments).
 */
export const GENERATION = 0, KERNEL = 1, PARTS = 2, NEXT = 3, DONE = 4;
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
  // Parts become claimable only now, after everything above is written (Atomics are sequentially consistent).
  Atomics.store(board, NEXT, 0);
  Atomics.add(board, GENERATION, 1);
  Atomics.notify(board, GENERATION);
}

/** Claims and runs parts of the current job until none are left; returns how many this thread ran. */
export function claimParts(board: Int32Array, run: (kernel: number, args: number[]) => void): number {
  let ran = 0;
  for (;;) {
    const p = Atomics.add(board, NEXT, 1);
    if (p >= Atomics.load(board, PARTS)) return ran;
    const at = HEADER + p * PART_SLOT;
    run(Atomics.load(board, KERNEL), Array.from(board.subarray(at + 1, at + 1 + board[at])));
    ran++;
    Atomics.add(board, DONE, 1);
    Atomics.notify(board, DONE);
  }
}

/** Blocks until every part of the current job is done. */
export function awaitJob(board: Int32Array): void {
  const parts = Atomics.load(board, PARTS);
  for (let done = Atomics.load(board, DONE); done < parts; done = Atomics.load(board, DONE)) Atomics.wait(board, DONE, done);
}
