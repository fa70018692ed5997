/** Admin API of realtime topics, under /apps/{app}/topics. */
import { Hono } from "hono";
import type { Apps } from "../apps/apps.js";
import { assertCan } from "../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../auth/http.js";
import type { ChangeFeed } from "../db/change-feed.js";
import { jsonBody, parseOrThrow } from "../lib/http-validation.js";
import { type Topics, topicNameSchema, topicSettingsSchema } from "./topics.js";

export function topicRoutes({ apps, topics, changes }: { apps: Apps; topics: Topics; changes: ChangeFeed }) {
  const name = (raw: string) => parseOrThrow(topicNameSchema, raw, "topic");
  return new Hono<AdminEnv>()
    .get("/:app/topics", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.read", app.access);
      return c.json({ topics: await topics.list(app.id) });
    })
    .put("/:app/topics/:topic{.+}", jsonBody(topicSettingsSchema), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.update", app.access);
      const topic = await topics.put(app.id, name(c.req.param("topic")), c.req.valid("json"));
      changes.publish({ topic: "topics", appId: app.id });
      c.get("log").info(
        { appId: app.id, topic: topic.name, external: topic.external, by: p.user.id },
        "topic set",
      );
      return c.json({ topic });
    })
    .delete("/:app/topics/:topic{.+}", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.update", app.access);
      await topics.remove(app.id, name(c.req.param("topic")));
      changes.publish({ topic: "topics", appId: app.id });
      return c.body(null, 204);
    });
}
