/**
 * Several PiCloud processes on one PostgreSQL (DESIGN "Scale-out"): route
 * changes made through one process reach the other (NOTIFY on the change
 * feed); outbox work is shared with SKIP LOCKED and each event is handled once;
 * a row committed by anyone wakes a dispatcher through LISTEN/NOTIFY, not by
 * polling (the poll is set to 10 minutes here).
 */
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN, type DaemonProcess, loopbackFetch, startDaemonProcess } from "../src/testing/daemon.js";
import { createPostgresDatabase, testDbKinds } from "../src/testing/database.js";
import { collectSse } from "../src/testing/sse-client.js";

// Skipped only on a developer machine without TEST_DATABASE_URL: in CI the global setup refuses to run
// without PostgreSQL, so these tests always run there.
const postgresOnly = testDbKinds().includes("postgres") ? describe : describe.skip;
if (!testDbKinds().includes("postgres"))
  process.stderr.write("[picloud tests] multi-process tests need PostgreSQL (TEST_DATABASE_URL): skipped\n");

postgresOnly("two daemons on one PostgreSQL", () => {
  const daemons: DaemonProcess[] = [];
  let drop = async () => {};
  afterAll(async () => {
    for (const d of daemons) await d.stop();
    await drop();
  });

  it("share configuration changes, outbox work and wake-ups", async () => {
    const db = await createPostgresDatabase();
    drop = db.drop;
    const env = {
      ...ADMIN,
      DATABASE_URL: db.url,
      PICLOUD_DEPLOY_ON_START: "off",
      PICLOUD_OUTBOX_POLL_MS: "600000",
    };
    const [a, b] = await Promise.all([startDaemonProcess(env), startDaemonProcess(env)]);
    daemons.push(a!, b!);
    const login = await fetch(`${a!.url}/api/v1/admin/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: ADMIN.PICLOUD_ADMIN_EMAIL, password: ADMIN.PICLOUD_ADMIN_PASSWORD }),
    });
    const headers = {
      cookie: login.headers.getSetCookie()[0]!.split(";")[0]!,
      "content-type": "application/json",
    };
    const admin = (daemon: DaemonProcess, method: string, path: string, body?: unknown) =>
      fetch(`${daemon.url}/api/v1/admin${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    // B has served (and cached) the app's empty route table before A deploys.
    expect((await loopbackFetch(`${b!.appUrl()}/write?k=x`, { method: "POST" })).status).toBe(404);
    const deployed = await admin(a!, "POST", "/apps/default/deploy", {
      scripts: [
        {
          name: "writer",
          source: `export default { async fetch(req, env) { await env.kv.collection("jobs").set(new URL(req.url).searchParams.get("k"), 1); return new Response("ok"); } }`,
          routes: [{ path: "/write", methods: ["POST"] }],
        },
        {
          name: "counter",
          source: `export default { async fetch(req, env) { const r = await env.kv.collection("done").list({ limit: 1000 }); return Response.json(r.items.map((i) => i.key)); } }`,
          routes: [{ path: "/done" }],
        },
        {
          name: "worker",
          source: `export default { async trigger(e, env) { await env.kv.collection("done").set(e.key, e.id); } }`,
        },
        {
          name: "publisher",
          source: `export default { async fetch(req, env) { return Response.json(await env.pubsub.publish("news", await req.json())); } }`,
          routes: [{ path: "/publish", methods: ["POST"] }],
        },
      ],
      topics: [{ name: "news", external: true, auth: "public" }],
    });
    expect(deployed.status).toBe(200);
    expect(
      (
        await admin(a!, "POST", "/apps/default/triggers", {
          script: "worker",
          kind: "kv",
          config: { collection: "jobs" },
        })
      ).status,
    ).toBe(201);
    // The change feed reached B: its cached routes were dropped.
    await expect
      .poll(async () => (await loopbackFetch(`${b!.appUrl()}/write?k=first`, { method: "POST" })).status, {
        timeout: 10_000,
      })
      .toBe(200);

    // 200 writes spread over both processes; every event handled exactly once (no crash here).
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    let next = 0;
    const client = async () => {
      while (next < keys.length) {
        const i = next++;
        for (;;) {
          const res = await loopbackFetch(`${(i % 2 ? a : b)!.appUrl()}/write?k=${keys[i]}`, {
            method: "POST",
          });
          if (res.status !== 503) {
            expect(res.status).toBe(200);
            break;
          }
          await new Promise((r) => setTimeout(r, 20)); // busy: retry, as a client should
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    await expect
      .poll(async () => ((await (await loopbackFetch(`${a!.appUrl()}/done`)).json()) as string[]).length, {
        timeout: 30_000,
      })
      .toBe(201);
    await new Promise((r) => setTimeout(r, 500));
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const [runs] =
        await sql`select count(*)::int as n, count(distinct root_id)::int as roots from executions where trigger = 'kv'`;
      expect(runs).toEqual({ n: 201, roots: 201 });

      // A row committed by someone else, announced with NOTIFY only: delivered long before the 10-minute poll.
      const [trigger] = await sql`select id, script_id, app_id from triggers limit 1`;
      await sql`insert into outbox (id, app_id, kind, trigger_id, script_id, payload, depth, root_id, max_attempts, retry)
        values (gen_random_uuid(), ${trigger!.app_id}, 'trigger', ${trigger!.id}, ${trigger!.script_id},
                ${sql.json({ id: "x", source: "kv", op: "insert", collection: "jobs", key: "from-outside" })}, 1, gen_random_uuid(), 3, '{}')`;
      await sql`select pg_notify('picloud_outbox', '')`;
      await expect
        .poll(
          async () =>
            ((await (await loopbackFetch(`${b!.appUrl()}/done`)).json()) as string[]).includes(
              "from-outside",
            ),
          { timeout: 15_000 },
        )
        .toBe(true);
    } finally {
      await sql.end();
    }

    // Realtime across processes: subscribed on B, published through A (small message inline, big one by id).
    const stream = await loopbackFetch(`${b!.appUrl()}/realtime/topics/news`);
    expect(stream.status).toBe(200);
    const sse = collectSse(stream);
    await sse.waitFor((_, raw) => raw.includes(": connected"));
    const big = "x".repeat(20_000);
    for (const message of [{ n: 1 }, { big }]) {
      const res = await loopbackFetch(`${a!.appUrl()}/publish`, {
        method: "POST",
        body: JSON.stringify(message),
      });
      expect(res.status).toBe(200);
    }
    await sse.waitFor((events) => events.length === 2, 15_000);
    expect(sse.events.map((e) => JSON.parse(e.data).message)).toEqual([{ n: 1 }, { big }]);
    await sse.close();

    // Live tail across processes: watched through A, the requests served by B. A's announcement
    // of the watch reaches B asynchronously, so requests repeat until one shows up.
    const tailStream = await fetch(`${a!.url}/api/v1/admin/apps/default/executions/tail`, { headers });
    expect(tailStream.status).toBe(200);
    const tail = collectSse(tailStream);
    await tail.waitFor((events) => events.some((e) => e.event === "ready"));
    const seenOnTail = () => tail.events.some((e) => e.event === "execution");
    for (let i = 0; i < 50 && !seenOnTail(); i++) {
      expect(
        (await loopbackFetch(`${b!.appUrl()}/publish`, { method: "POST", body: '{"n":2}' })).status,
      ).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
    }
    await tail.waitFor(seenOnTail, 5_000);
    const execution = JSON.parse(tail.events.find((e) => e.event === "execution")!.data);
    expect(execution).toMatchObject({ request: "POST /publish", status: "ok", httpStatus: 200 });
    await tail.close();
  }, 120_000);
});
