import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

describe.each(testDbKinds())("triggers API and env.deadLetters [%s]", (kind) => {
  const h = useHarness(kind);

  it("validates triggers, lists, disables and deletes them", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/scripts", { name: "t", source: "export default { trigger() {} }" });
    await owner.post("/apps/default/scripts", {
      name: "lib/x",
      kind: "module",
      source: "export const x = 1",
    });
    const cases: [unknown, number, string][] = [
      [{ script: "t", kind: "kv", config: {} }, 400, "collection is required"],
      [
        { script: "t", kind: "kv", config: { collection: "a", ops: ["upsert"] } },
        400,
        "ops must be among insert, update, delete",
      ],
      [{ script: "t", kind: "kv", config: { collection: "a", extra: 1 } }, 400, 'unknown field "extra"'],
      [
        { script: "t", kind: "email", config: { address: "not an address" } },
        400,
        'address must be "*", an address',
      ],
      [{ script: "t", kind: "cron", config: {} }, 400, "schedule is required"],
      [
        { script: "t", kind: "kv", config: { collection: "a" }, retry: { maxAttempts: 0 } },
        400,
        "retry.maxAttempts must be at least 1",
      ],
      [
        { script: "t", kind: "kv", config: { collection: "a" }, retry: { backoff: "random" } },
        400,
        "retry.backoff must be one of",
      ],
      [{ script: "nope", kind: "kv", config: { collection: "a" } }, 404, "script not found"],
      [{ script: "lib/x", kind: "kv", config: { collection: "a" } }, 400, "only at handler scripts"],
    ];
    for (const [body, status, message] of cases) {
      const res = await owner.post("/apps/default/triggers", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.message).toContain(message);
    }
    const created = await owner.post("/apps/default/triggers", {
      script: "t",
      kind: "docs",
      config: { collection: "*" },
    });
    expect(created.status).toBe(201);
    expect(created.body.trigger).toMatchObject({
      kind: "docs",
      config: { collection: "*", ops: ["insert", "update", "delete"] },
      enabled: true,
      scriptName: "t",
    });
    const off = await owner.patch(`/apps/default/triggers/${created.body.trigger.id}`, { enabled: false });
    expect(off.body.trigger.enabled).toBe(false);
    expect((await owner.get("/apps/default/triggers")).body.triggers).toHaveLength(1);
    expect((await owner.delete(`/apps/default/triggers/${created.body.trigger.id}`)).status).toBe(204);
    expect((await owner.get("/apps/default/triggers")).body.triggers).toEqual([]);
  });

  it("lets viewers read triggers and dead letters but not change them", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/scripts", { name: "t", source: "export default { trigger() {} }" });
    const viewer = await h.user("member");
    await owner.post("/apps/default/members", { userId: viewer.userId, role: "viewer" });
    expect((await viewer.get("/apps/default/triggers")).status).toBe(200);
    expect(
      (await viewer.post("/apps/default/triggers", { script: "t", kind: "kv", config: { collection: "a" } }))
        .status,
    ).toBe(403);
    expect((await viewer.get("/apps/default/dead-letters")).status).toBe(200);
  });

  it("env.deadLetters refuses anonymous executions and works for a trigger run by an admin", async () => {
    const owner = await h.user("owner");
    const probe = `try { await env.deadLetters.resolve("x", "r"); return new Response("no error"); } catch (e) { return new Response(e.name + ": " + e.message); }`;
    // A test run from the admin API runs as that admin…
    expect(await h.runScript(owner, probe)).toBe("NotFoundError: dead letter not found");
    // …an HTTP request runs as nobody.
    await owner.post("/apps/default/deploy", {
      scripts: [
        {
          name: "anon",
          source: `export default { async fetch(req, env) { ${probe} } }`,
          routes: [{ path: "/anon" }],
        },
      ],
    });
    const anonymous = await (await h.http.request("http://default.localhost/anon")).text();
    expect(anonymous).toBe(
      "TypeError: env.deadLetters needs an admin principal: use it from a trigger registered by an admin",
    );
    await h.services.dispatcher.start();
    await owner.post("/apps/default/deploy", {
      scripts: [
        { name: "fail", source: `export default { trigger() { throw new Error("x") } }` },
        {
          name: "dlq",
          source: `export default { async trigger(e, env) { await env.deadLetters.resolve(e.deadLetter.id, "auto-resolved by dlq"); } }`,
        },
      ],
    });
    await owner.post("/apps/default/triggers", {
      script: "fail",
      kind: "kv",
      config: { collection: "c" },
      retry: { maxAttempts: 1 },
    });
    await owner.post("/apps/default/triggers", { script: "dlq", kind: "dead_letter" });
    await h.runScript(owner, `await env.kv.collection("c").set("k", 1); return new Response("ok");`, {
      name: "w",
    });
    await expect
      .poll(async () => (await owner.get("/apps/default/dead-letters?status=all")).body.items[0]?.reason, {
        timeout: 10_000,
      })
      .toBe("auto-resolved by dlq");
    const dl = (await owner.get("/apps/default/dead-letters?status=all")).body.items[0];
    expect(dl).toMatchObject({ resolution: "handled_by_script", resolvedBy: owner.userId });
  });
});
