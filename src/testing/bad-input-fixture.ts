/**
 * An app with one of everything the admin API can address (a script with a
 * route and a trigger, a topic, a domain, a member, a dead letter, a file, an
 * API key), so bad-input tests can aim at real ids: a refused request must be
 * refused for its input, not because what it names does not exist.
 */
import { expect } from "vitest";
import { deadLetters } from "../events/schema.js";
import { uuidv7 } from "../lib/ids.js";
import type { Harness, TestClient } from "./harness.js";

export interface Fixture {
  owner: TestClient;
  /** Values for each path parameter, by the segment before it (`routes/:id` → ids.route). */
  ids: {
    app: string;
    script: string;
    /** The script's id (POST /scripts/{id}/invoke). */
    scriptId: string;
    version: string;
    route: string;
    trigger: string;
    deadLetter: string;
    user: string;
    member: string;
    apiKey: string;
    topic: string;
    domain: string;
    file: string;
  };
}

const SOURCE = "export default { fetch() { return new Response('ok') }, trigger() {} }";

export async function seedFixture(h: Harness): Promise<Fixture> {
  const owner = await h.user("owner");
  const ok = (res: { status: number; body: unknown }, what: string) =>
    expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  ok(await owner.post("/apps", { name: "x" }), "app");
  ok(
    await owner.post("/apps/x/deploy", {
      scripts: [
        {
          name: "s",
          source: SOURCE,
          routes: [{ path: "/s" }],
          triggers: [{ kind: "kv", config: { collection: "orders" } }],
        },
      ],
      topics: [{ name: "news" }],
    }),
    "deploy",
  );
  const member = await h.user("member", "member@example.com");
  ok(await owner.post("/apps/x/members", { userId: member.userId, role: "viewer" }), "member");
  ok(await owner.post("/apps/x/domains", { hostname: "x.example.com" }), "domain");
  ok(
    await owner.request("PUT", "/apps/x/files/content/probe.txt", "hello", { "content-type": "text/plain" }),
    "file",
  );
  const key = await owner.post("/api-keys", { name: "k", scopes: ["app:read"] });
  ok(key, "api key");
  const app = (await owner.get("/apps/x")).body.app;
  const script = (await owner.get("/apps/x/scripts/s")).body.script;
  const route = (await owner.get("/apps/x/routes")).body.routes[0];
  const trigger = (await owner.get("/apps/x/triggers")).body.triggers[0];
  // A dead letter is the end of failed deliveries; writing the row is quicker than failing three times.
  const deadLetter = uuidv7();
  await h.services.database.db.insert(deadLetters).values({
    id: deadLetter,
    appId: app.id,
    eventId: uuidv7(),
    kind: "trigger",
    source: "kv",
    triggerId: trigger.id,
    scriptId: script.id,
    payload: { id: uuidv7(), source: "kv" },
    depth: 0,
    rootId: uuidv7(),
    attempts: 3,
    lastError: "Error: always fails",
  });
  return {
    owner,
    ids: {
      app: "x",
      script: "s",
      scriptId: script.id,
      version: "1",
      route: route.id,
      trigger: trigger.id,
      deadLetter,
      user: member.userId,
      member: member.userId,
      apiKey: key.body.apiKey.id,
      topic: "news",
      domain: "x.example.com",
      file: "probe.txt",
    },
  };
}
