/**
 * A script stuck where its time limit cannot interrupt it (inside JSON.stringify
 * of a huge shared graph, or catching its own stack overflows) holds only its
 * own sandbox thread: while it runs, the real daemon keeps answering /healthz
 * and another app's route, and the script ends with a 504 once past its limit
 * plus the grace (docs/scripts.md). Before sandboxes ran on worker threads,
 * each of these held every request of the daemon for 3 to 31 seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN,
  adminCookie,
  type DaemonProcess,
  loopbackFetch,
  startDaemonProcess,
} from "../src/testing/daemon.js";

const fetchOf = (body: string) => `export default { async fetch(request, env) { ${body} } }`;
const STUCK: [string, string][] = [
  [
    "json",
    fetchOf("let o = [1]; for (let i = 0; i < 40; i++) o = [o, o]; return new Response(JSON.stringify(o))"),
  ],
  ["recurse", fetchOf("function g(d) { try { return g(d + 1) } catch (e) { return g(d + 1) } } g(0)")],
];

describe("a stuck script holds only its own thread", () => {
  let daemon: DaemonProcess | undefined;
  beforeAll(async () => {
    daemon = await startDaemonProcess({
      ...ADMIN,
      PICLOUD_DEPLOY_ON_START: "off",
      PICLOUD_SANDBOX_THREADS: "2",
    });
    const cookie = await adminCookie(daemon.url);
    const deploy = async (app: string, scripts: unknown[]) => {
      await fetch(`${daemon!.url}/api/v1/admin/apps`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ name: app }),
      });
      const res = await fetch(`${daemon!.url}/api/v1/admin/apps/${app}/deploy`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ scripts }),
      });
      expect(res.status).toBe(200);
    };
    await deploy(
      "hostile",
      STUCK.map(([name, source]) => ({
        name,
        source,
        routes: [{ path: `/${name}` }],
        limits: { timeMs: 200 },
      })),
    );
    await deploy("other", [
      { name: "ok", source: fetchOf("return new Response('ok')"), routes: [{ path: "/ok" }] },
    ]);
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
  });

  it.each(STUCK)("GET /%s: health and another app answer meanwhile; it ends with 504", async (name) => {
    const d = daemon!;
    let stuckDone = false;
    const stuck = loopbackFetch(`${d.appUrl("hostile")}/${name}`).then(async (res) => {
      stuckDone = true;
      return { status: res.status, body: (await res.json()) as { error: string; executionId: string } };
    });
    // Requests sent while the stuck one is in flight complete before it does (on one event loop, none would).
    let answeredWhileStuck = 0;
    while (!stuckDone) {
      const [health, other] = await Promise.all([
        fetch(`${d.url}/healthz`),
        loopbackFetch(`${d.appUrl("other")}/ok`),
      ]);
      expect([health.status, other.status, await other.text()]).toEqual([200, 200, "ok"]);
      if (!stuckDone) answeredWhileStuck++;
    }
    expect(answeredWhileStuck).toBeGreaterThan(0);
    const { status, body } = await stuck;
    expect(status).toBe(504);
    expect(body.error).toContain("time limit");
    expect(body.executionId).toMatch(/^[0-9a-f-]{36}$/);
    // The app's thread was replaced (or its script stopped in time): its next request is served.
    expect((await loopbackFetch(`${d.appUrl("other")}/ok`)).status).toBe(200);
  });
});
