/** Requests below SMALL bytes are not placed in free blocks of LARGE bytes or more. */
const SMALL = 1 << 20, LARGE = 8 << 20;

/** A free block in a treap ordered by (size, start), heap-ordered by `priority`. */
interface FreeBlock {
  readonly start: number;
  readonly size: number;
  readonly priority: number;
  left: FreeBlock | null;
  right: FreeBlock | null;
}

/** Whether `block` comes before the key (size, start): smaller, or as large and lower in the memory. */
function precedes(block: FreeBlock, size: number, start: number): boolean {
  return block.size < size || (block.size === size && block.start < start);
}

/** The treap holding all of `a` then all of `b` (every key of `a` precedes every key of `b`). */
function join(a: FreeBlock | null, b: FreeBlock | null): FreeBlock | null {
  if (!a) return b;
  if (!b) return a;
  if (a.priority > b.priority) {
    a.right = join(a.right, b);
    return a;
  }
  b.left = join(a, b.left);
  return b;
}

/** `node`'s treap with `block` added. */
function insert(node: FreeBlock | null, block: FreeBlock): FreeBlock {
  if (!node) return block;
  if (block.priority > node.priority) {
    // `block` becomes this subtree's root: what precedes it goes left, the rest right.
    const [left, right] = splitAt(node, block.size, block.start);
    block.left = left;
    block.right = right;
    return block;
  }
  if (precedes(node, block.size, block.start)) node.right = insert(node.right, block);
  else node.left = insert(node.left, block);
  return node;
}

/** `node`'s treap split into the blocks that precede (size, start) and the others. */
function splitAt(node: FreeBlock | null, size: number, start: number): [FreeBlock | null, FreeBlock | null] {
  if (!node) return [null, null];
  if (precedes(node, size, start)) {
    const [left, right] = splitAt(node.right, size, start);
    node.right = left;
    return [node, right];
  }
  const [left, right] = splitAt(node.left, size, start);
  node.left = right;
  return [left, node];
}

/** `node`'s treap without the block (size, start), which it holds. */
function remove(node: FreeBlock, size: number, start: number): FreeBlock | null {
  if (node.start === start) return join(node.left, node.right);
  if (precedes(node, size, start)) node.right = remove(node.right as FreeBlock, size, start);
  else node.left = remove(node.left as FreeBlock, size, start);
  return node;
}

/**
 * A map from byte offsets to non-negative numbers that never deletes a key from its Map: a removed key stays, marked
 * absent (-1), until the absent keys outnumber the present ones, and then the Map is rebuilt. V8's Map leaves a deleted
 * entry in its bucket's chain until the next rehash, and looking up an absent key walks the whole chain, so deleting
 * and setting one key again and again (a temporary block allocated at the top and released, several times a layer)
 * makes each lookup walk one dead entry per earlier round: quadratic in the layer count.
 */
class OffsetMap {
  private map = new Map<number, number>();
  private absent = 0;

  get(key: number): number | undefined {
    const value = this.map.get(key);
    return value === undefined || value < 0 ? undefined : value;
  }

  set(key: number, value: number): void {
    const old = this.map.get(key);
    if (old !== undefined && old < 0) this.absent--;
    this.map.set(key, value);
  }

  delete(key: number): void {
    const old = this.map.get(key);
    if (old === undefined || old < 0) return;
    this.map.set(key, -1);
    // Rebuilding costs the Map's size, at most twice the removals since the last rebuild plus 1024: O(1) amortized.
    if (++this.absent > this.map.size - this.absent + 1024) {
      const map = new Map<number, number>();
      for (const [key, value] of this.map) if (value >= 0) map.set(key, value);
      this.map = map;
      this.absent = 0;
    }
  }
}

/**
 * A best-fit allocator of byte ranges in a WebAssembly memory, for the tensors the kernels work on in place. Blocks
 * are aligned to 64 bytes (a cache line, and any SIMD load); freed blocks merge with free neighbours, and a free block
 * at the top lowers the top. The memory grows (in 64 KiB pages) when nothing free fits; it never shrinks, as
 * WebAssembly memories cannot.
 *
 * Free blocks are kept twice: in a treap ordered by (size, start), so best fit (the smallest block that holds a
 * request, the lowest of equal ones) is one descent, and in maps by start and by end, so a freed block finds the
 * neighbours it merges with at once. `allocate` and `release` take O(log n) expected time in the number of free
 * blocks (the maps O(1) amortized); a sampled run of 100,000 layers keeps some 300,000 blocks until its end.
 */
