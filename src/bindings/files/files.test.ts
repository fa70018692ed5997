/** env.files as a script sees it: reads and writes, bytes, refusals, apps kept apart. */
import { rmSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { testDbKinds } from "../../testing/database.js";
import { useHarness } from "../../testing/harness.js";
import type { LocalBlobStore } from "./local-blob-store.js";
import { files } from "./schema.js";
import { filesUnder } from "./test-disk.js";

const EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";
const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const ETAG = expect.stringMatching(/^[0-9a-f]{32}$/);

describe.each(testDbKinds())("env.files as a script sees it [%s]", (kind) => {
  const h = useHarness(kind, { files: { maxFileBytes: 4096 } });
  const store = () => h.services.files.store as LocalBlobStore;
  beforeEach(() => rmSync(store().root, { recursive: true, force: true }));

  it("puts, gets, heads, lists and deletes files", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const f = env.files;
       const before = [await f.get("notes/a.txt"), await f.head("notes/a.txt")];
       const put = await f.put("notes/a.txt", "héllo");
       const got = await f.get("notes/a.txt");
       const head = await f.head("notes/a.txt");
       const list = await f.list();
       const deleted = [await f.delete("notes/a.txt"), await f.delete("notes/a.txt")];
       return Response.json({ before, put, head, list, deleted,
         got: { ...got, body: new TextDecoder().decode(got.body), isArrayBuffer: got.body instanceof ArrayBuffer },
         after: [await f.get("notes/a.txt"), await f.head("notes/a.txt"), (await f.list()).items] });`,
    );
    const meta = {
      path: "notes/a.txt",
      size: 6,
      etag: ETAG,
      contentType: "text/plain; charset=utf-8",
      updatedAt: ISO,
    };
    expect(out).toEqual({
      before: [null, null],
      put: meta,
      got: { ...meta, body: "héllo", isArrayBuffer: true },
      head: meta,
      list: { items: [meta], cursor: null },
      deleted: [true, false],
      after: [null, null, []],
    });
    expect(out.got.etag).toBe(out.put.etag);
  });

  it("round-trips all 256 byte values from typed arrays, ArrayBuffers, views with an offset, DataViews and Blobs", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const all = new Uint8Array(256).map((_, i) => i);
       const padded = new Uint8Array(300); padded.set(all, 20);
       await env.files.put("u8", all);
       await env.files.put("buffer", all.buffer);
       await env.files.put("view", new Uint8Array(padded.buffer, 20, 256));
       await env.files.put("u16", new Uint16Array(all.buffer));
       await env.files.put("blob", new Blob([all]));
       await env.files.put("dataview", new DataView(padded.buffer, 20, 256));
       const out = {};
       for (const p of ["u8", "buffer", "view", "u16", "blob", "dataview"]) {
         const got = await env.files.get(p);
         const back = new Uint8Array(got.body);
         out[p] = [got.size, back.length, back.every((b, i) => b === i), got.etag];
       }
       return Response.json(out);`,
    );
    const expected = [256, 256, true, "e2c865db4162bed963bfaa9ef6ac18f0"];
    expect(out).toEqual({
      u8: expected,
      buffer: expected,
      view: expected,
      u16: expected,
      blob: expected,
      dataview: expected,
    });
  });

  it("stores empty files, picks content types, and changes the etag with the content only", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const f = env.files;
       const empty = [await f.put("empty", ""), await f.put("empty2", new ArrayBuffer(0))];
       const got = await f.get("empty");
       const types = {};
       for (const [p, body, opts] of [["page.html", "<p>"], ["data.json", "{}"], ["text", "plain"], ["img", new Uint8Array(4)],
            ["photo.PNG", new Uint8Array(4)], ["given.bin", "x", { contentType: "text/csv; charset=utf-8" }]])
         types[p] = (await f.put(p, body, opts)).contentType;
       const a1 = (await f.put("e", "one")).etag;
       const a2 = (await f.put("e", "two")).etag;
       const a3 = (await f.put("e", "one")).etag;
       return Response.json({ empty, got: [got.size, got.body.byteLength, got.etag], types, etags: [a1 !== a2, a1 === a3] });`,
    );
    expect(out.empty.map((e: { size: number; etag: string }) => [e.size, e.etag])).toEqual([
      [0, EMPTY_MD5],
      [0, EMPTY_MD5],
    ]);
    expect(out.got).toEqual([0, 0, EMPTY_MD5]);
    expect(out.types).toEqual({
      "page.html": "text/html; charset=utf-8",
      "data.json": "application/json",
      text: "text/plain; charset=utf-8",
      img: "application/octet-stream",
      "photo.PNG": "image/png",
      "given.bin": "text/csv; charset=utf-8",
    });
    expect(out.etags).toEqual([true, true]);
  });

  it("pages lists with a cursor, by prefix, in bytewise path order", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `for (const p of ["b/2", "a/1", "b/1", "b/10", "B/1", "b", "c", "b/é", "b/z"]) await env.files.put(p, p);
       const pages = [];
       let cursor;
       do { const r = await env.files.list({ prefix: "b/", limit: 2, cursor }); pages.push(r.items.map((i) => i.path)); cursor = r.cursor; } while (cursor);
       const all = (await env.files.list({ limit: 5000 })).items.map((i) => i.path);
       return Response.json({ pages, all });`,
    );
    expect(out.pages).toEqual([["b/1", "b/10"], ["b/2", "b/z"], ["b/é"]]);
    expect(out.all).toEqual(["B/1", "a/1", "b", "b/1", "b/10", "b/2", "b/z", "b/é", "c"]);
  });

  it("refuses hostile paths and bad arguments, writing nothing on disk or in the table", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const tries = {
         parent: () => env.files.put("../x", "x"),
         deepParent: () => env.files.put("a/../../b", "x"),
         absolute: () => env.files.put("/etc/passwd", "x"),
         nul: () => env.files.put("a\\u0000b", "x"),
         emptySegment: () => env.files.put("a//b", "x"),
         dotFirst: () => env.files.put("./a", "x"),
         dotInside: () => env.files.put("a/./b", "x"),
         longPath: () => env.files.put("x".repeat(2000), "x"),
         longSegment: () => env.files.put("a/" + "y".repeat(300), "x"),
         drive: () => env.files.put("C:\\\\x", "x"),
         backslash: () => env.files.put("a\\\\b", "x"),
         newline: () => env.files.put("a\\nb", "x"),
         bell: () => env.files.put("a\\u0007b", "x"),
         empty: () => env.files.put("", "x"),
         number: () => env.files.put(42, "x"),
         getParent: () => env.files.get("../secret"),
         headAbsolute: () => env.files.head("/etc/passwd"),
         deleteParent: () => env.files.delete("a/../b"),
         noBody: () => env.files.put("ok.txt"),
         objectBody: () => env.files.put("ok.txt", { a: 1 }),
         numberBody: () => env.files.put("ok.txt", 5),
         hugeBody: () => env.files.put("ok.txt", new Uint8Array(4097)),
         badType: () => env.files.put("ok.txt", "x", { contentType: "text/html\\r\\nx-evil: 1" }),
         unknownOption: () => env.files.put("ok.txt", "x", { type: "text/plain" }),
         badCursor: () => env.files.list({ cursor: "nope" }),
         badLimit: () => env.files.list({ limit: 0 }),
         badPrefix: () => env.files.list({ prefix: 5 }),
       };
       const out = {};
       for (const [name, f] of Object.entries(tries)) {
         try { out[name] = JSON.stringify(await f()) ?? "no error"; } catch (e) { out[name] = e.name + ": " + e.message; }
       }
       out.listed = (await env.files.list()).items.length;
       return Response.json(out);`,
    );
    expect(out).toEqual({
      parent: "TypeError: path must not contain .. segments",
      deepParent: "TypeError: path must not contain .. segments",
      absolute: "TypeError: path must be relative (no leading /)",
      nul: "TypeError: path must not contain NUL or unpaired surrogates",
      emptySegment: "TypeError: path must not contain empty segments (// or a trailing /)",
      dotFirst: "TypeError: path must not contain . segments",
      dotInside: "TypeError: path must not contain . segments",
      longPath: "RangeError: path must be at most 1024 characters",
      longSegment: "RangeError: path segments must be at most 255 bytes (UTF-8)",
      drive: "TypeError: path must not contain backslashes (separate segments with /)",
      backslash: "TypeError: path must not contain backslashes (separate segments with /)",
      newline: "TypeError: path must not contain control characters",
      bell: "TypeError: path must not contain control characters",
      empty: "TypeError: path must not be empty",
      number: "TypeError: path must be a string",
      getParent: "TypeError: path must not contain .. segments",
      headAbsolute: "TypeError: path must be relative (no leading /)",
      deleteParent: "TypeError: path must not contain .. segments",
      noBody: "TypeError: body must be a string, an ArrayBuffer, a typed array or a Blob",
      objectBody: "TypeError: body must be a string, an ArrayBuffer, a typed array or a Blob",
      numberBody: "TypeError: body must be a string, an ArrayBuffer, a typed array or a Blob",
      hugeBody: "RangeError: body is 4097 bytes; the limit is 4096",
      badType: "TypeError: options.contentType must be a media type such as text/plain or image/png",
      unknownOption: "TypeError: options.type is not a known option (contentType)",
      badCursor: "TypeError: options.cursor is not a cursor returned by this method",
      badLimit: "RangeError: options.limit must be between 1 and 9007199254740991",
      badPrefix: "TypeError: options.prefix must be a string",
      listed: 0,
    });
    expect(filesUnder(store().root)).toEqual([]);
    expect(await h.services.database.db.select().from(files)).toEqual([]);
  });

  it("keeps apps apart: the same path in two apps is two files", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Other" });
    await h.runScript(owner, `await env.files.put("same/path.txt", "default"); return new Response("ok");`);
    const other = await h.runScript(
      owner,
      `const before = await env.files.get("same/path.txt");
       await env.files.put("same/path.txt", "other");
       return Response.json({ before, list: (await env.files.list()).items.length });`,
      { app: "other" },
    );
    expect(other).toEqual({ before: null, list: 1 });
    const mine = await h.runScript(
      owner,
      `const f = await env.files.get("same/path.txt"); return Response.json(new TextDecoder().decode(f.body));`,
    );
    expect(mine).toBe("default");
  });
});
