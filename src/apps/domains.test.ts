import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

describe.each(testDbKinds())("app domains [%s]", (kind) => {
  const h = useHarness(kind);

  it("adds exact and wildcard hostnames, lower-cased, and removes them by hostname or id", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const a = await owner.post("/apps/blog/domains", { hostname: "Blog.Example.com" });
    expect(a.status).toBe(201);
    expect(a.body.domain.hostname).toBe("blog.example.com");
    const w = await owner.post("/apps/blog/domains", { hostname: "*.blog.example.com" });
    expect(w.status).toBe(201);
    expect(
      (await owner.get("/apps/blog/domains")).body.domains.map((d: { hostname: string }) => d.hostname),
    ).toEqual(["*.blog.example.com", "blog.example.com"]);
    expect((await owner.delete("/apps/blog/domains/blog.example.com")).status).toBe(204);
    expect((await owner.delete(`/apps/blog/domains/${w.body.domain.id}`)).status).toBe(204);
    expect((await owner.get("/apps/blog/domains")).body.domains).toEqual([]);
    expect((await owner.delete("/apps/blog/domains/blog.example.com")).status).toBe(404);
  });

  it("keeps hostnames unique across the instance (409), also when two apps race for one", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    await owner.post("/apps", { name: "Shop" });
    const [x, y] = await Promise.all([
      owner.post("/apps/blog/domains", { hostname: "www.example.com" }),
      owner.post("/apps/shop/domains", { hostname: "www.example.com" }),
    ]);
    expect([x.status, y.status].sort()).toEqual([201, 409]);
    const loser = x.status === 409 ? x : y;
    expect(loser.body.error.message).toContain("www.example.com");
  });

  it("rejects malformed hostnames with a message naming the field", async () => {
    const owner = await h.user("owner");
    for (const hostname of [
      "http://x.com",
      "x.com:80",
      "x.com/path",
      "*.com",
      "a..b",
      "-x.com",
      "x_y.com",
      "",
      "a.*.com",
    ]) {
      const res = await owner.post("/apps/default/domains", { hostname });
      expect(res.status, hostname).toBe(400);
      expect(res.body.error.message, hostname).toContain("hostname");
    }
    expect((await owner.get("/apps/default/domains")).body.domains).toEqual([]);
  });

  it("cannot remove another app's domain through its own app", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    await owner.post("/apps", { name: "Shop" });
    const d = await owner.post("/apps/shop/domains", { hostname: "shop.example.com" });
    expect((await owner.delete(`/apps/blog/domains/${d.body.domain.id}`)).status).toBe(404);
    expect((await owner.delete("/apps/blog/domains/shop.example.com")).status).toBe(404);
    expect((await owner.get("/apps/shop/domains")).body.domains).toHaveLength(1);
  });
});

describe.each(testDbKinds())("who may claim a hostname [%s]", (kind) => {
  const h = useHarness(kind);

  async function setup() {
    const owner = await h.user("owner");
    for (const name of ["appa", "appb"]) {
      await owner.post("/apps", { name });
      await owner.post(`/apps/${name}/deploy`, {
        scripts: [
          {
            name: "who",
            source: `export default { fetch() { return new Response("${name}") } }`,
            routes: [{ path: "/who" }],
          },
        ],
      });
    }
    const appAdmin = await h.user("member");
    expect(
      (await owner.post("/apps/appa/members", { userId: appAdmin.userId, role: "app_admin" })).status,
    ).toBe(201);
    return { owner, appAdmin };
  }
  const who = async (host: string) => (await h.http.request(`http://${host}/who`)).text();

  // [who asks, hostname, status, words the message must contain]
  const cases: ["appAdmin" | "owner", string, number, string][] = [
    ["appAdmin", "appb.localhost", 403, 'belongs to the app with slug "appb"'],
    ["appAdmin", "api.appb.localhost", 403, 'belongs to the app with slug "appb"'],
    ["appAdmin", "*.appb.localhost", 403, 'belongs to the app with slug "appb"'],
    ["appAdmin", "shop.localhost", 403, 'belongs to the app with slug "shop"'],
    ["appAdmin", "localhost", 403, "admin host"],
    ["appAdmin", "*.localhost", 400, "at least two labels"],
    ["appAdmin", "127.0.0.1", 400, "not an IP address"],
    ["appAdmin", "2130706433.x.1", 400, "not an IP address"],
    ["appAdmin", "appa.localhost", 400, "already answers"],
    ["appAdmin", "www.example.com", 403, "only an instance owner or admin"],
    ["appAdmin", "*.example.com", 403, "only an instance owner or admin"],
    ["owner", "appb.localhost", 403, 'belongs to the app with slug "appb"'],
    ["owner", "localhost", 403, "admin host"],
    ["owner", "*.com", 400, "at least two labels"],
    ["owner", "foo.localhost.", 400, "hostname"],
  ];
  it.each(cases)("%s adding %s → %i", async (asker, hostname, status, words) => {
    const users = await setup();
    const res = await users[asker].post("/apps/appa/domains", { hostname });
    expect(res.status).toBe(status);
    expect(res.body.error.message).toContain(words);
    expect((await users.owner.get("/apps/appa/domains")).body.domains).toEqual([]);
    expect(await who("appb.localhost")).toBe("appb");
  });

  it("lets an app_admin use names under the app's own slug, and an owner add a custom domain", async () => {
    const { owner, appAdmin } = await setup();
    for (const hostname of ["api.appa.localhost", "*.appa.localhost"])
      expect((await appAdmin.post("/apps/appa/domains", { hostname })).status).toBe(201);
    expect((await owner.post("/apps/appa/domains", { hostname: "www.example.com" })).status).toBe(201);
    expect(await who("api.appa.localhost")).toBe("appa");
    expect(await who("x.appa.localhost")).toBe("appa");
    expect(await who("www.example.com")).toBe("appa");
    // An API key of the owner without instance:admin acts as an app admin here.
    const key = await owner.withKey(["app:admin"]);
    const res = await key.post("/apps/appa/domains", { hostname: "shop.example.com" });
    expect(res.status).toBe(403);
  });

  it("ignores a stored claim that breaks the rules (made before they existed)", async () => {
    const { owner } = await setup();
    const appa = (await owner.get("/apps/appa")).body.app.id;
    await h.services.database.db.execute(
      sql`insert into app_domains (id, app_id, hostname) values (gen_random_uuid(), ${appa}, 'appb.localhost'), (gen_random_uuid(), ${appa}, 'localhost')`,
    );
    h.services.changes.publish({ topic: "domains" });
    expect(await who("appb.localhost")).toBe("appb");
    expect((await h.http.request("http://localhost/who")).status).toBe(404);
  });

  it("refuses a slug change that would orphan domains under the old slug", async () => {
    const { owner } = await setup();
    await owner.post("/apps/appa/domains", { hostname: "api.appa.localhost" });
    const res = await owner.patch("/apps/appa", { slug: "appc" });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain("api.appa.localhost");
    expect((await owner.get("/apps/appa")).status).toBe(200);
  });
});
