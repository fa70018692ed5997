import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { createClient } from "./client.js";
import { isPicloudError, PicloudError } from "./error.js";
import type { PathParams } from "./request-url.js";
import { type Echo, startEchoServer, type TestEchoServer } from "./testing/echo-server.js";

let server: TestEchoServer;
beforeAll(async () => {
  server = await startEchoServer();
});
afterAll(() => server.close());

async function failure(promise: Promise<unknown>): Promise<PicloudError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PicloudError);
  return error as PicloudError;
}

describe("endpoint: requests", () => {
  it("fills path params from the request and sends the other fields of a GET as query string", async () => {
    const client = createClient({ baseUrl: server.url });
    const getPost = client.endpoint<
      { id: string; include?: string[]; draft?: boolean; since?: Date; skip?: undefined },
      Echo
    >("GET", "/api/posts/:id");
    const echo = await getPost({
      id: "a b/1",
      include: ["author", "tags"],
      draft: false,
      since: new Date("2026-01-02T03:04:05.000Z"),
      skip: undefined,
    });
    expect(echo.method).toBe("GET");
    expect(echo.path).toBe("/api/posts/a%20b%2F1");
    expect(echo.query).toEqual({
      include: ["author", "tags"],
      draft: ["false"],
      since: ["2026-01-02T03:04:05.000Z"],
    });
    expect(echo.body).toBeUndefined();
    expect(echo.headers.accept).toBe("application/json");
  });

  it("takes path params from the params option, which wins over request fields", async () => {
    const client = createClient({ baseUrl: server.url });
    const comments = client.endpoint<{ id?: number; page: number }, Echo>("GET", "/api/posts/:id/comments");
    const echo = await comments({ page: 2 }, { params: { id: 7 } });
    expect(echo.path).toBe("/api/posts/7/comments");
    expect(echo.query).toEqual({ page: ["2"] });
    const both = await comments({ id: 1, page: 3 }, { params: { id: 9 } });
    expect(both.path).toBe("/api/posts/9/comments");
    expect(both.query).toEqual({ page: ["3"] });
  });

  it("sends the remaining fields of POST/PUT/PATCH as a JSON body", async () => {
    const client = createClient({ baseUrl: server.url });
    for (const method of ["POST", "PUT", "PATCH"] as const) {
      const update = client.endpoint<{ id: string; title: string; tags: string[] }, Echo>(
        method,
        "/api/posts/:id",
      );
      const echo = await update({ id: "p1", title: "Hello", tags: ["a"] });
      expect(echo.method).toBe(method);
      expect(echo.path).toBe("/api/posts/p1");
      expect(echo.headers["content-type"]).toBe("application/json");
      expect(echo.body).toEqual({ title: "Hello", tags: ["a"] });
      expect(echo.query).toEqual({});
    }
  });

  it("sends a DELETE's fields as query string and allows calls without a request", async () => {
    const client = createClient({ baseUrl: server.url });
    const remove = client.endpoint<{ id: string; hard?: boolean }, Echo>("DELETE", "/api/posts/:id");
    const echo = await remove({ id: "p1", hard: true });
    expect([echo.method, echo.path, echo.query]).toEqual(["DELETE", "/api/posts/p1", { hard: ["true"] }]);

    const list = client.endpoint<void, Echo>("GET", "/api/posts");
    expect((await list()).path).toBe("/api/posts");
    const publish = client.endpoint<void, Echo>("POST", "/api/publish");
    const posted = await publish();
    expect(posted.body).toBeUndefined();
    expect(posted.headers["content-type"]).toBeUndefined();
  });

  it("sends non-object JSON bodies and raw bodies as they are", async () => {
    const client = createClient({ baseUrl: server.url });
    const tags = client.endpoint<string[], Echo>("POST", "/api/tags");
    expect((await tags(["x", "y"])).body).toEqual(["x", "y"]);
    const upload = client.endpoint<URLSearchParams, Echo>("POST", "/api/form");
    const echo = await upload(new URLSearchParams({ a: "1" }));
    expect(echo.body).toBe("a=1");
    expect(echo.headers["content-type"]).toContain("application/x-www-form-urlencoded");
  });

  it("rejects a missing path param without sending anything", async () => {
    const client = createClient({ baseUrl: server.url });
    const getPost = client.endpoint<{ id?: string }, Echo>("GET", "/api/posts/:id");
    const before = server.hits;
    const error = await failure(getPost({}));
    expect([error.code, error.status]).toEqual(["invalid_request", 0]);
    expect(error.message).toContain('"id"');
    expect(server.hits).toBe(before);
  });

  it("joins base URLs with a trailing slash or a path prefix", async () => {
    const withSlash = createClient({ baseUrl: `${server.url}/` });
    expect((await withSlash.endpoint<void, Echo>("GET", "/api/x")()).path).toBe("/api/x");
    const prefixed = createClient({ baseUrl: `${server.url}/prefix` });
    expect((await prefixed.endpoint<void, Echo>("GET", "/api/x")()).path).toBe("/prefix/api/x");
  });

  it("merges client, endpoint and call headers and sends the end-user token", async () => {
    let n = 0;
    const client = createClient({
      baseUrl: server.url,
      headers: () => ({ "x-client": "c", "x-count": String(++n) }),
      token: "user-session",
    });
    const whoami = client.endpoint<void, Echo>("GET", "/api/me", {
      headers: { "x-endpoint": "e", "x-client": "e" },
    });
    const echo = await whoami(undefined, { headers: { "x-call": "k" } });
    expect(echo.headers).toMatchObject({
      "x-client": "e",
      "x-endpoint": "e",
      "x-call": "k",
      "x-count": "1",
      authorization: "Bearer user-session",
    });
    client.setToken(null);
    expect((await whoami()).headers.authorization).toBeUndefined();
    client.setToken(async () => "later");
    expect((await whoami()).headers.authorization).toBe("Bearer later");
    expect(await client.getToken()).toBe("later");
  });

  it("uses a custom fetch", async () => {
    const seen: string[] = [];
    const client = createClient({
      baseUrl: server.url,
      fetch: (input, init) => {
        seen.push(`${init.method} ${input}`);
        return fetch(input, init);
      },
    });
    await client.endpoint<void, Echo>("GET", "/api/x")();
    expect(seen).toEqual([`GET ${server.url}/api/x`]);
  });
});