export class WasmHeap {
  /** Free blocks by (size, start); never two adjacent ones. */
  private root: FreeBlock | null = null;
  /** The size of the free block starting at each key. */
  private readonly freeByStart = new OffsetMap();
  /** The start of the free block ending at each key. */
  private readonly freeByEnd = new OffsetMap();
  /** The size of the block handed out at each key. */
  private readonly live = new OffsetMap();
  private liveBytes = 0;
  private top: number;
  /** Treap priorities: a fixed linear congruential sequence (Numerical Recipes' constants), not Math.random. */
  private nextPriority = 0x9e3779b9;

  constructor(private readonly memory: WebAssembly.Memory, base: number) {
    this.top = base;
  }

  /** Bytes currently handed out. */
  get used(): number {
    return this.liveBytes;
  }

  /** The free blocks below the top as [start, size], sorted by start: O(n log n), for checks, not for the kernels. */
  freeBlocks(): [number, number][] {
    const blocks: [number, number][] = [];
    const pending: FreeBlock[] = [];
    for (let node = this.root; node || pending.length > 0; ) {
      if (node) {
        pending.push(node);
        node = node.left;
      } else {
        const block = pending.pop() as FreeBlock;
        blocks.push([block.start, block.size]);
        node = block.right;
      }
    }
    return blocks.sort((a, b) => a[0] - b[0]);
  }

  /** The start (byte offset) of a new block of at least `bytes` bytes. */
  allocate(bytes: number): number {
    const size = Math.max(64, Math.ceil(bytes / 64) * 64);
    // Best fit; and a small block never splits a large free one (it would leave the next weight tensor, which
    // needs all of it, no room and double the memory). If the best fit is large, so are all others that fit.
    const best = this.bestFit(size);
    if (best && !(size < SMALL && best.size >= LARGE)) {
      const { start, size: room } = best;
      this.removeFree(start, room);
      if (room > size) this.addFree(start + size, room - size);
      return this.handOut(start, size);
    }
    const start = this.top;
    const end = start + size;
    if (end > 2 ** 32) throw new RangeError(`the WebAssembly memory cannot hold ${bytes} more bytes (4 GiB at most)`);
    const missing = end - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
    this.top = end;
    return this.handOut(start, size);
  }

  /** Returns the block that starts at `start` (a no-op for anything this heap did not hand out). */
  release(start: number): void {
    const size = this.live.get(start);
    if (size === undefined) return;
    this.live.delete(start);
    this.liveBytes -= size;
    let blockStart = start, blockEnd = start + size;
    const before = this.freeByEnd.get(blockStart);
    if (before !== undefined) {
      this.removeFree(before, blockStart - before);
      blockStart = before;
    }
    const after = this.freeByStart.get(blockEnd);
    if (after !== undefined) {
      this.removeFree(blockEnd, after);
      blockEnd += after;
    }
    if (blockEnd === this.top) this.top = blockStart;
    else this.addFree(blockStart, blockEnd - blockStart);
  }

  /** The smallest free block of at least `size` bytes, the lowest of equal ones; null if none is that large. */
  private bestFit(size: number): FreeBlock | null {
    let best: FreeBlock | null = null;
    for (let node = this.root; node; ) {
      if (node.size >= size) {
        best = node;
        node = node.left;
      } else node = node.right;
    }
    return best;
  }

  private handOut(start: number, size: number): number {
    this.live.set(start, size);
    this.liveBytes += size;
    return start;
  }

  private addFree(start: number, size: number): void {
    this.nextPriority = (Math.imul(this.nextPriority, 1664525) + 1013904223) >>> 0;
    this.root = insert(this.root, { start, size, priority: this.nextPriority, left: null, right: null });
    this.freeByStart.set(start, size);
    this.freeByEnd.set(start + size, start);
  }

  private removeFree(start: number, size: number): void {
    this.root = remove(this.root as FreeBlock, size, start);
    this.freeByStart.delete(start);
    this.freeByEnd.delete(start + size);
  }
}
