/**
 * SPEC §9: no committed event is lost on kill -9. A burst of 1,000 triggered
 * writes runs against a real daemon; the daemon is killed with SIGKILL in the
 * middle; after a restart, every write the client saw acknowledged has been
 * handled (at least once).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ADMIN,
  adminCookie,
  type DaemonProcess,
  loopbackFetch,
  startDaemonProcess,
} from "../src/testing/daemon.js";
import { createPostgresDatabase, testDbKinds } from "../src/testing/database.js";

const BURST = 1000;

async function login(base: string): Promise<Record<string, string>> {
  return { cookie: await adminCookie(base), "content-type": "application/json" };
}

describe.each(testDbKinds())("kill -9 in the middle of a burst [%s]", (kind) => {
  it("loses no acknowledged write's event", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "picloud-crash-"));
    const pg = kind === "postgres" ? await createPostgresDatabase() : null;
    const env = {
      ...ADMIN,
      PICLOUD_DEPLOY_ON_START: "off",
      PICLOUD_OUTBOX_LEASE_MS: "1500",
      ...(pg ? { DATABASE_URL: pg.url } : {}),
    };
    let daemon: DaemonProcess | undefined;
    try {
      daemon = await startDaemonProcess(env, { dataDir });
      const headers = await login(daemon.url);
      const deployed = await fetch(`${daemon.url}/api/v1/admin/apps/default/deploy`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          scripts: [
            {
              name: "writer",
              source: `export default { async fetch(req, env) { const k = new URL(req.url).searchParams.get("k"); await env.kv.collection("jobs").set(k, { at: Date.now() }); return new Response("ok"); } }`,
              routes: [{ path: "/write", methods: ["POST"] }],
            },
            {
              name: "reader",
              source: `export default { async fetch(req, env) { const keys = []; let cursor; do { const r = await env.kv.collection("done").list({ limit: 1000, cursor }); for (const i of r.items) keys.push(i.key); cursor = r.cursor; } while (cursor); return Response.json(keys); } }`,
              routes: [{ path: "/done", methods: ["GET"] }],
            },
            {
              name: "worker",
              source: `export default { async trigger(event, env) { await env.kv.collection("done").set(event.key, event.id); } }`,
            },
          ],
        }),
      });
      expect(deployed.status).toBe(200);
      const trig = await fetch(`${daemon.url}/api/v1/admin/apps/default/triggers`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          script: "worker",
          kind: "kv",
          config: { collection: "jobs", ops: ["insert"] },
        }),
      });
      expect(trig.status).toBe(201);

      // The burst: 20 clients in parallel; kill -9 once a third is acknowledged.
      const acknowledged: string[] = [];
      const target = daemon;
      let next = 0;
      let killed = false;
      const client = async () => {
        while (next < BURST) {
          const k = `k${String(next++).padStart(4, "0")}`;
          for (let attempt = 0; attempt < 20 && !killed; attempt++) {
            try {
              const res = await loopbackFetch(`${target.appUrl()}/write?k=${k}`, { method: "POST" });
              if (res.status === 200) acknowledged.push(k);
              if (res.status !== 503) break; // busy: a well-behaved client retries
              await new Promise((r) => setTimeout(r, 20));
            } catch {
              break; // the daemon died under this request: not acknowledged
            }
          }
          if (!killed && acknowledged.length >= BURST / 3) {
            killed = true;
            target.child.kill("SIGKILL");
          }
        }
      };
      await Promise.all(Array.from({ length: 20 }, client));
      expect(killed).toBe(true);
      await daemon.stop();
      expect(acknowledged.length).toBeGreaterThanOrEqual(BURST / 3);

      daemon = await startDaemonProcess(env, { dataDir });
      const restarted = daemon;
      await expect
        .poll(
          async () => {
            const done = new Set(
              (await (await loopbackFetch(`${restarted.appUrl()}/done`)).json()) as string[],
            );
            return acknowledged.filter((k) => !done.has(k)).length;
          },
          { timeout: 60_000, interval: 500 },
        )
        .toBe(0);
    } finally {
      await daemon?.stop();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
