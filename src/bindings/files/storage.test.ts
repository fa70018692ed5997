/**
 * The files service and the local blob store underneath the binding: what is
 * on disk and in the table after writes, failed writes and sweeps.
 */
import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { uuidv7 } from "../../lib/ids.js";
import { testDbKinds } from "../../testing/database.js";
import { useHarness } from "../../testing/harness.js";
import type { LocalBlobStore } from "./local-blob-store.js";
import { files } from "./schema.js";
import { filesUnder } from "./test-disk.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.each(testDbKinds())("files storage [%s]", (kind) => {
  const h = useHarness(kind);
  const store = () => h.services.files.store as LocalBlobStore;
  const appId = async (ref = "default") => (await h.services.apps.findByRef(ref))!.id;
  const ctx = async (ref?: string) => ({ appId: await appId(ref), depth: 0, rootExecutionId: uuidv7() });
  const rows = () => h.services.database.db.select().from(files);
  // The harness empties the tables between tests; the bytes on disk are ours to empty.
  beforeEach(() => rmSync(store().root, { recursive: true, force: true }));

  it("keeps bytes under a store key, never under the script's path, one blob per file", async () => {
    const c = await ctx();
    const first = await h.services.files.put(c, "docs/a.txt", bytes("one"), "text/plain");
    expect(first.created).toBe(true);
    const second = await h.services.files.put(c, "docs/a.txt", bytes("two!"), "text/plain");
    expect(second.created).toBe(false);
    expect(second.file).toMatchObject({ path: "docs/a.txt", size: 4, contentType: "text/plain" });
    expect(second.file.etag).not.toBe(first.file.etag);

    const [row] = await rows();
    const onDisk = filesUnder(store().root);
    // The replaced blob is gone; the one left is `<appId>/<shard>/<key>`.
    expect(onDisk).toEqual([path.join(c.appId, row!.blob.slice(-2), row!.blob)]);
    expect(onDisk.join()).not.toContain("a.txt");
    expect(text((await h.services.files.get(c.appId, "docs/a.txt"))!.body)).toBe("two!");

    expect(await h.services.files.delete(c, "docs/a.txt")).toBe(true);
    expect(await h.services.files.delete(c, "docs/a.txt")).toBe(false);
    expect(filesUnder(store().root)).toEqual([]);
    expect(await rows()).toEqual([]);
  });

  it("stores empty files, and the same bytes get the same etag", async () => {
    const c = await ctx();
    const empty = await h.services.files.put(c, "empty", new Uint8Array(0), "application/octet-stream");
    expect(empty.file.size).toBe(0);
    const got = await h.services.files.get(c.appId, "empty");
    expect(got).toMatchObject({ size: 0, etag: "d41d8cd98f00b204e9800998ecf8427e" });
    expect(got!.body.byteLength).toBe(0);
    const a = await h.services.files.put(c, "a", bytes("same"), "text/plain");
    const b = await h.services.files.put(c, "b", bytes("same"), "text/plain");
    expect(a.file.etag).toBe(b.file.etag);
  });

  it("keeps one row and one blob when writers race on a path, and readers see whole files", async () => {
    const c = await ctx();
    const bodies = Array.from({ length: 12 }, (_, i) => bytes(String(i).repeat(1000 + i)));
    const reads: (string | null)[] = [];
    await Promise.all([
      ...bodies.map((b) => h.services.files.put(c, "race.txt", b, "text/plain")),
      ...bodies.map(async () => {
        const f = await h.services.files.get(c.appId, "race.txt");
        reads.push(f ? text(f.body) : null);
      }),
    ]);
    const texts = bodies.map(text);
    for (const r of reads) if (r !== null) expect(texts).toContain(r);
    expect(await rows()).toHaveLength(1);
    expect(filesUnder(store().root)).toHaveLength(1);
    expect(texts).toContain(text((await h.services.files.get(c.appId, "race.txt"))!.body));
  });

  it("removes the new blob and writes no row when the database step fails", async () => {
    // An app id that does not exist: the blob is written, then the insert violates the foreign key.
    const ghost = { appId: uuidv7(), depth: 0, rootExecutionId: uuidv7() };
    await expect(h.services.files.put(ghost, "x.bin", bytes("payload"), "text/plain")).rejects.toThrow();
    expect(filesUnder(store().root)).toEqual([]);
    expect(await rows()).toEqual([]);
  });

  it("sweeps temp files of interrupted writes, and blobs no row refers to, after their grace period", async () => {
    const c = await ctx();
    await h.services.files.put(c, "kept.txt", bytes("kept"), "text/plain");
    // An interrupted write: a temp file that was never renamed (an hour and a bit old), and one in flight.
    mkdirSync(store().tempDir, { recursive: true });
    const stale = path.join(store().tempDir, `${c.appId}.${uuidv7()}`);
    const fresh = path.join(store().tempDir, `${c.appId}.${uuidv7()}`);
    writeFileSync(stale, "partial");
    writeFileSync(fresh, "partial");
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(stale, old, old);
    // A crash between the blob write and the commit leaves a blob with no row.
    const orphan = await store().write(c.appId, bytes("orphan"));

    const hour = 3_600_000;
    expect(await h.services.files.sweep({ tempOlderThanMs: hour, orphanOlderThanMs: hour })).toEqual({
      temp: 1,
      orphans: 0, // too young: it may belong to a write in flight
    });
    expect(readdirSync(store().tempDir)).toEqual([path.basename(fresh)]);

    await new Promise((r) => setTimeout(r, 5));
    expect(await h.services.files.sweep({ tempOlderThanMs: hour, orphanOlderThanMs: 0 })).toEqual({
      temp: 0,
      orphans: 1,
    });
    expect(await store().read(c.appId, orphan.key)).toBeNull();
    expect(text((await h.services.files.get(c.appId, "kept.txt"))!.body)).toBe("kept");
  });

  it("sweeps the blobs of a deleted app", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Gone" });
    const c = await ctx("gone");
    await h.services.files.put(c, "a", bytes("a"), "text/plain");
    expect((await owner.delete("/apps/gone?force=true")).status).toBe(204);
    await new Promise((r) => setTimeout(r, 5));
    expect(await h.services.files.sweep({ tempOlderThanMs: 0, orphanOlderThanMs: 0 })).toEqual({
      temp: 0,
      orphans: 1,
    });
    expect(filesUnder(path.join(store().root, c.appId))).toEqual([]);
  });

  it("lists in bytewise path order, by prefix, with a cursor", async () => {
    const c = await ctx();
    for (const p of ["b/2", "a/1", "b/1", "b/10", "B/1", "b", "c", "b/é", "b/z"])
      await h.services.files.put(c, p, bytes(p), "text/plain");
    const all = await h.services.files.list(c.appId, { limit: 100 });
    expect(all.items.map((i) => i.path)).toEqual([
      "B/1",
      "a/1",
      "b",
      "b/1",
      "b/10",
      "b/2",
      "b/z",
      "b/é",
      "c",
    ]);
    const page1 = await h.services.files.list(c.appId, { prefix: "b/", limit: 2 });
    expect(page1).toMatchObject({ cursor: "b/10" });
    const page2 = await h.services.files.list(c.appId, { prefix: "b/", after: "b/10", limit: 10 });
    expect(page2.items.map((i) => i.path)).toEqual(["b/2", "b/z", "b/é"]);
    expect(page2.cursor).toBeNull();
  });
});
