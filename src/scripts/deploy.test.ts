import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

const src = (text: string) =>
  `export default { fetch(req, env) { return new Response(${JSON.stringify(text)} + (env.TITLE ?? "")) } }`;

const manifest = (over: Record<string, unknown> = {}) => ({
  vars: { TITLE: "!" },
  scripts: [
    {
      name: "api",
      source: src("api"),
      routes: [{ path: "/posts", methods: ["GET"] }, { path: "/posts/:id" }],
    },
    { name: "lib/util", kind: "module", source: "export const x = 1;" },
  ],
  ...over,
});

describe.each(testDbKinds())("deploy [%s]", (kind) => {
  const h = useHarness(kind);

  it("creates the app and everything in it, then a second identical deploy changes nothing", async () => {
    const owner = await h.user("owner");
    const first = await owner.post("/apps/blog/deploy", manifest());
    expect(first.status).toBe(200);
    expect(first.body.app).toMatchObject({ slug: "blog", created: true });
    expect(
      first.body.changes.map(
        (c: { action: string; kind: string; name: string }) => `${c.action} ${c.kind} ${c.name}`,
      ),
    ).toEqual([
      "create app blog",
      "update vars vars",
      "create script lib/util",
      "create script api",
      "create route GET /posts",
      "create route * /posts/:id",
    ]);
    const res = await h.http.request("http://blog.localhost/posts/1");
    expect(await res.text()).toBe("api!");
    const second = await owner.post("/apps/blog/deploy", manifest());
    expect(second.body).toMatchObject({ app: { created: false }, dryRun: false, changes: [] });
  });

  it("plans a dry run without changing anything", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/blog/deploy", manifest());
    const next = manifest({
      vars: { TITLE: "?", NEW: "1" },
      scripts: [{ name: "api", source: src("api2"), routes: [{ path: "/articles", methods: ["GET"] }] }],
    });
    const dry = await owner.post("/apps/blog/deploy", { ...next, dryRun: true });
    expect(dry.body.dryRun).toBe(true);
    expect(
      dry.body.changes.map(
        (c: { action: string; kind: string; name: string }) => `${c.action} ${c.kind} ${c.name}`,
      ),
    ).toEqual([
      "update vars vars",
      "update script api",
      "delete route GET /posts",
      "delete route * /posts/:id",
      "create route GET /articles",
    ]);
    expect(await (await h.http.request("http://blog.localhost/posts/1")).text()).toBe("api!");
    const real = await owner.post("/apps/blog/deploy", next);
    expect(real.body.changes).toEqual(dry.body.changes);
    expect((await h.http.request("http://blog.localhost/posts/1")).status).toBe(404);
    expect(await (await h.http.request("http://blog.localhost/articles")).text()).toBe("api2?");
    // The module not in the manifest is left alone.
    expect((await owner.get("/apps/blog/scripts")).body.scripts.map((s: { name: string }) => s.name)).toEqual(
      ["api", "lib/util"],
    );
  });

  it("moves a route between scripts in one deploy", async () => {
    const owner = await h.user("owner");
    const a = { name: "a", source: src("a"), routes: [{ path: "/x" }] };
    const b = { name: "b", source: src("b"), routes: [] };
    await owner.post("/apps/default/deploy", { scripts: [b, a] });
    const moved = await owner.post("/apps/default/deploy", {
      scripts: [
        { ...b, routes: [{ path: "/x" }] },
        { ...a, routes: [] },
      ],
    });
    expect(moved.status).toBe(200);
    expect(await (await h.http.request("http://default.localhost/x")).text()).toBe("b");
  });

  it("lands whole or not at all: a conflicting route rolls back the new version too", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/scripts", { name: "other", source: src("other") });
    await owner.post("/apps/default/routes", { script: "other", path: "/taken" });
    await owner.post("/apps/default/deploy", {
      scripts: [{ name: "api", source: src("v1"), routes: [{ path: "/api" }] }],
    });
    const bad = await owner.post("/apps/default/deploy", {
      scripts: [{ name: "api", source: src("v2"), routes: [{ path: "/api" }, { path: "/taken" }] }],
    });
    expect(bad.status).toBe(409);
    expect(bad.body.error.message).toContain("/taken");
    expect(await (await h.http.request("http://default.localhost/api")).text()).toBe("v1");
    expect((await owner.get("/apps/default/scripts/api/versions")).body.versions).toHaveLength(1);
  });

  it("reconciles triggers with the scripts, idempotently", async () => {
    const owner = await h.user("owner");
    const handler = (triggers: unknown[]) => ({
      scripts: [{ name: "audit", source: "export default { trigger() {} }", triggers }],
    });
    const first = await owner.post(
      "/apps/default/deploy",
      handler([
        { kind: "kv", config: { collection: "orders*", ops: ["insert"] }, retry: { maxAttempts: 2 } },
        { kind: "dead_letter", config: {} },
      ]),
    );
    expect(
      first.body.changes
        .filter((c: { kind: string }) => c.kind === "trigger")
        .map((c: { name: string }) => c.name),
    ).toEqual(["kv orders*", "dead_letter *"]);
    const listed = await owner.get("/apps/default/triggers");
    expect(listed.body.triggers).toEqual([
      expect.objectContaining({
        kind: "kv",
        config: { collection: "orders*", ops: ["insert"] },
        retry: { maxAttempts: 2 },
        runAs: owner.userId,
      }),
      expect.objectContaining({ kind: "dead_letter", config: { source: "*" } }),
    ]);
    const again = await owner.post(
      "/apps/default/deploy",
      handler([
        { kind: "kv", config: { collection: "orders*", ops: ["insert"] }, retry: { maxAttempts: 2 } },
        { kind: "dead_letter", config: {} },
      ]),
    );
    expect(again.body.changes).toEqual([]);
    const fewer = await owner.post("/apps/default/deploy", handler([{ kind: "dead_letter", config: {} }]));
    expect(fewer.body.changes).toEqual([
      expect.objectContaining({ action: "delete", kind: "trigger", name: "kv orders*" }),
    ]);
    const bad = await owner.post(
      "/apps/default/deploy",
      handler([{ kind: "kv", config: { collection: "a*b" } }]),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("* only at the end");
    const unknownKind = await owner.post("/apps/default/deploy", handler([{ kind: "sms" }]));
    expect(unknownKind.status).toBe(400);
    expect(unknownKind.body.error.message).toContain("kind must be one of");
    expect((await owner.get("/apps/default/triggers")).body.triggers).toHaveLength(1);
  });

  it("needs script.write on the app, and apps.create for a new app", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const editor = await h.user("member");
    await owner.post("/apps/blog/members", { userId: editor.userId, role: "editor" });
    expect((await editor.post("/apps/blog/deploy", manifest())).status).toBe(200);
    expect((await editor.post("/apps/newapp/deploy", manifest())).status).toBe(403);
    const viewer = await h.user("member");
    await owner.post("/apps/blog/members", { userId: viewer.userId, role: "viewer" });
    expect((await viewer.post("/apps/blog/deploy", manifest())).status).toBe(403);
    // An app that exists but is invisible to the caller is not found, not created again.
    await owner.post("/apps", { name: "Hidden" });
    expect((await editor.post("/apps/hidden/deploy", manifest())).status).toBe(404);
    expect((await owner.post("/apps/Not_A_Slug/deploy", manifest())).status).toBe(400);
  });
});

