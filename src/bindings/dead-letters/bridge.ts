/**
 * env.deadLetters (SPEC §3.9): `replay(id)` and `resolve(id, reason)` for
 * executions that run as an admin — a trigger registered by an admin who may
 * still change the app's data. Anonymous executions (HTTP) get a TypeError.
 */
import type { BindingDefinition } from "../../../runtime/index.js";
import { HostCallError } from "../../../runtime/index.js";
import type { DeadLetters } from "../../events/dead-letters.js";
import { PicloudError } from "../../lib/errors.js";
import { nonEmptyString, optionalString, typeError } from "../arguments.js";
import type { BindingContext, BindingFactory } from "../index.js";

const GUEST = `(call) => Object.freeze({
  replay: (id) => call("replay", id),
  resolve: (id, reason) => call("resolve", id, reason),
})`;

/** Whether an admin user may still manage the app's data (active, with the role). */
export type MayManage = (userId: string, appId: string) => Promise<boolean>;

export function deadLettersBinding(deadLetters: DeadLetters, mayManage: MayManage): BindingFactory {
  return {
    name: "deadLetters",
    create(ctx: BindingContext): BindingDefinition {
      const authorize = async (): Promise<string> => {
        const userId = ctx.principalUserId;
        if (!userId) {
          throw typeError(
            "env.deadLetters needs an admin principal: use it from a trigger registered by an admin",
          );
        }
        if (!(await mayManage(userId, ctx.appId))) {
          throw typeError("the admin this trigger runs as may no longer manage this app's data");
        }
        return userId;
      };
      const notFoundToGuest = (err: unknown): never => {
        if (err instanceof PicloudError && err.status === 404)
          throw new HostCallError("NotFoundError", "dead letter not found");
        if (err instanceof PicloudError && err.status === 409) throw new HostCallError("Error", err.message);
        throw err;
      };
      return {
        name: "deadLetters",
        guestSource: GUEST,
        methods: {
          replay: async ([id]) => {
            const by = await authorize();
            const res = await deadLetters
              .replay(ctx.appId, nonEmptyString(id, "id", 64), by)
              .catch(notFoundToGuest);
            return { eventId: res.eventId };
          },
          resolve: async ([id, reason]) => {
            const by = await authorize();
            const r = optionalString(reason, "reason", 1000) ?? null;
            await deadLetters
              .resolve(ctx.appId, nonEmptyString(id, "id", 64), "handled_by_script", r, by)
              .catch(notFoundToGuest);
            return undefined;
          },
        },
      };
    },
  };
}
