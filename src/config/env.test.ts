import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadDaemonConfig } from "./env.js";

const load = (env: Record<string, string>) => loadDaemonConfig(env, "/srv/pi");

describe("daemon configuration", () => {
  it("has working defaults: port 8787, PGlite under ./.picloud, localhost", () => {
    const c = load({});
    expect(c).toMatchObject({
      port: 8787,
      host: "127.0.0.1",
      dataDir: "/srv/pi/.picloud",
      database: { kind: "pglite", dataDir: path.join("/srv/pi/.picloud", "db") },
      bootstrapAdmin: null,
      publicUrl: "http://localhost:8787",
      baseDomain: "localhost",
      adminHostApp: null,
      logLevel: "info",
      trustProxy: false,
    });
  });

  it("uses PostgreSQL when DATABASE_URL is set", () => {
    expect(load({ DATABASE_URL: "postgres://u@db:5432/pi" }).database).toEqual({
      kind: "postgres",
      url: "postgres://u@db:5432/pi",
    });
  });

  it("reads every documented variable", () => {
    const c = load({
      PICLOUD_PORT: "9000",
      PICLOUD_HOST: "0.0.0.0",
      PICLOUD_DATA_DIR: "/var/lib/picloud",
      PICLOUD_ADMIN_EMAIL: "me@example.com",
      PICLOUD_ADMIN_PASSWORD: "a long password",
      PICLOUD_PUBLIC_URL: "https://pi.example.com/",
      PICLOUD_BASE_DOMAIN: "Apps.Example.com",
      PICLOUD_ADMIN_HOST_APP: "default",
      PICLOUD_LOG_LEVEL: "debug",
      PICLOUD_TRUST_PROXY: "true",
      PICLOUD_SESSION_TTL_HOURS: "24",
      PICLOUD_SHUTDOWN_TIMEOUT_MS: "500",
    });
    expect(c).toMatchObject({
      port: 9000,
      host: "0.0.0.0",
      dataDir: "/var/lib/picloud",
      bootstrapAdmin: { email: "me@example.com", password: "a long password" },
      publicUrl: "https://pi.example.com",
      baseDomain: "apps.example.com",
      adminHostApp: "default",
      logLevel: "debug",
      trustProxy: true,
      sessionTtlMs: 24 * 3_600_000,
      shutdownTimeoutMs: 500,
    });
  });

  const bad: [Record<string, string>, string][] = [
    [{ PICLOUD_PORT: "http" }, 'PICLOUD_PORT="http": must be a whole number between 0 and 65535'],
    [{ PICLOUD_PORT: "70000" }, 'PICLOUD_PORT="70000": must be between 0 and 65535'],
    [{ DATABASE_URL: "mysql://x" }, 'DATABASE_URL="mysql://x": must be a postgres:// or postgresql:// URL'],
    [{ PICLOUD_LOG_LEVEL: "loud" }, 'PICLOUD_LOG_LEVEL="loud": must be one of'],
    [{ PICLOUD_TRUST_PROXY: "maybe" }, 'PICLOUD_TRUST_PROXY="maybe": must be true or false'],
    [{ PICLOUD_PUBLIC_URL: "pi.local" }, 'PICLOUD_PUBLIC_URL="pi.local": must be an absolute URL'],
    [{ PICLOUD_BASE_DOMAIN: "http://x" }, 'PICLOUD_BASE_DOMAIN="http://x": must be a hostname'],
    [{ PICLOUD_ADMIN_HOST_APP: "My App" }, 'PICLOUD_ADMIN_HOST_APP="My App": must be an app slug'],
    [
      { PICLOUD_ADMIN_EMAIL: "me@example.com" },
      "PICLOUD_ADMIN_EMAIL and PICLOUD_ADMIN_PASSWORD must be set together",
    ],
    [
      { PICLOUD_ADMIN_EMAIL: "me@example.com", PICLOUD_ADMIN_PASSWORD: "short" },
      "PICLOUD_ADMIN_PASSWORD: must be at least 10",
    ],
    [
      { PICLOUD_ADMIN_EMAIL: "me", PICLOUD_ADMIN_PASSWORD: "a long password" },
      'PICLOUD_ADMIN_EMAIL="me": must be an e-mail',
    ],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)}`, () => {
      expect(() => load(env)).toThrow(ConfigError);
      expect(() => load(env)).toThrow(message);
    });
  }

  it("reports every problem at once", () => {
    try {
      load({ PICLOUD_PORT: "x", PICLOUD_LOG_LEVEL: "y" });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toHaveLength(2);
    }
  });
});

describe("the master key of secrets", () => {
  const key = Buffer.alloc(32, 7).toString("base64");
  const other = Buffer.alloc(32, 9).toString("base64");

  it.each([
    ["no key in development: the key file under the data dir", {}, null, false],
    ["a key", { PICLOUD_SECRET_KEY: key }, key, false],
    ["a key in production", { PICLOUD_SECRET_KEY: key, PICLOUD_ENV: "production" }, key, true],
    [
      "NODE_ENV=production with a key",
      { PICLOUD_SECRET_KEY: ` ${key}\n`, NODE_ENV: "production" },
      key,
      true,
    ],
  ])("accepts %s", (_label, env, expected, production) => {
    const c = load(env as Record<string, string>);
    expect(c.production).toBe(production);
    expect(c.secrets.key?.toString("base64") ?? null).toBe(expected);
    expect(c.secrets.keyFile).toBe(path.join("/srv/pi/.picloud", "secret.key"));
  });

  it("reads the previous key of a rotation", () => {
    const c = load({ PICLOUD_SECRET_KEY: key, PICLOUD_SECRET_KEY_PREVIOUS: other });
    expect(c.secrets.previousKey?.toString("base64")).toBe(other);
  });

  it.each([
    [{ PICLOUD_ENV: "production" }, "PICLOUD_SECRET_KEY is required in production"],
    [{ NODE_ENV: "production" }, "make one with `openssl rand -base64 32`"],
    [{ PICLOUD_SECRET_KEY: "c2hvcnQ=" }, "PICLOUD_SECRET_KEY: must be base64 of 32 bytes"],
    [{ PICLOUD_SECRET_KEY: "not base64!" }, "PICLOUD_SECRET_KEY: must be base64"],
    [{ PICLOUD_SECRET_KEY_PREVIOUS: key }, "PICLOUD_SECRET_KEY_PREVIOUS is set without PICLOUD_SECRET_KEY"],
    [{ PICLOUD_ENV: "prod" }, 'PICLOUD_ENV="prod": must be production, development or test'],
  ])("refuses %j", (env, message) => {
    expect(() => load(env as Record<string, string>)).toThrow(message);
  });

  it("never repeats a bad key's value in the message", () => {
    const almost = `${key.slice(0, -1)}x`; // 33 bytes: a real key with a typo
    try {
      load({ PICLOUD_SECRET_KEY: almost, PICLOUD_SECRET_KEY_PREVIOUS: almost });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).message).not.toContain(almost);
      expect((err as ConfigError).problems).toHaveLength(2);
    }
  });

  describe("outbound e-mail", () => {
    it("has no transport and default limits unless set", () => {
      expect(load({}).email).toEqual({
        transport: null,
        perMinute: 60,
        perDay: 1000,
        maxMessageBytes: 10 * 1024 * 1024,
        concurrency: 4,
        retentionDays: 30,
      });
    });

    it("reads an SMTP URL, or an API URL with its key, and the limits", () => {
      expect(load({ PICLOUD_SMTP_URL: "smtps://u:p%40ss@smtp.example.com:465" }).email.transport).toEqual({
        kind: "smtp",
        url: "smtps://u:p%40ss@smtp.example.com:465",
      });
      const c = load({
        PICLOUD_EMAIL_API_URL: "https://api.resend.com/",
        PICLOUD_EMAIL_API_KEY: "re_123",
        PICLOUD_EMAIL_PER_MINUTE: "10",
        PICLOUD_EMAIL_PER_DAY: "200",
        PICLOUD_EMAIL_MAX_BYTES: "2048",
        PICLOUD_EMAIL_CONCURRENCY: "2",
        PICLOUD_EMAIL_RETENTION_DAYS: "7",
      }).email;
      expect(c).toEqual({
        transport: { kind: "http", url: "https://api.resend.com", apiKey: "re_123" },
        perMinute: 10,
        perDay: 200,
        maxMessageBytes: 2048,
        concurrency: 2,
        retentionDays: 7,
      });
    });

    it.each([
      [{ PICLOUD_SMTP_URL: "mail.example.com:25" }, "PICLOUD_SMTP_URL: must be smtp://"],
      [
        {
          PICLOUD_SMTP_URL: "smtp://a@b",
          PICLOUD_EMAIL_API_URL: "https://api.resend.com",
          PICLOUD_EMAIL_API_KEY: "k",
        },
        "choose one outbound e-mail transport",
      ],
      [{ PICLOUD_EMAIL_API_URL: "https://api.resend.com" }, "must be set together"],
      [
        { PICLOUD_EMAIL_API_URL: "ftp://x", PICLOUD_EMAIL_API_KEY: "k" },
        'PICLOUD_EMAIL_API_URL="ftp://x": must be an http',
      ],
      [{ PICLOUD_EMAIL_PER_MINUTE: "-1" }, "PICLOUD_EMAIL_PER_MINUTE"],
    ])("refuses %j", (env, message) => {
      expect(() => load(env as Record<string, string>)).toThrow(message);
    });

    it("never repeats the SMTP URL (it holds a password) in a message", () => {
      try {
        load({ PICLOUD_SMTP_URL: "mail://user:hunter2@relay" });
        expect.unreachable();
      } catch (err) {
        expect((err as ConfigError).message).toContain("PICLOUD_SMTP_URL: must be smtp://");
        expect((err as ConfigError).message).not.toContain("hunter2");
      }
    });
  });
});

describe("inbound SMTP", () => {
  it("is off by default; a port alone binds every interface; host:port and [v6]:port bind one", () => {
    expect(load({}).smtpIn).toBeNull();
    expect(load({ PICLOUD_SMTP_LISTEN: "2525" }).smtpIn).toMatchObject({
      host: "0.0.0.0",
      port: 2525,
      maxBytes: 10 * 1024 * 1024,
      tls: null,
    });
    expect(load({ PICLOUD_SMTP_LISTEN: "127.0.0.1:25" }).smtpIn).toMatchObject({
      host: "127.0.0.1",
      port: 25,
    });
    expect(
      load({
        PICLOUD_SMTP_LISTEN: "[::1]:2525",
        PICLOUD_SMTP_TLS_CERT: "c.pem",
        PICLOUD_SMTP_TLS_KEY: "k.pem",
      }).smtpIn,
    ).toMatchObject({
      host: "::1",
      tls: { certFile: "/srv/pi/c.pem", keyFile: "/srv/pi/k.pem" },
    });
  });
  it.each([
    [{ PICLOUD_SMTP_LISTEN: "smtp" }, /PICLOUD_SMTP_LISTEN="smtp": must be a port/],
    [{ PICLOUD_SMTP_LISTEN: "70000" }, /PICLOUD_SMTP_LISTEN="70000": must be a port/],
    [
      { PICLOUD_SMTP_LISTEN: "2525", PICLOUD_SMTP_TLS_CERT: "c.pem" },
      /PICLOUD_SMTP_TLS_CERT and PICLOUD_SMTP_TLS_KEY must be set together/,
    ],
    [{ PICLOUD_SMTP_MAX_BYTES: "10" }, /PICLOUD_SMTP_MAX_BYTES="10": must be between/],
  ])("refuses %j", (env, message) => {
    expect(() => load(env)).toThrow(message);
  });
});
