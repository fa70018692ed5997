/** /users: instance administration of admin users (owners and admins; only owners manage owners). */
import { Hono } from "hono";
import * as v from "valibot";
import { notFound } from "../lib/errors.js";
import { emailSchema, jsonBody, passwordSchema } from "../lib/http-validation.js";
import { isUuid } from "../lib/ids.js";
import { assertCan } from "./capabilities.js";
import { type AdminEnv, principalOf } from "./http.js";
import { INSTANCE_ROLES } from "./schema.js";
import type { AdminUsers } from "./users.js";

const role = v.picklist(INSTANCE_ROLES, `must be one of ${INSTANCE_ROLES.join(", ")}`);

const createBody = v.strictObject({ email: emailSchema, password: passwordSchema, role });

const patchBody = v.pipe(
  v.strictObject({
    email: v.optional(emailSchema),
    password: v.optional(passwordSchema),
    role: v.optional(role),
    active: v.optional(v.boolean()),
  }),
  v.check((b) => Object.keys(b).length > 0, "give at least one of email, password, role, active"),
);

function userId(raw: string): string {
  if (!isUuid(raw)) throw notFound("user");
  return raw;
}

export function userRoutes(users: AdminUsers) {
  return new Hono<AdminEnv>()
    .get("/", async (c) => {
      assertCan(principalOf(c), "users.read");
      return c.json({ users: await users.list() });
    })
    .post("/", jsonBody(createBody), async (c) => {
      const p = principalOf(c);
      assertCan(p, "users.manage");
      const user = await users.create(c.req.valid("json"), p.user);
      c.get("log").info({ userId: user.id, by: p.user.id, role: user.role }, "admin user created");
      return c.json({ user }, 201);
    })
    .get("/:id", async (c) => {
      assertCan(principalOf(c), "users.read");
      return c.json({ user: await users.get(userId(c.req.param("id"))) });
    })
    .patch("/:id", jsonBody(patchBody), async (c) => {
      const p = principalOf(c);
      assertCan(p, "users.manage");
      const user = await users.patch(userId(c.req.param("id")), c.req.valid("json"), p.user);
      c.get("log").info({ userId: user.id, by: p.user.id }, "admin user changed");
      return c.json({ user });
    })
    .delete("/:id", async (c) => {
      const p = principalOf(c);
      assertCan(p, "users.manage");
      await users.delete(userId(c.req.param("id")), p.user);
      c.get("log").info({ userId: c.req.param("id"), by: p.user.id }, "admin user deleted");
      return c.body(null, 204);
    });
}
