/**
 * Events end to end in one process: writes through env.kv fire triggers via
 * the outbox; failures retry with backoff and end as dead letters; dead_letter
 * triggers fire; loops stop at the depth limit; async routes answer 202.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { type TestClient, useHarness } from "../testing/harness.js";
import { outbox } from "./schema.js";

describe.each(testDbKinds())("event delivery [%s]", (kind) => {
  const h = useHarness(kind);

  /** Deploys scripts (name → body of `trigger(event, env, ctx)`), a writer route, and triggers. */
  async function setup(
    owner: TestClient,
    handlers: Record<string, string>,
    triggers: Record<string, unknown>[],
  ) {
    await h.services.dispatcher.start();
    const scripts = [
      {
        name: "writer",
        source: `export default { async fetch(req, env) {
          const u = new URL(req.url); const c = env.kv.collection(u.searchParams.get("c") ?? "orders");
          const k = u.searchParams.get("k") ?? "o1";
          if (req.method === "DELETE") await c.delete(k); else await c.set(k, { v: u.searchParams.get("v") ?? 1 });
          return new Response("ok"); } }`,
        routes: [{ path: "/write" }],
      },
      ...Object.entries(handlers).map(([name, body]) => ({
        name,
        source: `export default { async trigger(event, env, ctx) { ${body} } }`,
      })),
    ];
    const res = await owner.post("/apps/default/deploy", { scripts });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const t of triggers) {
      const r = await owner.post("/apps/default/triggers", t);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  }
  const write = (q: string, method = "POST") =>
    h.http.request(`http://default.localhost/write?${q}`, { method });
  const seen = async (owner: TestClient) => {
    const out = await h.runScript(
      owner,
      `return Response.json((await env.kv.collection("seen").list({ limit: 1000 })).items.map((i) => i.value));`,
      { name: "reader" },
    );
    return out as any[];
  };
  const RECORD = `await env.kv.collection("seen").set(event.id, { op: event.op, key: event.key, value: event.value, prevValue: event.prevValue, source: event.source, depth: ctx.depth, collection: event.collection });`;

  it("holds one execution slot while it looks for work, so an idle poll never turns HTTP away", async () => {
    const dispatcher = h.services.dispatcher as unknown as { claim(n: number): Promise<unknown[]> };
    const claim = dispatcher.claim.bind(dispatcher);
    const inUseDuringClaim: number[] = [];
    const asked: number[] = [];
    dispatcher.claim = async (n) => {
      inUseDuringClaim.push(h.services.executor.gate.inUse);
      asked.push(n);
      return claim(n);
    };
    await h.services.dispatcher.start();
    h.services.dispatcher.wake();
    await expect.poll(() => inUseDuringClaim.length).toBeGreaterThan(0);
    expect(Math.max(...inUseDuringClaim)).toBe(1);
    // …yet it asks for as many rows as there are free slots.
    expect(asked[0]).toBe(Math.min(32, h.services.executor.gate.size));
  });

  it("delivers kv inserts, updates and deletes to a matching trigger with the previous value", async () => {
    const owner = await h.user("owner");
    await setup(owner, { audit: RECORD }, [{ script: "audit", kind: "kv", config: { collection: "ord*" } }]);
    await write("k=o1&v=a");
    await write("k=o1&v=b");
    await write("k=o1", "DELETE");
    await write("c=other&k=x"); // not matched by ord*
    await expect.poll(async () => (await seen(owner)).length, { timeout: 10_000 }).toBe(3);
    const events = (await seen(owner)).sort(
      (a, b) => ["insert", "update", "delete"].indexOf(a.op) - ["insert", "update", "delete"].indexOf(b.op),
    );
    expect(events).toEqual([
      {
        op: "insert",
        key: "o1",
        value: { v: "a" },
        prevValue: null,
        source: "kv",
        depth: 1,
        collection: "orders",
      },
      {
        op: "update",
        key: "o1",
        value: { v: "b" },
        prevValue: { v: "a" },
        source: "kv",
        depth: 1,
        collection: "orders",
      },
      { op: "delete", key: "o1", prevValue: { v: "b" }, source: "kv", depth: 1, collection: "orders" },
    ]);
  });

  it("retries a failing handler, then dead-letters it and fires dead_letter triggers", async () => {
    const owner = await h.user("owner");
    await setup(
      owner,
      {
        flaky: `throw new Error("always fails");`,
        dlq: `await env.kv.collection("seen").set(event.id, { source: event.source, dl: event.deadLetter.source, attempts: event.deadLetter.attempts, lastError: event.deadLetter.lastError });`,
      },
      [
        {
          script: "flaky",
          kind: "kv",
          config: { collection: "orders" },
          retry: { maxAttempts: 3, backoff: "constant", delayMs: 10 },
        },
        { script: "dlq", kind: "dead_letter", config: { source: "kv" } },
      ],
    );
    await write("k=o1");
    await expect.poll(async () => (await seen(owner)).length, { timeout: 10_000 }).toBe(1);
    expect((await seen(owner))[0]).toEqual({
      source: "dead_letter",
      dl: "kv",
      attempts: 3,
      lastError: "Error: always fails",
    });
    const dls = await owner.get("/apps/default/dead-letters");
    expect(dls.body.unresolved).toBe(0); // handled_by_script once the handler succeeded
    const all = await owner.get("/apps/default/dead-letters?status=all");
    expect(all.body.items).toHaveLength(1);
    expect(all.body.items[0]).toMatchObject({
      source: "kv",
      attempts: 3,
      resolution: "handled_by_script",
      lastError: "Error: always fails",
    });
    // Every attempt was an execution.
    await h.services.recorder.flush();
    const execs = await owner.get("/apps/default/executions?status=error");
    expect(execs.body.items.filter((e: { scriptName: string }) => e.scriptName === "flaky")).toHaveLength(3);
  });

  it("dead-letters a handler whose error message holds NUL, never blocking on it", async () => {
    const owner = await h.user("owner");
    await setup(owner, { flaky: `throw new Error("bad \\u0000 byte");` }, [
      { script: "flaky", kind: "kv", config: { collection: "orders" }, retry: { maxAttempts: 1 } },
    ]);
    await write("k=o1");
    await expect
      .poll(async () => (await owner.get("/apps/default/dead-letters")).body.items[0]?.lastError, {
        timeout: 10_000,
      })
      // The sandbox hands error messages over as C strings, cut at the NUL; were it kept, the
      // dispatcher would store it as U+FFFD (a text column cannot hold NUL).
      .toMatch(/^Error: bad (\uFFFD byte)?$/);
  });

  it("marks the dead letter handler_failed when the dead-letter handler fails, never making another", async () => {
    const owner = await h.user("owner");
    await setup(owner, { flaky: `throw new Error("no");`, dlq: `throw new Error("handler broken too");` }, [
      { script: "flaky", kind: "kv", config: { collection: "orders" }, retry: { maxAttempts: 1 } },
      { script: "dlq", kind: "dead_letter", config: {}, retry: { maxAttempts: 2, delayMs: 10 } },
    ]);
    await write("k=o1");
    await expect
      .poll(
        async () => (await owner.get("/apps/default/dead-letters?status=all")).body.items[0]?.resolution,
        { timeout: 10_000 },
      )
      .toBe("handler_failed");
    await new Promise((r) => setTimeout(r, 300));
    expect((await owner.get("/apps/default/dead-letters?status=all")).body.items).toHaveLength(1);
  });

  it("replays a dead letter at its original depth, and resolves another", async () => {
    const owner = await h.user("owner");
    // Fails until a flag is set in KV, so the replay succeeds.
    await setup(
      owner,
      { gate: `if (!(await env.kv.collection("flags").get("open"))) throw new Error("closed"); ${RECORD}` },
      [{ script: "gate", kind: "kv", config: { collection: "orders" }, retry: { maxAttempts: 1 } }],
    );
    await write("k=o1");
    await write("k=o2");
    await expect
      .poll(async () => (await owner.get("/apps/default/dead-letters")).body.unresolved, { timeout: 10_000 })
      .toBe(2);
    const apps = (await owner.get("/apps")).body.apps;
    expect(apps.find((x: { slug: string }) => x.slug === "default").unresolvedDeadLetters).toBe(2);
    const [a, b] = (await owner.get("/apps/default/dead-letters")).body.items;
    await h.runScript(
      owner,
      `await env.kv.collection("flags").set("open", true); return new Response("ok");`,
      { name: "opener" },
    );
    const replay = await owner.post(`/apps/default/dead-letters/${a.id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body.deadLetter.resolution).toBe("replayed");
    expect((await owner.post(`/apps/default/dead-letters/${a.id}/replay`)).status).toBe(409);
    await expect.poll(async () => (await seen(owner)).length, { timeout: 10_000 }).toBe(1);
    expect((await seen(owner))[0]).toMatchObject({ key: a.payload.key, depth: 1 });
    const resolved = await owner.post(`/apps/default/dead-letters/${b.id}/resolve`, {
      reason: "duplicate order",
    });
    expect(resolved.body.deadLetter).toMatchObject({ resolution: "ignored", reason: "duplicate order" });
    expect((await owner.get("/apps/default/dead-letters")).body.unresolved).toBe(0);
  });

  it("stops a self-triggering script at the depth limit without dead letters", async () => {
    const owner = await h.user("owner");
    await setup(owner, { loop: `${RECORD} await env.kv.collection("orders").set("o1", { v: ctx.depth });` }, [
      { script: "loop", kind: "kv", config: { collection: "orders" } },
    ]);
    await write("k=o1");
    await expect.poll(async () => (await seen(owner)).length, { timeout: 15_000 }).toBe(8);
    await new Promise((r) => setTimeout(r, 400));
    const depths = (await seen(owner)).map((e) => e.depth).sort((x, y) => x - y);
    expect(depths).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(h.services.fanout.droppedForDepth).toBeGreaterThanOrEqual(1);
    expect((await owner.get("/apps/default/dead-letters?status=all")).body.items).toEqual([]);
  });

  it("answers async routes with 202 and runs them from the outbox", async () => {
    const owner = await h.user("owner");
    await h.services.dispatcher.start();
    await owner.post("/apps/default/deploy", {
      scripts: [
        {
          name: "job",
          source: `export default { async fetch(req, env, ctx) { await env.kv.collection("seen").set(ctx.params.id, { body: await req.text(), method: req.method }); return new Response("done"); } }`,
          routes: [{ path: "/jobs/:id", methods: ["POST"], dispatch: "async" }],
        },
      ],
    });
    const res = await h.http.request("http://default.localhost/jobs/j1", { method: "POST", body: "payload" });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { executionId: string; acceptedAt: string };
    expect(accepted.executionId).toMatch(/^[0-9a-f-]{36}$/);
    await expect
      .poll(async () => seen(owner), { timeout: 10_000 })
      .toEqual([{ body: "payload", method: "POST" }]);
    await h.services.recorder.flush();
    const exec = await owner.get(`/apps/default/executions/${accepted.executionId}`);
    expect(exec.body.execution).toMatchObject({
      trigger: "http",
      status: "ok",
      httpStatus: 200,
      request: "POST /jobs/j1",
    });
    // Successful deliveries are marked done in batches (group commit), just after the handler ends.
    await expect
      .poll(async () => {
        const [row] = await h.services.database.db
          .select()
          .from(outbox)
          .where(eq(outbox.id, accepted.executionId));
        return row?.status;
      })
      .toBe("done");
  });

  it("never delivers one app's events to another app's triggers", async () => {
    const owner = await h.user("owner");
    await setup(owner, { audit: RECORD }, [{ script: "audit", kind: "kv", config: { collection: "ord*" } }]);
    await owner.post("/apps", { name: "Other" });
    await h.runScript(owner, `await env.kv.collection("orders").set("x", 1); return new Response("ok");`, {
      app: "other",
      name: "w",
    });
    await write("k=mine");
    await expect
      .poll(async () => (await seen(owner)).map((e) => e.key), { timeout: 10_000 })
      .toContain("mine");
    await new Promise((r) => setTimeout(r, 300));
    expect((await seen(owner)).map((e) => e.key)).toEqual(["mine"]);
  });
});
