import { randomFillSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PAGE_BYTES, PageStore, type StoredCopy } from "./page-store.js";

/** Writes a copy back into a memory of `size` bytes, as a restore does. */
function written(copy: StoredCopy, size: number): Uint8Array {
  const memory = new Uint8Array(size);
  for (const segment of copy.segments) memory.set(segment.bytes, segment.at);
  return memory;
}

function memoryOf(pages: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(pages * PAGE_BYTES + 123);
  randomFillSync(bytes);
  bytes[0] = seed;
  return bytes;
}

describe("PageStore", () => {
  it("gives back exactly the bytes copied, the tail page and repeated pages included", () => {
    const store = new PageStore();
    const memory = memoryOf(40, 1);
    memory.fill(0, 5 * PAGE_BYTES, 9 * PAGE_BYTES); // from offset 100: three whole zero pages
    const copy = store.copy(memory, 100, memory.length);
    const back = written(copy, memory.length);
    expect(Buffer.from(back.subarray(100)).equals(Buffer.from(memory.subarray(100)))).toBe(true);
    expect(back.subarray(0, 100).every((b) => b === 0)).toBe(true);
    // The zero page is copied once, not three times.
    expect(copy.ownBytes).toBe(memory.length - 100 - 2 * PAGE_BYTES);
  });

  it("shares the pages another live copy holds, and copies only those that differ", () => {
    const store = new PageStore();
    const first = memoryOf(64, 1);
    const second = first.slice();
    second[10 * PAGE_BYTES + 7] = first[10 * PAGE_BYTES + 7]! ^ 0xff; // one page differs (page 0 differs too: the seed byte)
    second[0] = 2;
    const a = store.copy(first, 0, first.length);
    const b = store.copy(second, 0, second.length);
    expect(a.ownBytes).toBe(first.length);
    expect(b.ownBytes).toBe(2 * PAGE_BYTES);
    expect(Buffer.from(written(b, second.length)).equals(Buffer.from(second))).toBe(true);
    expect(Buffer.from(written(a, first.length)).equals(Buffer.from(first))).toBe(true);
    // Runs of shared pages from one chunk are merged: far fewer segments than pages.
    expect(b.segments.length).toBeLessThan(16);
  });

  it("keeps an own copy in chunks, so sharing one page keeps a small chunk alive, not a whole copy", () => {
    const store = new PageStore();
    const big = memoryOf(256, 1);
    const copy = store.copy(big, 0, big.length);
    const buffers = new Set(copy.pages.map((p) => p.buffer));
    expect(buffers.size).toBeGreaterThanOrEqual(16);
    for (const buffer of buffers) expect(buffer.byteLength).toBeLessThanOrEqual(16 * PAGE_BYTES);
  });
});
