/**
 * Admin API of an app's end users, under /apps/{app}/users: list (cursor),
 * export (JSON lines), show, create, invite, change (disable, roles, data),
 * delete. Reading needs `data.read` (viewers, `app:read` keys); changing needs
 * `data.write` (editors, `app:write` keys), as for the app's other data.
 * Password hashes never leave the service.
 */
import { Hono } from "hono";
import { stream } from "hono/streaming";
import * as v from "valibot";
import type { Apps } from "../../apps/apps.js";
import { assertCan } from "../../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../../auth/http.js";
import { notFound } from "../../lib/errors.js";
import { jsonBody, limitParam, parseOrThrow, queryParams } from "../../lib/http-validation.js";
import { createInput, idField, inviteInput, MAX_LIST_LIMIT, updateInput } from "./input.js";
import type { UsersService } from "./service.js";

const listQuery = v.strictObject({
  limit: limitParam(MAX_LIST_LIMIT, 50),
  cursor: v.optional(idField("cursor")),
});

export function userRoutes({ apps, appUsers: users }: { apps: Apps; appUsers: UsersService }) {
  const userId = (raw: string) => parseOrThrow(idField("id"), raw, "user id");
  return new Hono<AdminEnv>()
    .get("/:app/users", queryParams(listQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const q = c.req.valid("query");
      return c.json(await users.list(app.id, { limit: Number(q.limit), cursor: q.cursor }));
    })
    .get("/:app/users/export", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      c.header("content-type", "application/x-ndjson; charset=utf-8");
      // One user per line, page by page: an app with many users is never held in memory at once.
      return stream(c, async (s) => {
        let cursor: string | null = null;
        do {
          const page: Awaited<ReturnType<UsersService["list"]>> = await users.list(app.id, {
            limit: MAX_LIST_LIMIT,
            cursor,
          });
          for (const u of page.users) await s.write(`${JSON.stringify(u)}\n`);
          cursor = page.cursor;
        } while (cursor);
      });
    })
    .get("/:app/users/:id", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const user = await users.get(app.id, userId(c.req.param("id")));
      if (!user) throw notFound("user");
      return c.json({ user });
    })
    .post("/:app/users", jsonBody(createInput), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const user = await users.create(app.id, c.req.valid("json"));
      c.get("log").info({ appId: app.id, userId: user.id, by: p.user.id }, "end user created");
      return c.json({ user }, 201);
    })
    .post("/:app/users/invite", jsonBody(inviteInput), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const user = await users.invite(app.id, c.req.valid("json"));
      c.get("log").info({ appId: app.id, userId: user.id, by: p.user.id }, "end user invited");
      return c.json({ user }, 201);
    })
    .patch("/:app/users/:id", jsonBody(updateInput), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const patch = c.req.valid("json");
      const user = await users.update(app.id, userId(c.req.param("id")), patch);
      if (!user) throw notFound("user");
      c.get("log").info(
        { appId: app.id, userId: user.id, fields: Object.keys(patch), by: p.user.id },
        "end user changed",
      );
      return c.json({ user });
    })
    .delete("/:app/users/:id", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const id = userId(c.req.param("id"));
      if (!(await users.delete(app.id, id))) throw notFound("user");
      c.get("log").info({ appId: app.id, userId: id, by: p.user.id }, "end user deleted");
      return c.body(null, 204);
    });
}
