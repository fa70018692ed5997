/**
 * What a script sees as `env.secrets`: `get(name)` → the value as a string, or
 * null when the app has no such secret. Values are decrypted on first use and
 * kept only for the rest of this execution (a second `get` of the same name
 * does not touch the database); nothing is cached across executions, so a
 * `picloud secrets put` takes effect on the next execution.
 */
import { type BindingDefinition, HostCallError } from "../../../runtime/index.js";
import { PicloudError } from "../../lib/errors.js";
import { typeError } from "../arguments.js";
import type { BindingContext, BindingFactory } from "../index.js";
import { SECRET_NAME_PATTERN, type SecretsService } from "./service.js";

const GUEST = `(call) => Object.freeze({ get: (name) => call("get", name) })`;

export function secretsBinding(secrets: SecretsService): BindingFactory {
  return {
    name: "secrets",
    create(ctx: BindingContext): BindingDefinition {
      const cache = new Map<string, Promise<string | null>>();
      return {
        name: "secrets",
        guestSource: GUEST,
        methods: {
          get: async ([name]) => {
            if (typeof name !== "string") throw typeError("secrets.get(name): name must be a string");
            if (!SECRET_NAME_PATTERN.test(name))
              throw typeError(
                "secrets.get(name): name must be 1-128 letters, digits or _ and not start with a digit",
              );
            let value = cache.get(name);
            if (!value) {
              value = secrets.get(ctx.appId, name);
              cache.set(name, value);
              value.catch(() => cache.delete(name));
            }
            try {
              return await value;
            } catch (err) {
              // The message names the secret and the reason, never key or plaintext material.
              if (err instanceof PicloudError && err.code === "secret_unreadable")
                throw new HostCallError("Error", err.message);
              throw err;
            }
          },
        },
      };
    },
  };
}
