/**
 * The admin-API test harness: a fresh instance per test (database, services,
 * the real Hono app) and clients that call it in-process as a given user or API
 * key, exactly as HTTP clients would.
 *
 * @example
 *   describe.each(testDbKinds())("apps [%s]", (kind) => {
 *     const h = useHarness(kind);
 *     it("creates", async () => {
 *       const owner = await h.user("owner");
 *       expect((await owner.post("/apps", { name: "Blog" })).status).toBe(201);
 *     });
 *   });
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Hono } from "hono";
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { AdminEnv } from "../auth/http.js";
import type { InstanceRole } from "../auth/schema.js";
import type { EmailConfig, EventsConfig, RealtimeConfig, RuntimeConfig } from "../config/env.js";
import { createLogger, type Logger } from "../lib/logger.js";
import { createHttpApp } from "../server/http-app.js";
import { createServices, type Services } from "../server/services.js";
import { openTestDatabase, type TestDatabase, type TestDbKind } from "./database.js";

export interface TestResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class TestClient {
  constructor(
    private readonly app: Hono<AdminEnv>,
    private readonly auth: { cookie?: string; bearer?: string },
    readonly userId: string,
    readonly email: string,
  ) {}

  /** The Cookie header a browser holding this user's session would send. */
  cookieHeader(): string {
    return `picloud_session=${this.auth.cookie ?? ""}`;
  }

  /** A raw request against the admin API (path relative to /api/v1/admin). */
  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<TestResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.auth.cookie) h.cookie = this.cookieHeader();
    if (this.auth.bearer) h.authorization = `Bearer ${this.auth.bearer}`;
    let payload: string | undefined;
    if (body !== undefined) {
      h["content-type"] ??= "application/json";
      payload = typeof body === "string" ? body : JSON.stringify(body);
    }
    const res = await this.app.request(`/api/v1/admin${path}`, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get = <T = any>(path: string) => this.request<T>("GET", path);
  post = <T = any>(path: string, body?: unknown) => this.request<T>("POST", path, body ?? {});
  patch = <T = any>(path: string, body: unknown) => this.request<T>("PATCH", path, body);
  put = <T = any>(path: string, body: unknown) => this.request<T>("PUT", path, body);
  delete = <T = any>(path: string) => this.request<T>("DELETE", path);

  /** Mints an API key as this user and returns a client that uses it. */
  async withKey(scopes: string[], app?: string): Promise<TestClient> {
    const res = await this.post("/api-keys", {
      name: `k-${scopes.join("-")}`,
      scopes,
      ...(app ? { app } : {}),
    });
    if (res.status !== 201) throw new Error(`minting failed: ${res.status} ${JSON.stringify(res.body)}`);
    return new TestClient(this.app, { bearer: res.body.token }, this.userId, this.email);
  }
}

export interface Harness {
  readonly services: Services;
  readonly http: Hono<AdminEnv>;
  readonly testDb: TestDatabase;
  /** Creates an admin user with the role and returns a client logged in as them (a real session). */
  user(role: InstanceRole, email?: string): Promise<TestClient>;
  /** A client with no credentials. */
  anonymous(): TestClient;
  /**
   * Deploys `body` as the fetch handler of a script in `app` (as `client`) and
   * runs it once through the admin invoke API; returns the parsed JSON it
   * answered, or its error.
   */
  runScript(client: TestClient, body: string, opts?: { app?: string; name?: string }): Promise<any>;
}

const PASSWORD = "correct horse battery";

/** Runtime limits for tests: the defaults, but a shorter time limit so limit tests stay quick. */
export const TEST_RUNTIME: RuntimeConfig = {
  maxConcurrent: 8,
  // One sandbox thread: the production path (bindings answered across threads), cheap per test file.
  sandboxThreads: 1,
  sandboxSnapshots: true,
  sandboxMemoryBytes: 256 * 1024 * 1024,
  sandboxIdleMs: 300_000,
  timeoutMs: 2000,
  maxTimeoutMs: 10_000,
  memoryMb: 64,
  maxMemoryMb: 256,
  maxRequestBytes: 1024 * 1024,
  maxResponseBytes: 4 * 1024 * 1024,
  maxLogBytes: 64 * 1024,
  executionRetentionDays: 7,
};

