/** The files admin API: upload, download (ETag, 304), list, delete, permissions, refusals. */
import { rmSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { testDbKinds } from "../../testing/database.js";
import { type TestClient, useHarness } from "../../testing/harness.js";
import type { LocalBlobStore } from "./local-blob-store.js";
import { files } from "./schema.js";
import { filesUnder } from "./test-disk.js";

const CONTENT = "/apps/default/files/content";

describe.each(testDbKinds())("files admin API [%s]", (kind) => {
  const h = useHarness(kind, { files: { maxFileBytes: 4096 } });
  const store = () => h.services.files.store as LocalBlobStore;
  beforeEach(() => rmSync(store().root, { recursive: true, force: true }));

  /** A raw admin API request as `client`'s user: any body, the raw response. */
  async function raw(client: TestClient, method: string, path: string, init: RequestInit = {}) {
    const session = await h.services.sessions.create(client.userId, "test");
    const headers = new Headers(init.headers);
    headers.set("cookie", `picloud_session=${session.token}`);
    return h.http.request(`http://localhost/api/v1/admin${path}`, { ...init, method, headers });
  }

  it("uploads, downloads with an ETag and 304, lists and deletes", async () => {
    const owner = await h.user("owner");
    const all = new Uint8Array(256).map((_, i) => i);
    const up = await raw(owner, "PUT", `${CONTENT}/images/all%20bytes.bin`, { body: all });
    expect(up.status).toBe(201);
    const { file } = (await up.json()) as { file: { etag: string } };
    expect(file).toMatchObject({
      path: "images/all bytes.bin",
      size: 256,
      etag: "e2c865db4162bed963bfaa9ef6ac18f0",
      contentType: "application/octet-stream",
    });

    const down = await raw(owner, "GET", `${CONTENT}/images/all%20bytes.bin`);
    expect(down.status).toBe(200);
    expect(new Uint8Array(await down.arrayBuffer())).toEqual(all);
    expect(Object.fromEntries(down.headers)).toMatchObject({
      "content-type": "application/octet-stream",
      "content-length": "256",
      etag: `"${file.etag}"`,
      "x-content-type-options": "nosniff",
      "content-security-policy": "sandbox; default-src 'none'",
      "content-disposition": "attachment; filename*=UTF-8''all%20bytes.bin",
    });
    const cached = await raw(owner, "GET", `${CONTENT}/images/all%20bytes.bin`, {
      headers: { "if-none-match": `W/"nope", "${file.etag}"` },
    });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe("");
    const stale = await raw(owner, "GET", `${CONTENT}/images/all%20bytes.bin`, {
      headers: { "if-none-match": `"nope"` },
    });
    expect(stale.status).toBe(200);

    const replaced = await raw(owner, "PUT", `${CONTENT}/images/all%20bytes.bin`, {
      body: "<p>hi</p>",
      headers: { "content-type": "text/html" },
    });
    expect(replaced.status).toBe(200);
    const html = await raw(owner, "GET", `${CONTENT}/images/all%20bytes.bin`);
    expect([html.headers.get("content-type"), await html.text()]).toEqual(["text/html", "<p>hi</p>"]);

    // (The test client sends strings as application/json unless told otherwise.)
    for (const p of ["b/1.txt", "b/2.txt", "c.txt"])
      await owner.request("PUT", `${CONTENT}/${p}`, p, { "content-type": "text/plain; charset=utf-8" });
    const page1 = await owner.get("/apps/default/files?prefix=b%2F&limit=1");
    expect(page1.status).toBe(200);
    expect(page1.body.items).toEqual([
      {
        path: "b/1.txt",
        size: 7,
        etag: expect.any(String),
        contentType: "text/plain; charset=utf-8",
        updatedAt: expect.any(String),
      },
    ]);
    const page2 = await owner.get(`/apps/default/files?prefix=b%2F&cursor=${page1.body.cursor}`);
    expect(page2.body).toMatchObject({ items: [{ path: "b/2.txt" }], cursor: null });
    expect((await owner.get("/apps/default/files")).body.items.map((i: { path: string }) => i.path)).toEqual([
      "b/1.txt",
      "b/2.txt",
      "c.txt",
      "images/all bytes.bin",
    ]);

    expect((await owner.delete(`${CONTENT}/c.txt`)).status).toBe(204);
    expect((await owner.delete(`${CONTENT}/c.txt`)).status).toBe(404);
    expect((await owner.get(`${CONTENT}/c.txt`)).status).toBe(404);
  });

  it("lets viewers read and editors write; other apps' files look missing", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const viewer = await h.user("member");
    const editor = await h.user("member");
    await owner.post("/apps/blog/members", { userId: viewer.userId, role: "viewer" });
    await owner.post("/apps/blog/members", { userId: editor.userId, role: "editor" });
    const blog = "/apps/blog/files/content";

    expect((await viewer.request("PUT", `${blog}/a.txt`, "x")).status).toBe(403);
    expect((await editor.request("PUT", `${blog}/a.txt`, "x")).status).toBe(201);
    expect((await viewer.get(`${blog}/a.txt`)).body).toBe("x");
    expect((await viewer.get("/apps/blog/files")).body.items).toHaveLength(1);
    expect((await viewer.delete(`${blog}/a.txt`)).status).toBe(403);

    // The default app is not theirs: 404, not 403, whatever the path.
    await owner.request("PUT", `${CONTENT}/secret.txt`, "s");
    for (const [method, path] of [
      ["GET", `${CONTENT}/secret.txt`],
      ["PUT", `${CONTENT}/secret.txt`],
      ["DELETE", `${CONTENT}/secret.txt`],
      ["GET", "/apps/default/files"],
    ] as const) {
      expect((await editor.request(method, path, method === "PUT" ? "x" : undefined)).status).toBe(404);
    }
    expect((await editor.delete(`${blog}/a.txt`)).status).toBe(204);
  });

  it("refuses hostile paths, bad content types and oversized bodies, writing nothing", async () => {
    const owner = await h.user("owner");
    const tries: [string, RequestInit, number, string][] = [
      ["a%2F..%2F..%2Fb", { body: "x" }, 400, "path must not contain .. segments"],
      ["%2Fetc%2Fpasswd", { body: "x" }, 400, "path must be relative (no leading /)"],
      ["a%00b", { body: "x" }, 400, "path: must not contain NUL or unpaired surrogates"],
      ["a%5Cb", { body: "x" }, 400, "path must not contain backslashes (separate segments with /)"],
      ["a%0Ab", { body: "x" }, 400, "path must not contain control characters"],
      ["a//b", { body: "x" }, 400, "path must not contain empty segments (// or a trailing /)"],
      ["%E0%A4%A", { body: "x" }, 400, "path is not valid percent-encoding"],
      [
        "ok.txt",
        { body: "x", headers: { "content-type": "nonsense" } },
        400,
        "Content-Type must be a media type such as text/plain or image/png",
      ],
      ["ok.txt", { body: new Uint8Array(4097) }, 413, "file is 4097 bytes; the limit is 4096"],
    ];
    for (const [path, init, status, message] of tries) {
      const res = await raw(owner, "PUT", `${CONTENT}/${path}`, init);
      const body = (await res.json()) as { error: { message: string } };
      expect([path, res.status, body.error.message]).toEqual([path, status, message]);
    }
    expect(filesUnder(store().root)).toEqual([]);
    expect(await h.services.database.db.select().from(files)).toEqual([]);
  });
});
