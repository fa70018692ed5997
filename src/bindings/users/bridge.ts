/**
 * What a script sees as `env.users` (SPEC §3.8): the app's own user directory.
 * The app is the execution's, never an argument. A bad argument is a TypeError
 * naming it (valibot, shared with the HTTP endpoints); a refusal (e-mail taken,
 * wrong password, too many attempts) is an Error whose `code` says which, with
 * `status` as the HTTP status it would have.
 */

import * as v from "valibot";
import { type BindingDefinition, HostCallError, type HostValue } from "../../../runtime/index.js";
import { PicloudError } from "../../lib/errors.js";
import { typeError } from "../arguments.js";
import type { BindingContext, BindingFactory } from "../index.js";
import {
  createInput,
  emailField,
  firstProblem,
  idField,
  inviteInput,
  listInput,
  passwordField,
  roleField,
  tokenField,
  updateInput,
} from "./input.js";
import type { UsersService } from "./service.js";

const METHODS = [
  "create",
  "get",
  "findByEmail",
  "update",
  "delete",
  "list",
  "login",
  "verify",
  "logout",
  "logoutAll",
  "sendVerification",
  "confirmEmail",
  "requestPasswordReset",
  "resetPassword",
  "invite",
  "acceptInvite",
  "addRole",
  "removeRole",
  "hasRole",
];

// The host cannot attach properties to a guest error: a "[code:status] " prefix carries them across.
const GUEST = `(call) => {
  const wrap = (name) => (...args) => call(name, ...args).catch((e) => {
    const m = /^\\[([a-z_]+):(\\d+)\\] /.exec(e && e.message);
    if (m) { e.message = e.message.slice(m[0].length); e.code = m[1]; e.status = Number(m[2]); }
    throw e;
  });
  return Object.freeze({ ${METHODS.map((m) => `${m}: wrap(${JSON.stringify(m)})`).join(", ")} });
}`;

/** Parses one argument or throws a TypeError naming it. */
function arg<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const r = v.safeParse(schema, value === null ? undefined : value);
  if (!r.success) throw typeError(firstProblem(r.issues, what));
  return r.output;
}

const json = (x: unknown) => x as HostValue;

export function usersBinding(users: UsersService): BindingFactory {
  return {
    name: "users",
    create(ctx: BindingContext): BindingDefinition {
      const app = ctx.appId;
      const caller = { ctx };
      const id = (value: unknown, m: string) => arg(idField("id"), value, `users.${m}(id)`);
      const token = (value: unknown, m: string) => arg(tokenField("token"), value, `users.${m}(token)`);
      const role = (value: unknown, m: string) => arg(roleField("role"), value, `users.${m}(id, role)`);
      const methods: BindingDefinition["methods"] = {
        create: async ([input]) =>
          json(await users.create(app, arg(createInput, input, "users.create(user)"), caller)),
        get: async ([uid]) => json(await users.get(app, id(uid, "get"))),
        findByEmail: async ([email]) =>
          json(await users.findByEmail(app, arg(emailField("email"), email, "users.findByEmail(email)"))),
        update: async ([uid, patch]) =>
          json(
            await users.update(app, id(uid, "update"), arg(updateInput, patch, "users.update(id, patch)")),
          ),
        delete: async ([uid]) => users.delete(app, id(uid, "delete"), caller),
        list: async ([opts]) =>
          json(await users.list(app, arg(v.optional(listInput), opts, "users.list(options)"))),
        login: async ([email, password]) =>
          json(
            await users.login(
              app,
              arg(emailField("email"), email, "users.login(email, password)"),
              arg(v.string("password must be a string"), password, "users.login(email, password)"),
              caller,
            ),
          ),
        verify: async ([t]) => {
          // Any string may be presented as a session token: a malformed one is simply not a session.
          if (typeof t !== "string") throw typeError("users.verify(token): token must be a string");
          return json(v.is(tokenField(), t) ? await users.verify(app, t) : null);
        },
        logout: async ([t]) => {
          if (typeof t !== "string") throw typeError("users.logout(token): token must be a string");
          return v.is(tokenField(), t) ? users.logout(app, t) : false;
        },
        logoutAll: async ([uid]) => users.logoutAll(app, id(uid, "logoutAll")),
        sendVerification: async ([uid]) => users.sendVerification(app, id(uid, "sendVerification")),
        confirmEmail: async ([t]) => json(await users.confirmEmail(app, token(t, "confirmEmail"), caller)),
        requestPasswordReset: async ([email]) => {
          await users.requestPasswordReset(
            app,
            arg(emailField("email"), email, "users.requestPasswordReset(email)"),
            caller,
          );
          return undefined;
        },
        resetPassword: async ([t, password]) =>
          json(
            await users.resetPassword(
              app,
              token(t, "resetPassword"),
              arg(passwordField("newPassword"), password, "users.resetPassword(token, newPassword)"),
            ),
          ),
        invite: async ([email, opts]) => {
          const o = arg(
            v.optional(v.strictObject({ roles: inviteInput.entries.roles, data: inviteInput.entries.data })),
            opts,
            "users.invite(email, options)",
          );
          const address = arg(emailField("email"), email, "users.invite(email, options)");
          return json(await users.invite(app, { email: address, ...o }, caller));
        },
        acceptInvite: async ([t, password]) =>
          json(
            await users.acceptInvite(
              app,
              token(t, "acceptInvite"),
              arg(passwordField("password"), password, "users.acceptInvite(token, password)"),
              caller,
            ),
          ),
        addRole: async ([uid, r]) => json(await users.addRole(app, id(uid, "addRole"), role(r, "addRole"))),
        removeRole: async ([uid, r]) =>
          json(await users.removeRole(app, id(uid, "removeRole"), role(r, "removeRole"))),
        hasRole: async ([uid, r]) => users.hasRole(app, id(uid, "hasRole"), role(r, "hasRole")),
      };
      // Refusals cross as "[code:status] message" errors the guest turns back into code and status.
      for (const [name, fn] of Object.entries(methods)) {
        methods[name] = async (args, signal) => {
          try {
            return await fn(args, signal);
          } catch (err) {
            if (err instanceof PicloudError)
              throw new HostCallError("Error", `[${err.code}:${err.status}] users.${name}: ${err.message}`);
            throw err;
          }
        };
      }
      return { name: "users", guestSource: GUEST, methods };
    },
  };
}
