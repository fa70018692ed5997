/**
 * Every refusal class, proven end to end: a real server listens on loopback
 * and must see no connection at all from any hostile URL.
 */
import net from "node:net";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostCallError, type HostRequest } from "../../../runtime/host-types.js";
import { createGuardedFetch, type Resolver } from "./guarded-fetch.js";
import { type LocalServer, startHttpServer } from "./test-http-servers.js";

const PUBLIC_IP = "93.184.215.14";

function get(url: string): HostRequest {
  return { method: "GET", url, headers: [], body: null };
}

function tableResolver(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const answers = table[hostname];
    if (!answers) throw Object.assign(new Error(`no such host ${hostname}`), { code: "ENOTFOUND" });
    return answers.map((address) => ({ address, family: (address.includes(":") ? 6 : 4) as 4 | 6 }));
  };
  return Object.assign(resolve, { calls });
}

async function refusal(promise: Promise<unknown>): Promise<HostCallError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the fetch to be refused");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HostCallError);
  expect((error as HostCallError).guestName).toBe("TypeError");
  return error as HostCallError;
}

let local: LocalServer;
beforeAll(async () => {
  local = await startHttpServer((_req, res) => res.end("internal data"));
});
afterAll(() => local.close());

describe("hostile URLs are refused before any connection", () => {
  const resolver = tableResolver({
    "public.test": [PUBLIC_IP],
    "internal.test": ["10.0.0.5"],
    "nip.test": ["127.0.0.1"],
    "mixed.test": [PUBLIC_IP, "10.0.0.5"],
    "mixed6.test": ["2606:4700:4700::1111", "::1"],
    "metadata-alias.test": ["169.254.169.254"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "nat64.test": ["64:ff9b::a9fe:a9fe"],
  });
  const guardedFetch = createGuardedFetch({ resolve: resolver });

  // [url, reason substring]; {PORT} is the port of the real server on 127.0.0.1.
  const table: [string, string][] = [
    ["http://127.0.0.1:{PORT}/", "refused: loopback address (127.0.0.0/8)"],
    ["http://2130706433:{PORT}/", "loopback address (127.0.0.0/8)"],
    ["http://0177.0.0.1:{PORT}/", "loopback address (127.0.0.0/8)"],
    ["http://0x7f.1:{PORT}/", "loopback address (127.0.0.0/8)"],
    ["http://0x7f000001:{PORT}/", "loopback address (127.0.0.0/8)"],
    ["http://017700000001:{PORT}/", "loopback address (127.0.0.0/8)"],
    ["http://127.1:{PORT}/", "loopback address (127.0.0.0/8)"],
    ["http://%31%32%37.0.0.1:{PORT}/", "loopback address (127.0.0.0/8)"],
    ["http://0:{PORT}/", "unspecified address (0.0.0.0/8)"],
    ["http://0.0.0.0:{PORT}/", "unspecified address (0.0.0.0/8)"],
    ["http://[::1]:{PORT}/", "loopback address (::1/128)"],
    ["http://[::]:{PORT}/", "unspecified address (::/128)"],
    ["http://[::ffff:127.0.0.1]:{PORT}/", "IPv4-mapped IPv6 address"],
    ["http://[0:0:0:0:0:ffff:7f00:1]:{PORT}/", "IPv4-mapped IPv6 address"],
    ["http://[::127.0.0.1]:{PORT}/", "IPv4-compatible IPv6 address"],
    ["http://[64:ff9b::127.0.0.1]:{PORT}/", "NAT64 address embedding 127.0.0.1, loopback address"],
    ["http://[2002:7f00:1::]:{PORT}/", "6to4 address embedding 127.0.0.1"],
    ["http://localhost:{PORT}/", "localhost is a loopback hostname"],
    ["http://LOCALHOST.:{PORT}/", "localhost is a loopback hostname"],
    ["http://app.localhost:{PORT}/", "loopback hostname"],
    ["http://10.0.0.5/", "private address (10.0.0.0/8)"],
    ["http://172.16.0.1/", "private address (172.16.0.0/12)"],
    ["http://192.168.1.1/", "private address (192.168.0.0/16)"],
    ["http://100.64.0.1/", "CGNAT shared address (100.64.0.0/10)"],
    ["http://169.254.1.1/", "link-local address (169.254.0.0/16)"],
    ["http://169.254.169.254/latest/meta-data/", "cloud metadata address (169.254.169.254/32)"],
    ["http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata address (fd00:ec2::254/128)"],
    [
      "http://metadata.google.internal/computeMetadata/v1/",
      "metadata.google.internal is a cloud metadata hostname",
    ],
    ["http://metadata/", "cloud metadata hostname"],
    ["http://224.0.0.1/", "multicast address (224.0.0.0/4)"],
    ["http://255.255.255.255/", "broadcast address"],
    ["http://240.0.0.1/", "reserved address (240.0.0.0/4)"],
    ["http://192.0.2.1/", "documentation address"],
    ["http://[fe80::1]/", "link-local address (fe80::/10)"],
    ["http://[fc00::1]/", "unique-local address (fc00::/7)"],
    ["http://[fd12:3456::1]/", "unique-local address (fc00::/7)"],
    ["http://[ff02::1]/", "multicast address (ff00::/8)"],
    ["http://internal.test:{PORT}/", "internal.test resolves to 10.0.0.5, private address (10.0.0.0/8)"],
    ["http://nip.test:{PORT}/", "nip.test resolves to 127.0.0.1, loopback address"],
    ["http://mixed.test/", "mixed.test resolves to 10.0.0.5, private address"],
    ["http://mixed6.test/", "mixed6.test resolves to ::1, loopback address"],
    ["http://metadata-alias.test/", "resolves to 169.254.169.254, cloud metadata address"],
    ["http://mapped.test:{PORT}/", "resolves to ::ffff:7f00:1, IPv4-mapped IPv6 address"],
    ["http://nat64.test/", "NAT64 address embedding 169.254.169.254, cloud metadata address"],
    ["file:///etc/passwd", "fetch to file:///etc/passwd refused: scheme file: is not allowed"],
    [
      "ftp://user:hunter2@public.test/file",
      "fetch to ftp://public.test/file refused: scheme ftp: is not allowed",
    ],
    ["data:text/plain,hello", "scheme data: is not allowed"],
    ["ftp://public.test/file", "scheme ftp: is not allowed"],
    ["gopher://public.test:70/_stats", "scheme gopher: is not allowed"],
    ["ws://public.test/socket", "scheme ws: is not allowed"],
    ["javascript:alert(1)", "scheme javascript: is not allowed"],
    ["blob:https://public.test/0b7a", "scheme blob: is not allowed"],
    [
      "http://user:hunter2@public.test/",
      "fetch to http://public.test/ refused: credentials in the URL are not allowed",
    ],
    [
      "http://10.0.0.5/admin?token=hunter2#hunter2",
      "fetch to http://10.0.0.5/admin refused: private address",
    ],
    ["http://public.test:25/", "port 25 is blocked"],
    ["http://public.test:6667/", "port 6667 is blocked"],
  ];

  it.each(table)("%s → %s", async (pattern, reason) => {
    const url = pattern.replace("{PORT}", String(local.port));
    const error = await refusal(guardedFetch(get(url), new AbortController().signal));
    expect(error.message).toMatch(/^fetch to .+ refused: /);
    expect(error.message).toContain(reason);
    expect(error.message).not.toContain("hunter2");
  });

  it("never connected to the local server", () => {
    expect(local.connections).toBe(0);
    expect(local.requests).toHaveLength(0);
  });

  it("rejects a URL that does not parse", async () => {
    const error = await refusal(guardedFetch(get("http://exa mple.com/"), new AbortController().signal));
    expect(error.message).toBe("fetch: invalid URL");
  });

  it("reports an unknown host as a failure, not a refusal", async () => {
    const error = await refusal(guardedFetch(get("http://nowhere.test/"), new AbortController().signal));
    expect(error.message).toBe(
      "fetch to http://nowhere.test/ failed: could not resolve nowhere.test (ENOTFOUND)",
    );
  });
});

describe("DNS rebinding", () => {
  it("connects only to the address it checked, with one lookup (no hooks: two loopback servers)", async () => {
    // The internal target on 127.0.0.1 and a stand-in for "the public server" on 127.0.0.2, same port.
    const standIn = await startHttpServer((_req, res) => res.end("stand-in"), "127.0.0.2", local.port);
    try {
      let calls = 0;
      const flipping: Resolver = async () => [
        { address: ++calls === 1 ? "127.0.0.2" : "127.0.0.1", family: 4 },
      ];
      const guardedFetch = createGuardedFetch({ allow: ["127.0.0.2"], resolve: flipping });

      const first = await guardedFetch(
        get(`http://rebind.test:${local.port}/`),
        new AbortController().signal,
      );
      expect(Buffer.from(first.body).toString()).toBe("stand-in");
      expect(calls).toBe(1);

      const second = await refusal(
        guardedFetch(get(`http://rebind.test:${local.port}/`), new AbortController().signal),
      );
      expect(second.message).toContain("rebind.test resolves to 127.0.0.1, loopback address");
      expect(standIn.requests).toHaveLength(1);
      expect(local.connections).toBe(0);
    } finally {
      await standIn.close();
    }
  });

  it("pins a public answer: the dialer sees only the first-checked address", async () => {
    const standIn = await startHttpServer((_req, res) => res.end("public"));
    const dialed: string[] = [];
    // Stands in for the internet: the pinned public address is routed to a local server.
    const dispatcher = new Agent({
      connect(options, callback) {
        dialed.push(options.hostname);
        const port = options.hostname === PUBLIC_IP ? standIn.port : local.port;
        const socket = net.connect({ host: "127.0.0.1", port });
        socket.once("connect", () => callback(null, socket));
        socket.once("error", (error) => callback(error, null));
      },
    });
    try {
      let calls = 0;
      const flipping: Resolver = async () => [
        { address: ++calls === 1 ? PUBLIC_IP : "127.0.0.1", family: 4 },
      ];
      const guardedFetch = createGuardedFetch({ resolve: flipping, dispatcher });

      const response = await guardedFetch(get("http://rebind.test/a?b=c"), new AbortController().signal);
      expect(response.status).toBe(200);
      expect(Buffer.from(response.body).toString()).toBe("public");
      expect(dialed).toEqual([PUBLIC_IP]);
      expect(calls).toBe(1);
      expect(standIn.requests[0]).toMatchObject({ url: "/a?b=c", headers: { host: "rebind.test" } });

      await refusal(guardedFetch(get("http://rebind.test/"), new AbortController().signal));
      expect(dialed).toEqual([PUBLIC_IP]);
      expect(local.connections).toBe(0);
    } finally {
      await dispatcher.close();
      await standIn.close();
    }
  });
});

describe("mixed answers", () => {
  it("refuses a name with public and loopback answers without dialing any of them", async () => {
    const dialed: string[] = [];
    const dispatcher = new Agent({
      connect(options, callback) {
        dialed.push(options.hostname);
        callback(new Error("no dial expected"), null);
      },
    });
    try {
      const resolve: Resolver = async () => [
        { address: PUBLIC_IP, family: 4 },
        { address: "127.0.0.1", family: 4 },
      ];
      const guardedFetch = createGuardedFetch({ resolve, dispatcher });
      const error = await refusal(
        guardedFetch(get(`http://mixed.test:${local.port}/`), new AbortController().signal),
      );
      expect(error.message).toContain("mixed.test resolves to 127.0.0.1, loopback address (127.0.0.0/8)");
      expect(dialed).toEqual([]);
      expect(local.connections).toBe(0);
    } finally {
      await dispatcher.close();
    }
  });
});

describe("allowlist", () => {
  const resolver = tableResolver({
    "nas.test": ["127.0.0.1"],
    "imds.test": ["169.254.169.254"],
  });

  it("lets an allowlisted address through, on any port unless one is named", async () => {
    const other = await startHttpServer((_req, res) => res.end("other"));
    try {
      const anyPort = createGuardedFetch({ allow: ["127.0.0.1"] });
      expect((await anyPort(get(`${other.origin}/`), new AbortController().signal)).status).toBe(200);

      const onePort = createGuardedFetch({ allow: [`127.0.0.1:${other.port}`] });
      expect((await onePort(get(`${other.origin}/`), new AbortController().signal)).status).toBe(200);
      const error = await refusal(onePort(get(`${local.origin}/`), new AbortController().signal));
      expect(error.message).toContain("loopback address");
    } finally {
      await other.close();
    }
  });

  it("lets an allowlisted host name through, but not the same address by another name", async () => {
    const guardedFetch = createGuardedFetch({ allow: ["nas.test"], resolve: resolver });
    const before = local.requests.length;
    const response = await guardedFetch(get(`http://nas.test:${local.port}/`), new AbortController().signal);
    expect(Buffer.from(response.body).toString()).toBe("internal data");
    expect(local.requests.at(-1)?.headers.host).toBe(`nas.test:${local.port}`);
    await refusal(guardedFetch(get(`${local.origin}/`), new AbortController().signal));
    expect(local.requests.length).toBe(before + 1);
  });

  it("never unlocks cloud metadata through a host name or a broad range", async () => {
    const byName = createGuardedFetch({ allow: ["imds.test"], resolve: resolver });
    expect((await refusal(byName(get("http://imds.test/"), new AbortController().signal))).message).toContain(
      "cloud metadata address",
    );
    const byRange = createGuardedFetch({ allow: ["169.254.0.0/16"] });
    expect(
      (await refusal(byRange(get("http://169.254.169.254/"), new AbortController().signal))).message,
    ).toContain("cloud metadata address");
  });

  it("rejects an invalid entry when the fetch is built", () => {
    expect(() => createGuardedFetch({ allow: ["10.0.0.0/40"] })).toThrow(
      /invalid fetch allowlist entry "10.0.0.0\/40"/,
    );
  });
});
