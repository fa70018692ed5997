/**
 * Redirects per the Fetch spec, with every hop re-checked: real servers on
 * loopback (allowlisted) redirect to each other and to places no fetch may go.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostRequest } from "../../../runtime/host-types.js";
import { createGuardedFetch, type Resolver } from "./guarded-fetch.js";
import { type LocalServer, startHttpServer } from "./test-http-servers.js";

const signal = () => new AbortController().signal;
const text = (body: Uint8Array) => Buffer.from(body).toString("utf8");

let origin: LocalServer; // redirects according to its query string
let other: LocalServer; // a second origin (different port), echoes what it got
let hidden: LocalServer; // 127.0.0.2: never allowlisted
let loopHits = 0;

beforeAll(async () => {
  other = await startHttpServer((req, res, body) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ method: req.method, headers: req.headers, body: body.toString() }));
  });
  hidden = await startHttpServer((_req, res) => res.end("hidden"), "127.0.0.2");
  origin = await startHttpServer((req, res, body) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/loop") {
      loopHits++;
      res.writeHead(302, { location: "/loop" }).end();
      return;
    }
    if (url.pathname === "/to") {
      res.writeHead(Number(url.searchParams.get("status") ?? 302), {
        location: url.searchParams.get("location") ?? "",
      });
      res.end("redirect body");
      return;
    }
    if (url.pathname === "/nolocation") {
      res.writeHead(302).end("no location");
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({ method: req.method, headers: req.headers, body: body.toString(), path: req.url }),
    );
  });
});
afterAll(async () => {
  await Promise.all([origin.close(), other.close(), hidden.close()]);
});

const resolver: Resolver = async (hostname) => {
  const table: Record<string, string> = { "internal.test": "10.0.0.5", "hidden.test": "127.0.0.2" };
  return [{ address: table[hostname] ?? "127.0.0.1", family: 4 }];
};
const guardedFetch = createGuardedFetch({ allow: ["127.0.0.1"], resolve: resolver, maxRedirects: 5 });

function redirectTo(location: string, status = 302, init: Partial<HostRequest> = {}): HostRequest {
  const url = `${origin.origin}/to?status=${status}&location=${encodeURIComponent(location)}`;
  return { method: "GET", url, headers: [], body: null, ...init };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ guestName: "TypeError" });
  return (error as Error).message;
}

describe("redirect: follow", () => {
  it("follows a relative redirect and reports the final URL", async () => {
    const response = await guardedFetch(redirectTo("/final?x=1"), signal());
    expect(response).toMatchObject({ status: 200, redirected: true, url: `${origin.origin}/final?x=1` });
    expect(JSON.parse(text(response.body)).path).toBe("/final?x=1");
  });

  it.each([
    ["http://10.0.0.5/admin", "refused: private address (10.0.0.0/8)"],
    ["http://169.254.169.254/latest/meta-data/", "cloud metadata address"],
    ["http://[::1]/", "loopback address (::1/128)"],
    ["http://internal.test/", "internal.test resolves to 10.0.0.5, private address"],
    ["http://hidden.test:{HIDDEN}/", "hidden.test resolves to 127.0.0.2, loopback address"],
    ["http://127.0.0.2:{HIDDEN}/", "loopback address"],
    ["http://localhost/", "loopback hostname"],
    ["file:///etc/passwd", "scheme file: is not allowed"],
    ["gopher://127.0.0.1:70/", "scheme gopher: is not allowed"],
    ["http://user:pw@127.0.0.1/", "credentials in the URL"],
  ])("re-checks the hop to %s", async (pattern, reason) => {
    const location = pattern.replace("{HIDDEN}", String(hidden.port));
    const message = await failure(guardedFetch(redirectTo(location), signal()));
    expect(message).toContain(reason);
    expect(hidden.connections).toBe(0);
  });

  it("caps redirect loops at maxRedirects", async () => {
    loopHits = 0;
    const message = await failure(
      guardedFetch({ method: "GET", url: `${origin.origin}/loop`, headers: [], body: null }, signal()),
    );
    expect(message).toContain("too many redirects (more than 5, maxRedirects)");
    expect(loopHits).toBe(6);
  });

  it.each([
    [301, "POST", "GET", ""],
    [302, "POST", "GET", ""],
    [303, "POST", "GET", ""],
    [303, "PUT", "GET", ""],
    [307, "POST", "POST", "payload"],
    [308, "PUT", "PUT", "payload"],
    [301, "PUT", "PUT", "payload"],
  ])("%i after %s continues as %s", async (status, method, expectedMethod, expectedBody) => {
    const response = await guardedFetch(
      redirectTo("/landing", status, {
        method,
        headers: [["content-type", "text/plain"]],
        body: new TextEncoder().encode("payload"),
      }),
      signal(),
    );
    const seen = JSON.parse(text(response.body));
    expect(seen.method).toBe(expectedMethod);
    expect(seen.body).toBe(expectedBody);
    expect(seen.headers["content-type"]).toBe(expectedBody ? "text/plain" : undefined);
  });

  it("keeps HEAD as HEAD on 303", async () => {
    const response = await guardedFetch(redirectTo("/landing", 303, { method: "HEAD" }), signal());
    expect(response.status).toBe(200);
    expect(origin.requests.at(-1)?.method).toBe("HEAD");
  });

  it("drops Authorization and Cookie on a cross-origin hop, keeps them on a same-origin one", async () => {
    const credentials: [string, string][] = [
      ["authorization", "Bearer s3cret"],
      ["cookie", "session=1"],
      ["x-custom", "kept"],
    ];
    const cross = await guardedFetch(redirectTo(`${other.origin}/`, 302, { headers: credentials }), signal());
    const crossSeen = JSON.parse(text(cross.body)).headers;
    expect(crossSeen.authorization).toBeUndefined();
    expect(crossSeen.cookie).toBeUndefined();
    expect(crossSeen["x-custom"]).toBe("kept");

    const same = await guardedFetch(redirectTo("/landing", 302, { headers: credentials }), signal());
    const sameSeen = JSON.parse(text(same.body)).headers;
    expect(sameSeen.authorization).toBe("Bearer s3cret");
    expect(sameSeen.cookie).toBe("session=1");
  });

  it("returns a redirect without Location as is", async () => {
    const response = await guardedFetch(
      { method: "GET", url: `${origin.origin}/nolocation`, headers: [], body: null },
      signal(),
    );
    expect(response).toMatchObject({ status: 302, redirected: false });
    expect(text(response.body)).toBe("no location");
  });
});

describe("redirect: manual and error", () => {
  it("manual returns the 3xx response untouched, even when it points somewhere forbidden", async () => {
    const response = await guardedFetch(
      { ...redirectTo("http://169.254.169.254/"), redirect: "manual" },
      signal(),
    );
    expect(response.status).toBe(302);
    expect(response.redirected).toBe(false);
    expect(response.headers).toContainEqual(["location", "http://169.254.169.254/"]);
    expect(text(response.body)).toBe("redirect body");
  });

  it("error rejects any redirect", async () => {
    const message = await failure(guardedFetch({ ...redirectTo("/landing"), redirect: "error" }, signal()));
    expect(message).toContain('got a 302 redirect while the request\'s redirect mode is "error"');
  });
});
