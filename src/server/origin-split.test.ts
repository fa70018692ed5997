import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { type Harness, useHarness } from "../testing/harness.js";

const PAGE = `export default { fetch(req) { return new Response("<h1>" + new URL(req.url).pathname + "</h1>", { headers: { "content-type": "text/html" } }) } }`;

async function deployPages(h: Harness) {
  const owner = await h.user("owner");
  const res = await owner.post("/apps/default/deploy", {
    scripts: [{ name: "pages", source: PAGE, routes: [{ path: "/*" }] }],
  });
  expect(res.status).toBe(200);
  return owner;
}

describe.each(testDbKinds())("the admin origin and the apps' origins [%s]", (kind) => {
  const h = useHarness(kind);

  // [url, status, what the body shows]
  const cases: [string, number, string][] = [
    ["http://localhost/pwn", 404, "localhost is PiCloud's admin host and serves no app"],
    ["http://localhost/", 404, "the default app on http://default.localhost:8787"],
    ["http://127.0.0.1:8787/pwn", 404, "admin host"],
    ["http://[::1]:8787/pwn", 404, "admin host"],
    ["http://localhost/realtime/topics/demo", 404, "admin host"],
    ["http://default.localhost/pwn", 200, "<h1>/pwn</h1>"],
    ["http://anything.example.net/pwn", 200, "<h1>/pwn</h1>"],
    // An app's host has its own /healthz and /metrics; the instance's are on the admin host.
    ["http://default.localhost/healthz", 200, "<h1>/healthz</h1>"],
    ["http://default.localhost/metrics", 200, "<h1>/metrics</h1>"],
    ["http://localhost/healthz", 200, '"status":"ok"'],
    ["http://default.localhost/api/v1/admin/apps", 404, "served on http://localhost:8787, not on app hosts"],
    ["http://default.localhost/admin/setup", 404, "served on http://localhost:8787"],
    ["http://default.localhost/admin", 404, "served on http://localhost:8787"],
  ];
  it.each(cases)("GET %s → %i", async (url, status, shows) => {
    await deployPages(h);
    const res = await h.http.request(url);
    expect(res.status).toBe(status);
    expect(await res.text()).toContain(shows);
  });

  it("never lets a session cookie act on the admin API from an app host", async () => {
    const owner = await deployPages(h);
    const res = await h.http.request("http://default.localhost/api/v1/admin/users", {
      method: "POST",
      headers: { cookie: owner.cookieHeader(), "content-type": "application/json" },
      body: JSON.stringify({ email: "m@example.com", password: "mallory password 1", role: "owner" }),
    });
    expect(res.status).toBe(404);
    expect((await owner.get("/users")).body.users).toHaveLength(1);
  });
});

describe.each(testDbKinds())("PICLOUD_ADMIN_HOST_APP [%s]", (kind) => {
  const h = useHarness(kind, { adminHostApp: "default" });

  it("serves the named app on the admin host too, admin paths still first", async () => {
    await deployPages(h);
    expect(await (await h.http.request("http://localhost/pwn")).text()).toBe("<h1>/pwn</h1>");
    expect(await (await h.http.request("http://localhost/healthz")).json()).toEqual({ status: "ok" });
    expect((await h.http.request("http://localhost/api/v1/admin/apps")).status).toBe(401);
  });
});
