import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

const ECHO = `export default { async fetch(request, env, ctx) {
  const body = new Uint8Array(await request.arrayBuffer());
  return new Response(body, { status: 201, headers: {
    "x-cookie": request.headers.get("cookie") ?? "",
    "x-len": String(body.length),
    "set-cookie": "picloud_session=planted; Path=/",
  } });
} }`;

describe.each(testDbKinds())("requests and responses through the data plane [%s]", (kind) => {
  const h = useHarness(kind);

  it("round-trips binary bodies byte-exact", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/deploy", {
      scripts: [{ name: "echo", source: ECHO, routes: [{ path: "/echo" }] }],
    });
    const bytes = new Uint8Array(256 * 4).map((_, i) => i % 256);
    const res = await h.http.request("http://default.localhost/echo", { method: "POST", body: bytes });
    expect(res.status).toBe(201);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it("keeps the admin session cookie away from scripts, both ways", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/deploy", {
      scripts: [{ name: "echo", source: ECHO, routes: [{ path: "/echo" }] }],
    });
    const res = await h.http.request("http://default.localhost/echo", {
      method: "POST",
      body: "x",
      headers: { cookie: "picloud_session=secret-session; theme=dark" },
    });
    expect(res.headers.get("x-cookie")).toBe("theme=dark");
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("refuses bodies over the limit with 413 before running the script", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/deploy", {
      scripts: [{ name: "echo", source: ECHO, routes: [{ path: "/echo" }] }],
    });
    const res = await h.http.request("http://default.localhost/echo", {
      method: "POST",
      body: new Uint8Array(1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toContain("larger than 1048576 bytes");
    await h.services.recorder.flush();
    expect((await owner.get("/apps/default/executions")).body.items).toEqual([]);
  });

  it("reuses one context per version with isolation = script, and not across versions", async () => {
    const owner = await h.user("owner");
    const counter = (tag: string) =>
      `let n = 0; export default { fetch() { n++; return new Response("${tag}:" + n) } }`;
    const deploy = (tag: string, isolation: string) =>
      owner.post("/apps/default/deploy", {
        scripts: [{ name: "c", source: counter(tag), isolation, routes: [{ path: "/c" }] }],
      });
    await deploy("a", "none");
    const texts = async (n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(await (await h.http.request("http://default.localhost/c")).text());
      return out;
    };
    expect(await texts(3)).toEqual(["a:1", "a:1", "a:1"]);
    await deploy("a", "script");
    expect(await texts(3)).toEqual(["a:1", "a:2", "a:3"]);
    await deploy("b", "script");
    expect(await texts(2)).toEqual(["b:1", "b:2"]);
  });
});

describe.each(testDbKinds())("the concurrency gate [%s]", (kind) => {
  const h = useHarness(kind, { runtime: { maxConcurrent: 1 } });

  it("answers 503 with Retry-After when every slot is busy, and serves again afterwards", async () => {
    const owner = await h.user("owner");
    const slow =
      "export default { async fetch() { await new Promise((r) => setTimeout(r, 400)); return new Response('slow') } }";
    await owner.post("/apps/default/deploy", {
      scripts: [{ name: "slow", source: slow, routes: [{ path: "/slow" }] }],
    });
    const first = h.http.request("http://default.localhost/slow");
    await new Promise((r) => setTimeout(r, 100));
    const second = await h.http.request("http://default.localhost/slow");
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("1");
    expect((await first).status).toBe(200);
    expect((await h.http.request("http://default.localhost/slow")).status).toBe(200);
  });
});
