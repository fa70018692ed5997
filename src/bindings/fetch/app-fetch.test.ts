import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDbKinds } from "../../testing/database.js";
import { useHarness } from "../../testing/harness.js";

describe.each(testDbKinds())("a script's fetch and the app's allowlist [%s]", (kind) => {
  const h = useHarness(kind);
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => res.end(`hello from the LAN ${req.url}`));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const probe = () =>
    `try { const r = await fetch("http://127.0.0.1:${port}/x"); return new Response(await r.text()); }
     catch (e) { return new Response(e.name + ": " + e.message); }`;

  it("refuses loopback until an instance admin allows it for the app, and only for that app", async () => {
    const owner = await h.user("owner");
    expect(await h.runScript(owner, probe())).toMatch(
      /^TypeError: fetch to http:\/\/127\.0\.0\.1:\d+\/x refused: loopback/,
    );
    const res = await owner.request("PUT", "/apps/default/fetch-allowlist", { allow: [`127.0.0.1:${port}`] });
    expect(res.status).toBe(200);
    expect(res.body.allow).toEqual([`127.0.0.1:${port}`]);
    expect(await h.runScript(owner, probe())).toBe("hello from the LAN /x");
    await owner.post("/apps", { name: "Other" });
    expect(await h.runScript(owner, probe(), { app: "other" })).toMatch(/^TypeError: .*refused: loopback/);
    expect((await owner.get("/apps/default/fetch-allowlist")).body.allow).toEqual([`127.0.0.1:${port}`]);
  });

  it("lets only instance owners and admins change it, and validates entries", async () => {
    const owner = await h.user("owner");
    const lead = await h.user("member");
    await owner.post("/apps/default/members", { userId: lead.userId, role: "app_admin" });
    expect(
      (await lead.request("PUT", "/apps/default/fetch-allowlist", { allow: ["nas.local"] })).status,
    ).toBe(403);
    expect((await lead.get("/apps/default/fetch-allowlist")).status).toBe(200);
    const bad = await owner.request("PUT", "/apps/default/fetch-allowlist", { allow: ["10.0.0.0/99"] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('invalid fetch allowlist entry "10.0.0.0/99"');
    const key = await owner.withKey(["app:admin"]);
    expect((await key.request("PUT", "/apps/default/fetch-allowlist", { allow: ["nas.local"] })).status).toBe(
      403,
    );
    expect((await owner.get("/apps/default/fetch-allowlist")).body.allow).toEqual([]);
  });
});
