/**
 * The pages of memory snapshots, shared between sandboxes. Every instance
 * boots the same build and evaluates the same prelude before its script, so
 * most of one snapshot's pages are byte for byte those of another (measured:
 * two thirds of the 4 KiB pages of four different scripts). A snapshot keeps
 * the pages it shares by reference and copies only its own, which cuts the
 * memory of an idle sandbox by about half.
 *
 * A snapshot is a list of segments (destination offset, bytes); adjacent
 * pages that sit next to each other in one buffer are merged, so a restore
 * is a few dozen copies rather than one per page. A page's own copy lives in
 * a chunk of at most CHUNK_PAGES pages: a snapshot sharing one page keeps at
 * most that chunk alive, not all of another snapshot. Pages are found by
 * their SHA-256 and compared byte for byte before being shared.
 *
 * The store holds pages weakly: they live as long as a snapshot that uses them.
 */
import { createHash } from "node:crypto";

export const PAGE_BYTES = 4096;
const CHUNK_PAGES = 16;

export interface Segment {
  /** Where the bytes go back in the instance's memory. */
  at: number;
  bytes: Uint8Array;
}

export interface StoredCopy {
  segments: Segment[];
  /** Every page view the copy uses: held so that the store's weak references stay valid. */
  pages: Uint8Array[];
  /** Bytes this copy allocated (pages no other snapshot had). */
  ownBytes: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

export class PageStore {
  readonly #pages = new Map<string, WeakRef<Uint8Array>>();
  readonly #registry = new FinalizationRegistry<string>((hash) => {
    if (this.#pages.get(hash)?.deref() === undefined) this.#pages.delete(hash);
  });

  /** Pages the store can still share (for tests and stats). */
  get size(): number {
    return this.#pages.size;
  }

  /** Copies `memory[start, end)`, sharing the pages some live snapshot already holds. */
  copy(memory: Uint8Array, start: number, end: number): StoredCopy {
    const count = Math.ceil((end - start) / PAGE_BYTES);
    const views: (Uint8Array | undefined)[] = new Array(count);
    const hashes: string[] = new Array(count);
    /** Index of the first page of this copy with a given hash (pages repeated inside one copy, zeros above all). */
    const firstOf = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const from = start + i * PAGE_BYTES;
      const page = memory.subarray(from, Math.min(end, from + PAGE_BYTES));
      const hash = `${page.length}:${createHash("sha256").update(page).digest("base64")}`;
      hashes[i] = hash;
      const shared = this.#pages.get(hash)?.deref();
      if (shared && sameBytes(shared, page)) views[i] = shared;
      else if (!firstOf.has(hash)) firstOf.set(hash, i);
    }
    // The pages no snapshot holds yet, copied in chunks of consecutive pages.
    let ownBytes = 0;
    for (let i = 0; i < count; ) {
      if (views[i] !== undefined || firstOf.get(hashes[i]!) !== i) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < count && j - i < CHUNK_PAGES && views[j] === undefined && firstOf.get(hashes[j]!) === j) j++;
      const from = start + i * PAGE_BYTES;
      const chunk = memory.slice(from, Math.min(end, start + j * PAGE_BYTES));
      ownBytes += chunk.length;
      for (let k = i; k < j; k++) {
        const view = chunk.subarray((k - i) * PAGE_BYTES, Math.min(chunk.length, (k - i + 1) * PAGE_BYTES));
        views[k] = view;
        this.#pages.set(hashes[k]!, new WeakRef(view));
        this.#registry.register(view, hashes[k]!);
      }
      i = j;
    }
    for (let i = 0; i < count; i++) views[i] ??= views[firstOf.get(hashes[i]!)!];
    const pages = views as Uint8Array[];
    return { segments: merge(pages, start), pages, ownBytes };
  }
}

/** One segment per run of pages that are contiguous both in memory and in one buffer. */
function merge(pages: Uint8Array[], start: number): Segment[] {
  const segments: Segment[] = [];
  let at = start;
  let run: { at: number; buffer: ArrayBufferLike; offset: number; length: number } | null = null;
  const flush = () => {
    if (run) segments.push({ at: run.at, bytes: new Uint8Array(run.buffer, run.offset, run.length) });
  };
  for (const page of pages) {
    if (run && run.buffer === page.buffer && run.offset + run.length === page.byteOffset)
      run.length += page.length;
    else {
      flush();
      run = { at, buffer: page.buffer, offset: page.byteOffset, length: page.length };
    }
    at += page.length;
  }
  flush();
  return segments;
}

/** The store of this thread's snapshots. */
export const pageStore = new PageStore();
