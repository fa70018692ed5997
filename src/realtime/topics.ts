/** Topics of an app (SPEC §6): whether browsers may subscribe (external) and how they authenticate. */
import { and, asc, eq } from "drizzle-orm";
import * as v from "valibot";
import type { ChangeFeed } from "../db/change-feed.js";
import type { Db, DbOrTx } from "../db/client.js";
import { notFound } from "../lib/errors.js";
import { TOPIC_AUTH, type TopicAuth, topics } from "./schema.js";

export const TOPIC_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

export const topicNameSchema = v.pipe(
  v.string("topic must be a string"),
  v.regex(
    TOPIC_NAME_RE,
    "topic names are 1-128 letters, digits and . _ : / - (starting with a letter or digit)",
  ),
);

export const topicSettingsSchema = v.pipe(
  v.strictObject({
    external: v.optional(v.boolean("external must be true or false"), false),
    auth: v.optional(v.picklist(TOPIC_AUTH, `auth must be one of ${TOPIC_AUTH.join(", ")}`), "token"),
    /** auth "session" only: the end-user role a subscriber needs ([users] of docs/users.md). */
    role: v.optional(
      v.nullable(
        v.pipe(
          v.string("role must be a string"),
          v.regex(/^[A-Za-z0-9_:.-]{1,64}$/, "role must be 1-64 letters, digits, _ : . or -"),
        ),
      ),
      null,
    ),
  }),
  v.check((t) => t.role === null || t.auth === "session", 'role needs auth = "session"'),
);

export interface TopicView {
  name: string;
  external: boolean;
  auth: TopicAuth;
  role: string | null;
  createdAt: string;
  updatedAt: string;
}

const toView = (t: typeof topics.$inferSelect): TopicView => ({
  name: t.name,
  external: t.external,
  auth: t.auth,
  role: t.role,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

export class Topics {
  private readonly cache = new Map<string, Promise<Map<string, TopicView>>>();

  constructor(
    private readonly db: Db,
    changes: ChangeFeed,
  ) {
    changes.subscribe((c) => {
      if (c.topic !== "topics" && c.topic !== "apps") return;
      if (c.appId) this.cache.delete(c.appId);
      else this.cache.clear();
    });
  }

  async list(appId: string, tx: DbOrTx = this.db): Promise<TopicView[]> {
    const rows = await tx.select().from(topics).where(eq(topics.appId, appId)).orderBy(asc(topics.name));
    return rows.map(toView);
  }

  /** The app's topics by name, cached (the SSE endpoint and publish look them up on every call). */
  async byName(appId: string, name: string): Promise<TopicView | undefined> {
    let p = this.cache.get(appId);
    if (!p) {
      p = this.list(appId).then((list) => new Map(list.map((t) => [t.name, t])));
      this.cache.set(appId, p);
      p.catch(() => this.cache.delete(appId));
    }
    return (await p).get(name);
  }

  /** Creates or changes a topic; returns it and whether it existed. */
  async put(
    appId: string,
    name: string,
    settings: { external: boolean; auth: TopicAuth; role: string | null },
    tx: DbOrTx = this.db,
  ): Promise<TopicView> {
    const [row] = await tx
      .insert(topics)
      .values({ appId, name, ...settings })
      .onConflictDoUpdate({
        target: [topics.appId, topics.name],
        set: { ...settings, updatedAt: new Date() },
      })
      .returning();
    return toView(row!);
  }

  async remove(appId: string, name: string, tx: DbOrTx = this.db): Promise<void> {
    const gone = await tx
      .delete(topics)
      .where(and(eq(topics.appId, appId), eq(topics.name, name)))
      .returning({ name: topics.name });
    if (gone.length === 0) throw notFound("topic");
  }
}
