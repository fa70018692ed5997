/**
 * What a script sees as `env.email`: `send(message)` → `{id}` once the message
 * is stored; delivery happens after, through the outbox. A bad field is a
 * TypeError/RangeError naming it; a refusal (no transport, a sender the app
 * may not use, a limit reached) is an Error whose `code` says which, with
 * `status` 429 for a limit.
 */
import { type BindingDefinition, HostCallError } from "../../../runtime/index.js";
import { rangeError, typeError } from "../arguments.js";
import type { BindingContext, BindingFactory } from "../index.js";
import { InvalidEmail, parseSendInput } from "./message.js";
import { type EmailService, SendRefused } from "./service.js";

// The host cannot attach properties to a guest error: a "[code] " prefix carries the code across.
const GUEST = `(call) => Object.freeze({
  send: (message) => call("send", message).catch((e) => {
    const m = /^\\[([a-z_]+)\\] /.exec(e && e.message);
    if (m) {
      e.message = e.message.slice(m[0].length);
      e.code = m[1];
      if (m[1] === "rate_limited") e.status = 429;
    }
    throw e;
  }),
})`;

export function emailBinding(email: EmailService): BindingFactory {
  return {
    name: "email",
    create(ctx: BindingContext): BindingDefinition {
      return {
        name: "email",
        guestSource: GUEST,
        methods: {
          send: async ([message]) => {
            let checked: ReturnType<typeof parseSendInput>;
            try {
              checked = parseSendInput(message);
            } catch (err) {
              if (!(err instanceof InvalidEmail)) throw err;
              const text = `email.send(message): ${err.message}`;
              throw err.kind === "range" ? rangeError(text) : typeError(text);
            }
            try {
              return await email.send(ctx, checked);
            } catch (err) {
              if (err instanceof SendRefused)
                throw new HostCallError(
                  err.code === "too_large" ? "RangeError" : "Error",
                  `[${err.code}] email.send: ${err.message}`,
                );
              throw err;
            }
          },
        },
      };
    },
  };
}
