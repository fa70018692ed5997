import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

const HELLO = `export default { async fetch(request, env, ctx) {
  const url = new URL(request.url);
  console.log("hello", url.pathname);
  return Response.json({ path: url.pathname, params: ctx.params, title: env.TITLE ?? null, method: request.method });
} }`;

describe.each(testDbKinds())("data plane [%s]", (kind) => {
  const h = useHarness(kind);

  async function deployHello(
    owner: Awaited<ReturnType<typeof h.user>>,
    app = "default",
    routes = [{ path: "/hello/:name" }],
  ) {
    const res = await owner.post(`/apps/${app}/deploy`, {
      scripts: [{ name: "hello", source: HELLO, routes }],
      vars: { TITLE: "Hi" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res;
  }

  it("routes a request by host and path to a script and returns its response", async () => {
    const owner = await h.user("owner");
    await deployHello(owner);
    const res = await h.http.request("http://default.localhost/hello/world?x=1");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      path: "/hello/world",
      params: { name: "world" },
      title: "Hi",
      method: "GET",
    });
    expect(res.headers.get("x-picloud-execution-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 404 JSON when no route matches", async () => {
    const res = await h.http.request("http://default.localhost/nothing");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no route for GET /nothing" });
  });
});
