import { describe, expect, it } from "vitest";
import { testDbKinds } from "../../testing/database.js";
import { useHarness } from "../../testing/harness.js";

describe.each(testDbKinds())("env.kv as a script sees it [%s]", (kind) => {
  const h = useHarness(kind);

  it("sets, gets, checks, lists and deletes JSON values", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const c = env.kv.collection("users");
       const before = await c.get("ann");
       await c.set("ann", { name: "Ann", tags: ["a"], n: 1.5 });
       await c.set("bob", "plain string");
       await c.set("bob", 42);
       const got = [await c.get("ann"), await c.get("bob"), await c.has("ann"), await c.has("zed")];
       const deleted = [await c.delete("bob"), await c.delete("bob")];
       const list = await c.list();
       return Response.json({ before, got, deleted, list });`,
    );
    expect(out).toEqual({
      before: null,
      got: [{ name: "Ann", tags: ["a"], n: 1.5 }, 42, true, false],
      deleted: [true, false],
      list: { items: [{ key: "ann", value: { name: "Ann", tags: ["a"], n: 1.5 } }], cursor: null },
    });
  });

  it("round-trips JSON values exactly, own __proto__ keys included (get and list)", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const c = env.kv.collection("exact");
       const text = '{"__proto__":{"admin":true},"a":[{"__proto__":1}],"constructor":"c","":0}';
       await c.set("k", JSON.parse(text));
       const got = await c.get("k");
       const listed = (await c.list()).items[0].value;
       return Response.json({
         got: JSON.stringify(got),
         listed: JSON.stringify(listed),
         ownKey: Object.keys(got).includes("__proto__"),
         prototypeUntouched: Object.getPrototypeOf(got) === Object.prototype && got.admin === undefined,
       });`,
    );
    // jsonb keeps keys sorted by length, then bytes: compare the parsed shapes, key order aside.
    const expected = JSON.parse('{"__proto__":{"admin":true},"a":[{"__proto__":1}],"constructor":"c","":0}');
    expect(JSON.parse(out.got)).toEqual(expected);
    expect(JSON.parse(out.listed)).toEqual(JSON.parse(out.got));
    expect(out.got).toContain('"__proto__":{"admin":true}');
    expect(out.got).toContain('[{"__proto__":1}]');
    expect(out).toMatchObject({ ownKey: true, prototypeUntouched: true });
  });

  it("pages lists with a cursor, by prefix, in bytewise key order", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const c = env.kv.collection("p");
       for (const k of ["b/2", "a/1", "b/1", "b/10", "B/1", "b", "c", "b/é", "b/z"]) await c.set(k, k);
       const pages = [];
       let cursor;
       do { const r = await c.list({ prefix: "b/", limit: 2, cursor }); pages.push(r.items.map((i) => i.key)); cursor = r.cursor; } while (cursor);
       const all = (await c.list({ limit: 5000 })).items.map((i) => i.key);
       return Response.json({ pages, all });`,
    );
    expect(out.pages).toEqual([["b/1", "b/10"], ["b/2", "b/z"], ["b/é"]]);
    expect(out.all).toEqual(["B/1", "a/1", "b", "b/1", "b/10", "b/2", "b/z", "b/é", "c"]);
  });

  it("expires entries with a ttl: absent at once, swept later", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const c = env.kv.collection("t");
       await c.set("short", 1, { ttl: 0.05 });
       await c.set("long", 2, { ttl: 3600 });
       await new Promise((r) => setTimeout(r, 120));
       return Response.json({ short: await c.get("short"), has: await c.has("short"), long: await c.get("long"),
         keys: (await c.list()).items.map((i) => i.key) });`,
    );
    expect(out).toEqual({ short: null, has: false, long: 2, keys: ["long"] });
    // The expired row is still there until the sweeper removes it.
    expect(await h.services.kv.sweepExpired()).toBe(1);
  });

  it("refuses bad arguments with TypeError/RangeError naming the argument", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const c = env.kv.collection("v");
       const tries = {
         emptyCollection: () => env.kv.collection(""),
         emptyKey: () => c.get(""),
         numberKey: () => c.get(5),
         longKey: () => c.set("k".repeat(600), 1),
         undefinedValue: () => c.set("k", undefined),
         binaryValue: () => c.set("k", new Uint8Array(2)),
         nullValue: async () => { await c.set("n", null); const v = await c.get("n"); const has = await c.has("n"); await c.delete("n"); return v === null && has ? "stored null" : "lost"; },
         hugeValue: () => c.set("k", "x".repeat(1024 * 1024 + 1)),
         badTtl: () => c.set("k", 1, { ttl: -1 }),
         unknownOption: () => c.set("k", 1, { ttl: 5, color: "red" }),
         badCursor: () => c.list({ cursor: "nope" }),
         badLimit: () => c.list({ limit: 1.5 }),
       };
       const out = {};
       for (const [name, f] of Object.entries(tries)) {
         try { out[name] = (await f()) ?? "no error"; } catch (e) { out[name] = e.name + ": " + e.message; }
       }
       out.nothingWritten = (await c.list()).items.length;
       return Response.json(out);`,
    );
    expect(out).toEqual({
      emptyCollection: "TypeError: kv.collection(name): name must be a non-empty string",
      emptyKey: "TypeError: key must not be empty",
      numberKey: "TypeError: key must be a string",
      longKey: "RangeError: key must be at most 512 characters",
      undefinedValue: "TypeError: value must be a JSON value, not undefined",
      binaryValue: "TypeError: value must be JSON, not binary data",
      nullValue: "stored null",
      hugeValue: expect.stringMatching(/^RangeError: value is \d+ bytes as JSON; the limit is 1048576$/),
      badTtl: expect.stringMatching(/^RangeError: options.ttl must be between/),
      unknownOption: expect.stringMatching(/^TypeError: options.color is not a known option/),
      badCursor: "TypeError: options.cursor is not a cursor returned by this method",
      badLimit: "TypeError: options.limit must be an integer",
      nothingWritten: 0,
    });
  });

  it("keeps apps apart: the same collection and key in two apps are two entries", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Other" });
    await h.runScript(owner, `await env.kv.collection("c").set("k", "default"); return new Response("ok");`);
    const other = await h.runScript(
      owner,
      `const before = await env.kv.collection("c").get("k"); await env.kv.collection("c").set("k", "other");
       return Response.json({ before });`,
      { app: "other" },
    );
    expect(other).toEqual({ before: null });
    expect(await h.runScript(owner, `return Response.json(await env.kv.collection("c").get("k"));`)).toBe(
      "default",
    );
  });
});
