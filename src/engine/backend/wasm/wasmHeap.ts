/** Requests below SMALL bytes are not placed in free blocks of LARGE bytes or more. */
const SMALL = 1 << 20, LARGE = 8 << 20;

/**
 * A best-fit allocator of byte ranges in a WebAssembly memory, for the tensors the kernels work on in place. Blocks
 * are aligned to 64 bytes (a cache line, and any SIMD load); freed blocks merge with free neighbours, and a free block
 * at the top lowers the top. The memory grows (in 64 KiB pages) when nothing free fits; it never shrinks, as
 * WebAssembly memories cannot.
 */
export class WasmHeap {
  /** Free blocks as [start, size], sorted by start, never adjacent. */
  private readonly free: [number, number][] = [];
  private readonly live = new Map<number, number>();
  private top: number;

  constructor(private readonly memory: WebAssembly.Memory, base: number) {
    this.top = base;
  }

  /** Bytes currently handed out. */
  get used(): number {
    let total = 0;
    for (const size of this.live.values()) total += size;
    return total;
  }

  /** The start (byte offset) of a new block of at least `bytes` bytes. */
  allocate(bytes: number): number {
    const size = Math.max(64, Math.ceil(bytes / 64) * 64);
    // Best fit; and a small block never splits a large free one (it would leave the next weight tensor, which
    // needs all of it, no room and double the memory).
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const room = this.free[i][1];
      if (room < size || (size < SMALL && room >= LARGE)) continue;
      if (best < 0 || room < this.free[best][1]) best = i;
    }
    if (best >= 0) {
      const [start, room] = this.free[best];
      if (room === size) this.free.splice(best, 1);
      else this.free[best] = [start + size, room - size];
      this.live.set(start, size);
      return start;
    }
    const start = this.top;
    const end = start + size;
    if (end > 2 ** 32) throw new RangeError(`the WebAssembly memory cannot hold ${bytes} more bytes (4 GiB at most)`);
    const missing = end - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
    this.top = end;
    this.live.set(start, size);
    return start;
  }

  /** Returns the block that starts at `start` (a no-op for anything this heap did not hand out). */
  release(start: number): void {
    const size = this.live.get(start);
    if (size === undefined) return;
    this.live.delete(start);
    let i = 0;
    while (i < this.free.length && this.free[i][0] < start) i++;
    let block: [number, number] = [start, size];
    const before = this.free[i - 1];
    if (before && before[0] + before[1] === start) {
      block = [before[0], before[1] + size];
      this.free.splice(--i, 1);
    }
    const after = this.free[i];
    if (after && block[0] + block[1] === after[0]) {
      block = [block[0], block[1] + after[1]];
      this.free.splice(i, 1);
    }
    if (block[0] + block[1] === this.top) this.top = block[0];
    else this.free.splice(i, 0, block);
  }
}
