/**
 * App secrets end to end through the public surfaces: the admin API (write-only,
 * names and dates), `env.secrets.get` in a script, and what must never show a
 * value (responses, execution records, logs, tail events, the database).
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apps } from "../../apps/schema.js";
import type { TailEvent } from "../../executions/live-tail.js";
import { Keyring } from "../../lib/keyring.js";
import { createLogger } from "../../lib/logger.js";
import { realtimeKeys } from "../../realtime/schema.js";
import { SubscriberTokens } from "../../realtime/subscriber-tokens.js";
import { testDbKinds } from "../../testing/database.js";
import { useHarness } from "../../testing/harness.js";
import { appSecrets } from "./schema.js";
import { SecretsService } from "./service.js";

const VALUE = "sk_live_9f8e7d6c5b4a3210-not-to-be-seen";

describe.each(testDbKinds())("secrets through the admin API [%s]", (kind) => {
  const h = useHarness(kind);

  it("creates, replaces, lists (names and dates only) and deletes", async () => {
    const owner = await h.user("owner");
    const created = await owner.request("PUT", "/apps/default/secrets/API_KEY", { value: VALUE });
    expect(created.status).toBe(201);
    expect(created.body.secret).toEqual({
      name: "API_KEY",
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const replaced = await owner.request("PUT", "/apps/default/secrets/API_KEY", { value: "v2" });
    expect(replaced.status).toBe(200);
    await owner.request("PUT", "/apps/default/secrets/_other", { value: "" });
    const list = await owner.get("/apps/default/secrets");
    expect(list.status).toBe(200);
    expect(list.body.secrets.map((s: { name: string }) => s.name)).toEqual(["API_KEY", "_other"]);
    expect(Object.keys(list.body.secrets[0]).sort()).toEqual(["createdAt", "name", "updatedAt"]);
    expect(JSON.stringify(list.body)).not.toContain("v2");
    expect((await owner.delete("/apps/default/secrets/API_KEY")).status).toBe(204);
    const again = await owner.delete("/apps/default/secrets/API_KEY");
    expect([again.status, again.body.error?.code]).toEqual([404, "not_found"]);
    expect((await owner.get("/apps/default/secrets")).body.secrets).toHaveLength(1);
  });

  it.each([
    ["a name starting with a digit", "/apps/default/secrets/1ABC", { value: "x" }, "secret name"],
    ["a name with a dash", "/apps/default/secrets/MY-KEY", { value: "x" }, "secret name"],
    ["a name of 129 characters", `/apps/default/secrets/${"A".repeat(129)}`, { value: "x" }, "secret name"],
    ["a value that is not a string", "/apps/default/secrets/K", { value: 42 }, "value"],
    ["no value", "/apps/default/secrets/K", {}, "value"],
    ["an extra field", "/apps/default/secrets/K", { value: "x", name: "K" }, "name"],
    ["a value over 64 KiB", "/apps/default/secrets/K", { value: "é".repeat(32 * 1024 + 1) }, "value"],
  ])("refuses %s with a 400 naming the field", async (_label, path, body, field) => {
    const owner = await h.user("owner");
    const res = await owner.request("PUT", path, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
    expect(JSON.stringify(res.body)).not.toContain("éé");
    expect((await owner.get("/apps/default/secrets")).body.secrets).toEqual([]);
  });

  it("lets editors set secrets and viewers list names, and hides other apps' secrets (404)", async () => {
    const owner = await h.user("owner");
    expect((await owner.post("/apps", { name: "Blog", slug: "blog" })).status).toBe(201);
    const editor = await h.user("member");
    const viewer = await h.user("member");
    const stranger = await h.user("member");
    await owner.post("/apps/blog/members", { userId: editor.userId, role: "editor" });
    await owner.post("/apps/blog/members", { userId: viewer.userId, role: "viewer" });
    await owner.request("PUT", "/apps/default/secrets/DEFAULT_ONLY", { value: VALUE });

    const cases: [string, Promise<{ status: number }>, number][] = [
      ["editor puts", editor.request("PUT", "/apps/blog/secrets/TOKEN", { value: "e" }), 201],
      ["viewer puts", viewer.request("PUT", "/apps/blog/secrets/TOKEN", { value: "v" }), 403],
      ["viewer lists", viewer.get("/apps/blog/secrets"), 200],
      ["viewer deletes", viewer.delete("/apps/blog/secrets/TOKEN"), 403],
      ["stranger lists", stranger.get("/apps/blog/secrets"), 404],
      ["stranger puts", stranger.request("PUT", "/apps/blog/secrets/TOKEN", { value: "s" }), 404],
      ["another app's secret by name", owner.delete("/apps/blog/secrets/DEFAULT_ONLY"), 404],
    ];
    for (const [label, res, status] of cases) expect([label, (await res).status]).toEqual([label, status]);

    const readKey = await owner.withKey(["script:read"]);
    expect((await readKey.get("/apps/blog/secrets")).status).toBe(200);
    expect((await readKey.request("PUT", "/apps/blog/secrets/X", { value: "k" })).status).toBe(403);
    const writeKey = await owner.withKey(["script:write"], "blog");
    expect((await writeKey.request("PUT", "/apps/blog/secrets/X", { value: "k" })).status).toBe(201);
    expect((await writeKey.get("/apps/default/secrets")).status).toBe(404);
  });
});

describe.each(testDbKinds())("re-encryption on request [%s]", (kind) => {
  const h = useHarness(kind);

  it("is for owners and admins with instance:admin, and reports what is left", async () => {
    const owner = await h.user("owner");
    await owner.request("PUT", "/apps/default/secrets/A", { value: "a" });
    const member = await h.user("member");
    const appKey = await owner.withKey(["app:admin", "script:write"]);
    const cases: [string, Promise<{ status: number }>, number][] = [
      ["member", member.post("/secret-key/reencrypt"), 403],
      ["key without instance:admin", appKey.post("/secret-key/reencrypt"), 403],
      ["anonymous", h.anonymous().post("/secret-key/reencrypt"), 401],
    ];
    for (const [label, res, status] of cases) expect([label, (await res).status]).toEqual([label, status]);
    const res = await owner.post("/secret-key/reencrypt");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      currentKeyId: h.services.masterKeyIds.current,
      previousKeyId: null,
      secrets: { reencrypted: 0, unreadable: 0, remaining: 0 },
      realtimeKeys: { reencrypted: 0, unreadable: 0, remaining: 0 },
    });
    expect(res.body.currentKeyId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe.each(testDbKinds())("env.secrets as a script sees it [%s]", (kind) => {
  const lines: string[] = [];
  const log = createLogger(
    "trace",
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const h = useHarness(kind, { log });

  const appId = async (slug: string) => {
    const [row] = await h.services.database.db.select({ id: apps.id }).from(apps).where(eq(apps.slug, slug));
    return row!.id;
  };

  it("reads a secret or null, refuses bad names, and never sees another app's secret", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog", slug: "blog" });
    await owner.request("PUT", "/apps/default/secrets/API_KEY", { value: VALUE });
    await owner.request("PUT", "/apps/blog/secrets/BLOG_ONLY", { value: "blog's" });
    const out = await h.runScript(
      owner,
      `const bad = async (n) => { try { await env.secrets.get(n); return "no error"; } catch (e) { return e.name + ": " + e.message; } };
       return Response.json({
         same: (await env.secrets.get("API_KEY")) === ${JSON.stringify(VALUE)},
         twice: (await env.secrets.get("API_KEY")) === (await env.secrets.get("API_KEY")),
         missing: await env.secrets.get("NOPE"),
         otherApp: await env.secrets.get("BLOG_ONLY"),
         notString: await bad(42),
         badName: await bad("has space"),
         envName: typeof env.API_KEY,
       });`,
    );
    expect(out).toEqual({
      same: true,
      twice: true,
      missing: null,
      otherApp: null,
      notString: "TypeError: secrets.get(name): name must be a string",
      badName:
        "TypeError: secrets.get(name): name must be 1-128 letters, digits or _ and not start with a digit",
      envName: "undefined",
    });
    // Not cached across executions: a new value is seen by the next run.
    await owner.request("PUT", "/apps/default/secrets/API_KEY", { value: "rotated" });
    expect(await h.runScript(owner, `return new Response(await env.secrets.get("API_KEY"));`)).toBe(
      "rotated",
    );
  });

  it("shows the value in no response, execution record, log line, tail event or stored column", async () => {
    const owner = await h.user("owner");
    const id = await appId("default");
    const tail: TailEvent[] = [];
    const unsubscribe = h.services.tail.subscribe(id, (e) => tail.push(e));
    const seen: unknown[] = [];
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await owner.request(method, path, body);
      seen.push(res.status, res.body, [...res.headers]);
      return res;
    };
    await api("PUT", "/apps/default/secrets/API_KEY", { value: VALUE });
    const source = `export default { async fetch(request, env) {
      const key = await env.secrets.get("API_KEY");
      console.log("calling the API with a key of", key.length, "characters");
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
      return Response.json({ ok: key.startsWith("sk_live_"), digestBytes: digest.byteLength });
    } }`;
    expect((await api("POST", "/apps/default/deploy", { scripts: [{ name: "uses", source }] })).status).toBe(
      200,
    );
    const run = await api("POST", "/apps/default/scripts/uses/invoke", {});
    expect(run.body.status).toBe("ok");
    expect(JSON.parse(run.body.response.body)).toEqual({ ok: true, digestBytes: 32 });
    await h.services.recorder.flush();
    const list = await api("GET", "/apps/default/executions");
    expect(list.body.items.length).toBeGreaterThan(0);
    for (const e of list.body.items) {
      const detail = await api("GET", `/apps/default/executions/${e.id}`);
      expect(detail.status).toBe(200);
    }
    await api("GET", "/apps/default/secrets");
    unsubscribe();

    const logs = JSON.stringify(seen);
    expect(logs).toContain("calling the API with a key of"); // the records were really read
    expect(tail.some((e) => e.type === "log")).toBe(true);
    expect(lines.some((l) => l.includes('"secret set"'))).toBe(true);
    const rows = await h.services.database.db.select().from(appSecrets);
    const places: [string, string][] = [
      ["admin API responses", logs],
      ["tail events", JSON.stringify(tail)],
      ["server log lines", lines.join("\n")],
      ["stored rows", JSON.stringify(rows)],
    ];
    for (const [where, text] of places) {
      expect([where, text.includes(VALUE)]).toEqual([where, false]);
      expect([where, text.includes(Buffer.from(VALUE).toString("base64"))]).toEqual([where, false]);
    }
  });

  it("fails clearly, without plaintext, when a ciphertext is moved or altered or the key is wrong", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog", slug: "blog" });
    await owner.request("PUT", "/apps/default/secrets/API_KEY", { value: VALUE });
    await owner.request("PUT", "/apps/default/secrets/MOVED", { value: "placeholder" });
    await owner.request("PUT", "/apps/blog/secrets/API_KEY", { value: "placeholder" });
    const { db } = h.services.database;
    const defaultId = await appId("default");
    const blogId = await appId("blog");
    const [original] = await db
      .select()
      .from(appSecrets)
      .where(and(eq(appSecrets.appId, defaultId), eq(appSecrets.name, "API_KEY")));
    const sealed = { ciphertext: original!.ciphertext, nonce: original!.nonce, keyId: original!.keyId };
    // Copied to another name of the same app, and to the same name in another app.
    await db
      .update(appSecrets)
      .set(sealed)
      .where(and(eq(appSecrets.appId, defaultId), eq(appSecrets.name, "MOVED")));
    await db
      .update(appSecrets)
      .set(sealed)
      .where(and(eq(appSecrets.appId, blogId), eq(appSecrets.name, "API_KEY")));
    const probe = `try { return new Response(String(await env.secrets.get(NAME))); }
       catch (e) { return new Response(e.name + ": " + e.message); }`;
    const unreadable =
      "it does not decrypt (altered, moved from another app or name, or encrypted under another key)";
    expect(await h.runScript(owner, probe.replace("NAME", '"MOVED"'))).toBe(
      `Error: secret MOVED cannot be read: ${unreadable}`,
    );
    expect(await h.runScript(owner, probe.replace("NAME", '"API_KEY"'), { app: "blog" })).toBe(
      `Error: secret API_KEY cannot be read: ${unreadable}`,
    );
    // One flipped byte of the ciphertext.
    const bytes = Buffer.from(sealed.ciphertext, "base64");
    bytes[0]! ^= 1;
    await db
      .update(appSecrets)
      .set({ ciphertext: bytes.toString("base64") })
      .where(and(eq(appSecrets.appId, defaultId), eq(appSecrets.name, "API_KEY")));
    expect(await h.runScript(owner, probe.replace("NAME", '"API_KEY"'))).toBe(
      `Error: secret API_KEY cannot be read: ${unreadable}`,
    );
    // Another instance's key (or a wrong PICLOUD_SECRET_KEY) opens nothing.
    await owner.request("PUT", "/apps/default/secrets/API_KEY", { value: VALUE });
    const wrongKey = new SecretsService(db, new Keyring(randomBytes(32)));
    await expect(wrongKey.get(defaultId, "API_KEY")).rejects.toThrow(
      "secret API_KEY cannot be read: it was encrypted under a master key this instance does not have",
    );
    const records = await owner.get("/apps/default/executions");
    expect(JSON.stringify(records.body)).not.toContain(VALUE);
    expect(lines.join("\n")).not.toContain(VALUE);
  });
});

describe.each(testDbKinds())("master key rotation [%s]", (kind) => {
  const oldKey = randomBytes(32);
  const h = useHarness(kind, { masterKeys: { current: oldKey, previous: null } });

  it("re-encrypts every secret under the new key, resumably, and the old key alone no longer reads them", async () => {
    const owner = await h.user("owner");
    const { db } = h.services.database;
    const [app] = await db.select({ id: apps.id }).from(apps).where(eq(apps.slug, "default"));
    const appId = app!.id;
    for (let i = 0; i < 7; i++)
      await owner.request("PUT", `/apps/default/secrets/S${i}`, { value: `value ${i}` });
    const newKey = randomBytes(32);
    const rotating = new SecretsService(db, new Keyring(newKey, oldKey));
    // During the rotation, old and new values both read; a write goes under the new key at once.
    expect(await rotating.get(appId, "S3")).toBe("value 3");
    await rotating.put(appId, "S6", "value 6 (new)");
    // In batches, row by row: S6, already under the new key, is left alone; a second run finds nothing.
    expect(await rotating.reencrypt(2)).toEqual({ reencrypted: 6, unreadable: 0, remaining: 0 });
    expect(await rotating.reencrypt(2)).toEqual({ reencrypted: 0, unreadable: 0, remaining: 0 });
    const after = new SecretsService(db, new Keyring(newKey));
    for (let i = 0; i < 6; i++) expect(await after.get(appId, `S${i}`)).toBe(`value ${i}`);
    expect(await after.get(appId, "S6")).toBe("value 6 (new)");
    await expect(new SecretsService(db, new Keyring(oldKey)).get(appId, "S0")).rejects.toThrow(
      "cannot be read",
    );
    // Values under a key nobody supplied are counted, never lost or overwritten.
    const third = new SecretsService(db, new Keyring(randomBytes(32)));
    expect(await third.reencrypt()).toEqual({ reencrypted: 0, unreadable: 7, remaining: 7 });
    expect(await after.get(appId, "S0")).toBe("value 0");
  });

  it("seals plaintext realtime signing keys without breaking tokens already handed out, and rotates them", async () => {
    await h.user("owner");
    const { db } = h.services.database;
    const [app] = await db.select({ id: apps.id }).from(apps).where(eq(apps.slug, "default"));
    const appId = app!.id;
    // A row as written before signing keys were encrypted.
    const legacy = randomBytes(32).toString("base64");
    await db.insert(realtimeKeys).values({ appId, key: legacy });
    const before = new SubscriberTokens(db, new Keyring(oldKey));
    const { token } = await before.mint(appId, ["news"], 3600);
    expect(await before.reencrypt()).toEqual({ reencrypted: 1, unreadable: 0, remaining: 0 });
    const [row] = await db.select().from(realtimeKeys).where(eq(realtimeKeys.appId, appId));
    expect(row!.key).not.toBe(legacy);
    expect(row!.keyId).not.toBeNull();
    expect(await new SubscriberTokens(db, new Keyring(oldKey)).verify(appId, "news", token)).toBe(true);
    // Rotation: the same key bytes, sealed under the new master key.
    const newKey = randomBytes(32);
    const rotating = new SubscriberTokens(db, new Keyring(newKey, oldKey));
    expect(await rotating.reencrypt()).toEqual({ reencrypted: 1, unreadable: 0, remaining: 0 });
    expect(await new SubscriberTokens(db, new Keyring(newKey)).verify(appId, "news", token)).toBe(true);
    await expect(new SubscriberTokens(db, new Keyring(oldKey)).verify(appId, "news", token)).rejects.toThrow(
      "realtime signing key",
    );
  });
});