describe.each(testDbKinds())("invoke and executions [%s]", (kind) => {
  const h = useHarness(kind);
  const SCRIPT = `export default {
    async fetch(request, env, ctx) { console.log("method", request.method); console.error("oops"); return Response.json({ got: await request.text() }, { status: 202 }) },
    async trigger(event) { console.info("event", JSON.stringify(event)); },
  }`;

  it("runs a script directly and returns its response and logs, and records it", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/scripts", { name: "s", source: SCRIPT });
    const res = await owner.post("/apps/default/scripts/s/invoke", {
      request: { method: "POST", path: "/p?q=1", body: "hi" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "ok",
      response: { status: 202, body: '{"got":"hi"}', encoding: "utf8" },
      logs: [
        expect.objectContaining({ level: "log", message: "method POST" }),
        expect.objectContaining({ level: "error", message: "oops" }),
      ],
    });
    const ev = await owner.post("/apps/default/scripts/s/invoke", { entry: "trigger", event: { a: 1 } });
    expect(ev.body.logs[0].message).toBe('event {"a":1}');
    const script = (await owner.get("/apps/default/scripts/s")).body.script;
    expect((await owner.post(`/scripts/${script.id}/invoke`, {})).body.status).toBe("ok");

    await h.services.recorder.flush();
    const list = await owner.get("/apps/default/executions?limit=2");
    expect(list.body.items).toHaveLength(2);
    expect(list.body.cursor).toBeTruthy();
    const rest = await owner.get(`/apps/default/executions?limit=2&cursor=${list.body.cursor}`);
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.cursor).toBeNull();
    const all = [...list.body.items, ...rest.body.items];
    expect(all.map((e: { trigger: string; entry: string }) => `${e.trigger}:${e.entry}`)).toEqual([
      "invoke:fetch",
      "invoke:trigger",
      "invoke:fetch",
    ]);
    expect(all[2]).toMatchObject({ request: "POST /p?q=1", httpStatus: 202, status: "ok" });
    expect((await owner.get("/apps/default/executions?status=error")).body.items).toEqual([]);
    expect((await owner.get("/apps/default/executions?cursor=garbage")).status).toBe(400);
    expect((await owner.get("/apps/default/executions?limit=1000")).status).toBe(400);
  });

  it("streams a live tail of console lines and finished executions", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/deploy", {
      scripts: [{ name: "s", source: SCRIPT, routes: [{ path: "/s" }] }],
    });
    const session = (await h.services.sessions.create(owner.userId, "t")).token;
    const res = await h.http.request("/api/v1/admin/apps/default/executions/tail", {
      headers: { cookie: `picloud_session=${session}` },
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += decoder.decode(value);
      }
    };
    await until(/event: ready/);
    await h.http.request("http://default.localhost/s", { method: "POST", body: "x" });
    await until(/event: execution/);
    expect(text).toMatch(/event: log\ndata: \{[^\n]*"message":"method POST"/);
    expect(text).toMatch(/event: execution\ndata: \{[^\n]*"status":"ok"/);
    await reader.cancel();
  });
});
