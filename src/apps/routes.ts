/** /apps: apps, their domains and members. Paths accept the app's id or slug. */
import { Hono } from "hono";
import * as v from "valibot";
import { assertCan, can } from "../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../auth/http.js";
import { parseAllowlist } from "../bindings/fetch/allowlist.js";
import type { ChangeFeed } from "../db/change-feed.js";
import { conflict, notFound } from "../lib/errors.js";
import { emailSchema, jsonBody, queryParams } from "../lib/http-validation.js";
import { isUuid } from "../lib/ids.js";
import { type Apps, appWithRole } from "./apps.js";
import type { AppDomains } from "./domains.js";
import type { AppMembers } from "./members.js";
import { APP_ROLES } from "./schema.js";
import { hostnameSchema, slugSchema } from "./slug.js";

const name = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, "name must not be empty"),
  v.maxLength(100, "name is too long"),
);
const varsSchema = v.pipe(
  v.record(
    v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "var names must be identifiers")),
    v.string(),
  ),
  v.check((r) => Object.keys(r).length <= 200, "at most 200 vars"),
);
const createBody = v.strictObject({ name, slug: v.optional(slugSchema) });
const patchBody = v.pipe(
  v.strictObject({ name: v.optional(name), slug: v.optional(slugSchema), vars: v.optional(varsSchema) }),
  v.check((b) => Object.keys(b).length > 0, "give at least one of name, slug, vars"),
);
const deleteQuery = v.strictObject({
  force: v.optional(v.picklist(["true", "false"], "force must be true or false")),
});
const role = v.picklist(APP_ROLES, `role must be one of ${APP_ROLES.join(", ")}`);
const addMemberBody = v.pipe(
  v.strictObject({
    userId: v.optional(v.pipe(v.string(), v.uuid("userId must be a UUID"))),
    email: v.optional(emailSchema),
    role,
  }),
  v.check((b) => (b.userId === undefined) !== (b.email === undefined), "give exactly one of userId or email"),
);
const patchMemberBody = v.strictObject({ role });
const fetchAllowBody = v.strictObject({
  allow: v.pipe(
    v.array(
      v.pipe(v.string(), v.trim(), v.minLength(1, "allow entries must not be empty"), v.maxLength(300)),
    ),
    v.maxLength(200, "allow may list at most 200 entries"),
    v.check(
      (entries) => allowlistProblem(entries) === null,
      (issue) => allowlistProblem(issue.input as string[]) ?? "invalid allowlist",
    ),
  ),
});

/** The SSRF guard's own parser decides what an entry may be (host, IP, CIDR, optional port). */
function allowlistProblem(entries: string[]): string | null {
  try {
    parseAllowlist(entries);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export interface AppRouteDeps {
  apps: Apps;
  domains: AppDomains;
  members: AppMembers;
  changes: ChangeFeed;
  /** Unresolved dead letters per app (the dashboard's badges); supplied by the events area. */
  unresolvedDeadLetters: (appIds: string[]) => Promise<Map<string, number>>;
}

function memberId(raw: string): string {
  if (!isUuid(raw)) throw notFound("membership");
  return raw;
}

export function appRoutes({ apps, domains, members, changes, unresolvedDeadLetters }: AppRouteDeps) {
  return new Hono<AdminEnv>()
    .get("/", async (c) => {
      const list = await apps.listFor(principalOf(c));
      const counts = await unresolvedDeadLetters(list.map((a) => a.id));
      return c.json({ apps: list.map((a) => ({ ...a, unresolvedDeadLetters: counts.get(a.id) ?? 0 })) });
    })
    .post("/", jsonBody(createBody), async (c) => {
      const p = principalOf(c);
      assertCan(p, "apps.create");
      const app = await apps.create(c.req.valid("json"));
      changes.publish({ topic: "apps" });
      c.get("log").info({ appId: app.id, slug: app.slug, by: p.user.id }, "app created");
      return c.json({ app: { ...app, role: "app_admin" } }, 201);
    })
    .get("/:app", async (c) => {
      const p = principalOf(c);
      const loaded = await apps.load(p, c.req.param("app"));
      // Seeing that an app exists is not reading it: a key without app:read (say instance:read) may not.
      assertCan(p, "app.read", loaded.access);
      const app = appWithRole(loaded);
      const counts = await unresolvedDeadLetters([app.id]);
      return c.json({ app: { ...app, unresolvedDeadLetters: counts.get(app.id) ?? 0 } });
    })
    .patch("/:app", jsonBody(patchBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.update", app.access);
      const body = c.req.valid("json");
      if (body.slug !== undefined && body.slug !== app.slug) {
        // Names under <old slug>.<base domain> would then belong to whichever app takes the old slug.
        const orphaned = await domains.underSlug(app.id, app.slug);
        if (orphaned.length > 0)
          throw conflict(
            `remove the domains under ${app.slug}'s name before changing its slug: ${orphaned.join(", ")}`,
            {
              field: "slug",
            },
          );
      }
      const updated = await apps.patch(app, body);
      changes.publish({ topic: "apps", appId: app.id });
      return c.json({ app: { ...updated, role: app.role } });
    })
    .delete("/:app", queryParams(deleteQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.delete", app.access);
      await apps.delete(app, c.req.valid("query").force === "true");
      changes.publish({ topic: "apps", appId: app.id });
      c.get("log").info({ appId: app.id, slug: app.slug, by: p.user.id }, "app deleted");
      return c.body(null, 204);
    })
    .get("/:app/domains", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.read", app.access);
      return c.json({ domains: await domains.list(app.id) });
    })
    .post("/:app/domains", jsonBody(v.strictObject({ hostname: hostnameSchema })), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.update", app.access);
      const domain = await domains.add(app, c.req.valid("json").hostname, can(p, "domains.custom"));
      changes.publish({ topic: "domains", appId: app.id });
      return c.json({ domain }, 201);
    })
    .delete("/:app/domains/:domain", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.update", app.access);
      await domains.remove(app.id, c.req.param("domain"));
      changes.publish({ topic: "domains", appId: app.id });
      return c.body(null, 204);
    })
    .get("/:app/fetch-allowlist", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.read", app.access);
      return c.json({ allow: await apps.fetchAllowlist(app.id) });
    })
    .put("/:app/fetch-allowlist", jsonBody(fetchAllowBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "network.allow");
      const allow = await apps.setFetchAllowlist(app.id, c.req.valid("json").allow);
      changes.publish({ topic: "apps", appId: app.id });
      c.get("log").info({ appId: app.id, allow, by: p.user.id }, "fetch allowlist changed");
      return c.json({ allow });
    })
    .get("/:app/members", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.read", app.access);
      return c.json({ members: await members.list(app.id) });
    })
    .post("/:app/members", jsonBody(addMemberBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.members.manage", app.access);
      const { role: r, ...who } = c.req.valid("json");
      return c.json({ member: await members.add(app.id, who, r) }, 201);
    })
    .patch("/:app/members/:userId", jsonBody(patchMemberBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.members.manage", app.access);
      const member = await members.setRole(app.id, memberId(c.req.param("userId")), c.req.valid("json").role);
      return c.json({ member });
    })
    .delete("/:app/members/:userId", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.members.manage", app.access);
      await members.remove(app.id, memberId(c.req.param("userId")));
      return c.body(null, 204);
    });
}