describe("endpoint: responses", () => {
  const client = () => createClient({ baseUrl: server.url });

  it("turns {error: {code, message}} into a PicloudError", async () => {
    const error = await failure(client().endpoint("POST", "/api/fail/object")());
    expect(error).toMatchObject({ status: 409, code: "slug_taken", message: "That slug is taken" });
    expect(error.body).toEqual({ error: { code: "slug_taken", message: "That slug is taken" } });
    expect(isPicloudError(error)).toBe(true);
    expect(error.name).toBe("PicloudError");
  });

  it("turns a script failure {error: string, executionId} into a PicloudError", async () => {
    const error = await failure(client().endpoint("GET", "/api/fail/script")());
    expect(error).toMatchObject({
      status: 504,
      code: "timeout",
      message: "Script exceeded its time limit",
      executionId: "exec-123",
    });
  });

  it("handles text and empty error bodies", async () => {
    const text = await failure(client().endpoint("GET", "/api/fail/text")());
    expect(text).toMatchObject({
      status: 500,
      code: "internal",
      message: "Internal trouble",
      body: "Internal trouble",
    });
    const empty = await failure(client().endpoint("GET", "/api/fail/empty")());
    expect(empty).toMatchObject({ status: 503, code: "unavailable", message: "Service Unavailable" });
  });

  it("resolves 204 to undefined and text responses to strings", async () => {
    expect(await client().endpoint("DELETE", "/api/no-content")()).toBeUndefined();
    expect(await client().endpoint<void, string>("GET", "/api/text")()).toBe("just text");
  });

  it("rejects a 2xx with invalid JSON as invalid_response", async () => {
    const error = await failure(client().endpoint("GET", "/api/bad-json")());
    expect(error).toMatchObject({ status: 200, code: "invalid_response", body: "{not json" });
  });

  it("validates responses with a valibot adapter, a Standard Schema or a function", async () => {
    const Echoed = v.object({ method: v.string(), path: v.string() });
    const viaParse = client().endpoint("GET", "/api/ok", { validate: { parse: (x) => v.parse(Echoed, x) } });
    expect(await viaParse()).toEqual({ method: "GET", path: "/api/ok" });
    const viaSchema = client().endpoint("GET", "/api/ok", { validate: Echoed });
    expect(await viaSchema()).toEqual({ method: "GET", path: "/api/ok" });
    const viaFunction = client().endpoint("GET", "/api/ok", { validate: (x) => (x as Echo).path.length });
    expect(await viaFunction()).toBe(7);

    const Wrong = v.object({ missing: v.string() });
    const invalid = await failure(client().endpoint("GET", "/api/ok", { validate: Wrong })());
    expect(invalid).toMatchObject({ status: 200, code: "invalid_response" });
    expect((invalid.body as Echo).path).toBe("/api/ok");
    const thrown = await failure(
      client().endpoint("GET", "/api/ok", { validate: { parse: (x) => v.parse(Wrong, x) } })(),
    );
    expect(thrown.code).toBe("invalid_response");
    expect(thrown.cause).toBeInstanceOf(v.ValiError);
  });

  it("reports network failures as network_error with status 0", async () => {
    const gone = await startEchoServer();
    await gone.close();
    const error = await failure(createClient({ baseUrl: gone.url }).endpoint("GET", "/api/x")());
    expect([error.status, error.code]).toEqual([0, "network_error"]);
  });

  it("passes the AbortError of the caller's signal through", async () => {
    const controller = new AbortController();
    const call = client().endpoint("GET", "/api/hang")(undefined, { signal: controller.signal });
    controller.abort();
    const error = await call.catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(PicloudError);
    expect((error as Error).name).toBe("AbortError");
  });
});

describe("endpoint: types", () => {
  it("makes the request optional only when Req admits undefined", () => {
    const client = createClient({ baseUrl: "http://localhost:8787" });
    const none = client.endpoint<void, { ok: boolean }>("POST", "/api/publish");
    const some = client.endpoint<{ text: string }, { ok: boolean }>("POST", "/api/publish");
    expectTypeOf(none).toBeCallableWith();
    expectTypeOf(none).toBeCallableWith(undefined, { signal: new AbortController().signal });
    expectTypeOf(some).toBeCallableWith({ text: "x" });
    expectTypeOf(some).parameter(0).toEqualTypeOf<{ text: string }>();
    expectTypeOf(some).returns.toEqualTypeOf<Promise<{ ok: boolean }>>();
    // @ts-expect-error the request is required
    const missing = () => some();
    // @ts-expect-error wrong request shape
    const wrong = () => some({ text: 1 });
    expect([typeof missing, typeof wrong, none.method, some.path]).toEqual([
      "function",
      "function",
      "POST",
      "/api/publish",
    ]);
  });

  it("derives path param names from a path template", () => {
    expectTypeOf<PathParams<"/posts/:id/comments/:commentId">>().toEqualTypeOf<
      { id: string | number | bigint | boolean } & { commentId: string | number | bigint | boolean }
    >();
  });
});
