/** `files` triggers: writes through env.files and the admin API fire them via the outbox, with the previous metadata. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { testDbKinds } from "../../testing/database.js";
import { type TestClient, useHarness } from "../../testing/harness.js";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");
const TEXT = "text/plain; charset=utf-8";

describe.each(testDbKinds())("files triggers [%s]", (kind) => {
  const h = useHarness(kind);

  const RECORD = (collection: string) =>
    `const { id, at, ...rest } = event;
     await env.kv.collection("${collection}").set(id, { ...rest, depth: ctx.depth, hasAt: typeof at === "string" });`;

  async function setup(owner: TestClient) {
    await h.services.dispatcher.start();
    const scripts = [
      {
        name: "writer",
        source: `export default { async fetch(req, env) {
          const u = new URL(req.url); const p = u.searchParams.get("p");
          if (req.method === "DELETE") await env.files.delete(p); else await env.files.put(p, await req.text());
          return new Response("ok"); } }`,
        routes: [{ path: "/w" }],
      },
      {
        name: "audit",
        source: `export default { async trigger(event, env, ctx) { ${RECORD("seen")} } }`,
        // As picloud.toml's `triggers = [{ kind = "files", prefix = "uploads/" }]` deploys it.
        triggers: [{ kind: "files", config: { prefix: "uploads/" }, retry: {} }],
      },
      {
        name: "deletes",
        source: `export default { async trigger(event, env, ctx) { ${RECORD("deletes")} } }`,
      },
    ];
    expect((await owner.post("/apps/default/deploy", { scripts })).status).toBe(200);
    const r = await owner.post("/apps/default/triggers", {
      script: "deletes",
      kind: "files",
      config: { ops: ["delete"] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  const write = (p: string, body?: string) =>
    h.http.request(`http://default.localhost/w?p=${encodeURIComponent(p)}`, {
      method: body === undefined ? "DELETE" : "POST",
      body,
    });
  const seen = async (owner: TestClient, collection: string) =>
    (await h.runScript(
      owner,
      `return Response.json((await env.kv.collection("${collection}").list({ limit: 1000 })).items.map((i) => i.value));`,
      { name: "reader" },
    )) as Record<string, unknown>[];

  it("delivers inserts, updates and deletes under the prefix, with the previous metadata", async () => {
    const owner = await h.user("owner");
    await setup(owner);
    expect((await write("uploads/a.txt", "one")).status).toBe(200);
    expect((await write("uploads/a.txt", "three")).status).toBe(200);
    expect((await write("other/b.txt", "b")).status).toBe(200); // outside the prefix
    expect((await write("uploads/a.txt")).status).toBe(200);
    const upload = await owner.request("PUT", "/apps/default/files/content/uploads/api.txt", "via api", {
      "content-type": "text/plain",
    });
    expect(upload.status).toBe(201);

    await expect.poll(async () => (await seen(owner, "seen")).length, { timeout: 10_000 }).toBe(4);
    const order = ["insert", "update", "delete"];
    const events = (await seen(owner, "seen")).sort(
      (a, b) =>
        String(a.path).localeCompare(String(b.path)) ||
        order.indexOf(a.op as string) - order.indexOf(b.op as string),
    );
    const one = { size: 3, etag: md5("one"), contentType: TEXT };
    const three = { size: 5, etag: md5("three"), contentType: TEXT };
    const base = { source: "files", depth: 1, hasAt: true };
    expect(events).toEqual([
      { ...base, op: "insert", path: "uploads/a.txt", ...one, prev: null },
      { ...base, op: "update", path: "uploads/a.txt", ...three, prev: one },
      {
        ...base,
        op: "delete",
        path: "uploads/a.txt",
        size: null,
        etag: null,
        contentType: null,
        prev: three,
      },
      {
        ...base,
        op: "insert",
        path: "uploads/api.txt",
        size: 7,
        etag: md5("via api"),
        contentType: "text/plain",
        prev: null,
      },
    ]);

    // The delete-only trigger on every path saw the one delete and nothing else.
    await expect.poll(async () => (await seen(owner, "deletes")).length, { timeout: 10_000 }).toBe(1);
    expect((await seen(owner, "deletes"))[0]).toMatchObject({
      op: "delete",
      path: "uploads/a.txt",
      prev: three,
    });
  });

  it("refuses a files trigger with a bad config, naming the field", async () => {
    const owner = await h.user("owner");
    await setup(owner);
    const r = await owner.post("/apps/default/triggers", {
      script: "audit",
      kind: "files",
      config: { prefix: "a", ops: ["upsert"] },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("ops must be among insert, update, delete");
    const r2 = await owner.post("/apps/default/triggers", {
      script: "audit",
      kind: "files",
      config: { path: "x" },
    });
    expect(r2.status).toBe(400);
  });
});