/** Event delivery for tests: fast retries and a short poll, so delivery tests finish quickly. */
export const TEST_EVENTS: EventsConfig = {
  maxDepth: 8,
  retry: { maxAttempts: 3, backoff: "constant", delayMs: 20, maxDelayMs: 100 },
  leaseMs: 30_000,
  pollMs: 200,
  outboxRetentionHours: 24,
  deadLetterRetentionDays: 30,
};

/** Realtime for tests: quick heartbeats so heartbeat behaviour is observable. */
export const TEST_REALTIME: RealtimeConfig = {
  heartbeatMs: 200,
  replaySeconds: 3600,
  replayMax: 1000,
  bufferPerSubscriber: 1000,
  maxMessageBytes: 65_536,
};

export function useHarness(
  kind: TestDbKind,
  opts: {
    runtime?: Partial<RuntimeConfig>;
    realtime?: Partial<RealtimeConfig>;
    events?: Partial<Omit<EventsConfig, "retry">> & { retry?: Partial<EventsConfig["retry"]> };
    files?: { maxFileBytes: number };
    adminHostApp?: string;
    /** Default: a random master key per harness. */
    masterKeys?: { current: Buffer; previous: Buffer | null };
    /** Default: a silent logger. */
    log?: Logger;
    /** Outbound e-mail (default: no transport); a function is called when the harness starts. */
    email?: EmailConfig | (() => EmailConfig);
  } = {},
): Harness {
  let testDb: TestDatabase;
  let services: Services;
  let http: Hono<AdminEnv>;
  let n = 0;
  let dataDir: string | undefined;
  beforeAll(async () => {
    testDb = await openTestDatabase(kind);
    dataDir = mkdtempSync(path.join(os.tmpdir(), "picloud-test-"));
    services = createServices(
      testDb.database,
      {
        publicUrl: "http://localhost:8787",
        trustProxy: false,
        sessionTtlMs: 3_600_000,
        baseDomain: "localhost",
        adminHostApp: opts.adminHostApp ?? null,
        runtime: { ...TEST_RUNTIME, ...opts.runtime },
        events: { ...TEST_EVENTS, ...opts.events, retry: { ...TEST_EVENTS.retry, ...opts.events?.retry } },
        realtime: { ...TEST_REALTIME, ...opts.realtime },
        processMetrics: false,
        dataDir,
        files: opts.files,
        masterKeys: opts.masterKeys ?? { current: randomBytes(32), previous: null },
        email: typeof opts.email === "function" ? opts.email() : opts.email,
      },
      opts.log ?? createLogger("silent"),
    );
    http = createHttpApp(services);
  });
  beforeEach(async () => {
    await testDb.reset();
  });
  afterAll(async () => {
    services?.shutdown.abort();
    await services?.dispatcher.stop(2000);
    services?.email.close();
    await services?.recorder.flush();
    services?.sandbox.dispose();
    await testDb?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    get services() {
      return services;
    },
    get http() {
      return http;
    },
    get testDb() {
      return testDb;
    },
    async user(role, email = `${role}${++n}@example.com`) {
      const u = await services.users.create({ email, password: PASSWORD, role }, null);
      const session = await services.sessions.create(u.id, "test");
      return new TestClient(http, { cookie: session.token }, u.id, u.email);
    },
    anonymous() {
      return new TestClient(http, {}, "", "");
    },
    async runScript(client, body, opts = {}) {
      const app = opts.app ?? "default";
      const name = opts.name ?? "probe";
      const source = `export default { async fetch(request, env, ctx) { ${body} } }`;
      const deployed = await client.post(`/apps/${app}/deploy`, { scripts: [{ name, source }] });
      if (deployed.status !== 200) throw new Error(`deploy failed: ${JSON.stringify(deployed.body)}`);
      const res = await client.post(`/apps/${app}/scripts/${encodeURIComponent(name)}/invoke`, {});
      if (res.body.status !== "ok")
        return { failed: res.body.status, error: res.body.error, logs: res.body.logs };
      const text = res.body.response.body as string;
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    },
  };
}

export const TEST_PASSWORD = PASSWORD;
