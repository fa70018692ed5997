/**
 * Text a script hands to storage must be text PostgreSQL can store: NUL and
 * unpaired surrogates anywhere (names, keys, paths, topics, and strings or keys
 * nested in KV values, documents and messages) are a TypeError naming the
 * argument, before anything is written — they used to fail the query.
 */
import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { snapshotTables } from "../testing/db-snapshot.js";
import { useHarness } from "../testing/harness.js";

const REFUSED = "must not contain NUL or unpaired surrogates";

// [name, guest expression, expected "Name: message"]; NUL and LONE are guest variables.
const cases: [string, string, string][] = [
  ["kv collection", `env.kv.collection("c" + NUL).get("k")`, `TypeError: collection name ${REFUSED}`],
  ["kv key", `env.kv.collection("c").set(LONE, 1)`, `TypeError: key ${REFUSED}`],
  ["kv key on get", `env.kv.collection("c").get("k" + NUL)`, `TypeError: key ${REFUSED}`],
  ["kv value", `env.kv.collection("c").set("k", "a" + NUL)`, `TypeError: value ${REFUSED}`],
  [
    "kv nested value",
    `env.kv.collection("c").set("k", { a: [1, { b: LONE }] })`,
    `TypeError: value.a.1.b ${REFUSED}`,
  ],
  [
    "kv nested key",
    `env.kv.collection("c").set("k", { a: { ["x" + NUL]: 1 } })`,
    `TypeError: value.a has a key that ${REFUSED}`,
  ],
  ["kv list prefix", `env.kv.collection("c").list({ prefix: NUL })`, `TypeError: options.prefix ${REFUSED}`],
  ["docs collection", `env.docs.collection(LONE).insert({})`, `TypeError: collection name ${REFUSED}`],
  [
    "docs field",
    `env.docs.collection("d").insert({ title: "a" + NUL })`,
    `TypeError: document.title ${REFUSED}`,
  ],
  [
    "docs nested key",
    `env.docs.collection("d").insert({ meta: { [LONE]: 1 } })`,
    `TypeError: document.meta has a key that ${REFUSED}`,
  ],
  ["files path", `env.files.put("a" + NUL + ".txt", "x")`, `TypeError: path ${REFUSED}`],
  ["files path (lone surrogate)", `env.files.put(LONE + ".txt", "x")`, `TypeError: path ${REFUSED}`],
  ["pubsub message", `env.pubsub.publish("news", { text: NUL })`, `TypeError: message.text ${REFUSED}`],
  [
    "pubsub message key",
    `env.pubsub.publish("news", { [NUL]: 1 })`,
    `TypeError: message has a key that ${REFUSED}`,
  ],
  ["pubsub topic", `env.pubsub.publish("news" + NUL, 1)`, "TypeError: topic"],
];

describe.each(testDbKinds())("bindings refuse text the database cannot store [%s]", (kind) => {
  const h = useHarness(kind);

  it("throws a TypeError naming the argument and writes nothing", async () => {
    const owner = await h.user("owner");
    // A registered topic, so a message that got through would be stored.
    expect((await owner.request("PUT", "/apps/default/topics/news", {})).status).toBe(200);
    const tries = cases.map(([name, expr]) => `${JSON.stringify(name)}: () => ${expr}`).join(",\n");
    const probe = (body: string) =>
      h.runScript(
        owner,
        `const NUL = "\\u0000", LONE = "\\ud800";
         const tries = {${body}};
         const out = {};
         for (const [name, f] of Object.entries(tries)) {
           try { await f(); out[name] = "no error"; } catch (e) { out[name] = e.name + ": " + e.message; }
         }
         return Response.json(out);`,
      );
    await probe(""); // deploys the probe once, so the snapshot below sees only the calls
    await h.services.recorder.flush();
    const before = await snapshotTables(h.services.database);
    const out = await probe(tries);
    for (const [name, , expected] of cases) expect(out[name], name).toContain(expected);
    // The second deploy and its execution record are the only changes.
    const after = await snapshotTables(h.services.database);
    for (const table of ["kv_entries", "documents", "files", "realtime_messages", "outbox"])
      expect(after[table], table).toBe(before[table]);
  });
});
