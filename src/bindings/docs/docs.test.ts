import { describe, expect, it } from "vitest";
import { testDbKinds } from "../../testing/database.js";
import { useHarness } from "../../testing/harness.js";

describe.each(testDbKinds())("env.docs as a script sees it [%s]", (kind) => {
  const h = useHarness(kind);

  it("inserts, gets, updates (shallow merge), replaces, counts, finds and deletes", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const posts = env.docs.collection("posts");
       const a = await posts.insert({ title: "A", meta: { views: 1, tags: ["x"] }, n: 3 });
       const b = await posts.insert({ title: "B", n: 10 });
       const c = await posts.insert({ title: "C", n: 7, draft: true });
       const got = await posts.get(a);
       const updated = await posts.update(a, { meta: { views: 2 }, extra: true });
       const replaced = await posts.replace(b, { title: "B2" });
       const page = await posts.find({ n: { $gte: 5 } }, { sort: { n: -1 } });
       const missing = await posts.find({ n: { $ne: 3 } }, { sort: { title: 1 } });
       const counts = [await posts.count(), await posts.count({ draft: true }), await posts.count({ "meta.views": 2 })];
       const deleted = [await posts.delete(c), await posts.delete(c)];
       let notFound;
       try { await posts.update("0190e0d6-0000-7000-8000-000000000000", { x: 1 }); } catch (e) { notFound = e.name + ": " + e.message; }
       return Response.json({ got, updated, replaced, page: page.items.map((d) => d.data.title), missing: missing.items.map((d) => d.data.title),
         counts, deleted, notFound, idShape: typeof a, noSuch: await posts.get("nope") });`,
    );
    expect(out.got).toMatchObject({ data: { title: "A", meta: { views: 1, tags: ["x"] }, n: 3 } });
    expect(out.got.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.updated.data).toEqual({ title: "A", meta: { views: 2 }, n: 3, extra: true });
    expect(out.replaced.data).toEqual({ title: "B2" });
    expect(out.page).toEqual(["C"]);
    expect(out.missing).toEqual(["B2", "C"]);
    expect(out.counts).toEqual([3, 1, 1]);
    expect(out.deleted).toEqual([true, false]);
    expect(out.notFound).toBe("NotFoundError: document not found");
    expect(out.noSuch).toBeNull();
  });

  it("rejects malformed filters and documents with TypeError naming the problem", async () => {
    const owner = await h.user("owner");
    const out = await h.runScript(
      owner,
      `const d = env.docs.collection("d");
       const tries = {
         unknownOp: () => d.find({ a: { $regex: "x" } }),
         badGt: () => d.find({ a: { $gt: {} } }),
         hugeIn: () => d.find({ a: { $in: Array.from({ length: 1001 }, (_, i) => i) } }),
         array: () => d.insert([1, 2]),
         notObject: () => d.insert("x"),
         badSort: () => d.find({}, { sort: { a: 2 } }),
         badCursor: () => d.find({}, { cursor: "zzz" }),
       };
       const out = {};
       for (const [name, f] of Object.entries(tries)) {
         try { await f(); out[name] = "no error"; } catch (e) { out[name] = e.name + ": " + e.message; }
       }
       out.count = await d.count();
       return Response.json(out);`,
    );
    expect(out.unknownOp).toMatch(/^TypeError: .*\$regex/);
    expect(out.badGt).toMatch(/^TypeError: .*\$gt/);
    expect(out.hugeIn).toMatch(/^TypeError: .*\$in/);
    expect(out.array).toBe("TypeError: document must be a JSON object");
    expect(out.notObject).toBe("TypeError: document must be a JSON object");
    expect(out.badSort).toMatch(/^TypeError: /);
    expect(out.badCursor).toMatch(/^TypeError: .*cursor/);
    expect(out.count).toBe(0);
  });

  it("emits docs events with prevData", async () => {
    const owner = await h.user("owner");
    await h.services.dispatcher.start();
    await owner.post("/apps/default/deploy", {
      scripts: [
        {
          name: "audit",
          source: `export default { async trigger(e, env) { await env.kv.collection("seen").set(e.id, { op: e.op, data: e.data ?? null, prev: e.prevData, docId: e.docId }); } }`,
        },
      ],
    });
    await owner.post("/apps/default/triggers", {
      script: "audit",
      kind: "docs",
      config: { collection: "posts" },
    });
    const id = await h.runScript(
      owner,
      `const p = env.docs.collection("posts"); const id = await p.insert({ t: 1 }); await p.update(id, { t: 2 }); await p.delete(id); return Response.json(id);`,
    );
    const seen = async () =>
      (await h.runScript(
        owner,
        `return Response.json((await env.kv.collection("seen").list()).items.map((i) => i.value));`,
        { name: "r" },
      )) as any[];
    await expect.poll(async () => (await seen()).length, { timeout: 10_000 }).toBe(3);
    const byOp = Object.fromEntries((await seen()).map((e) => [e.op, e]));
    expect(byOp.insert).toEqual({ op: "insert", data: { t: 1 }, prev: null, docId: id });
    expect(byOp.update).toEqual({ op: "update", data: { t: 2 }, prev: { t: 1 }, docId: id });
    expect(byOp.delete).toEqual({ op: "delete", data: null, prev: { t: 2 }, docId: id });
  });
});
