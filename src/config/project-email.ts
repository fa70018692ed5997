/**
 * The `[email]` table of picloud.toml. Outbound: `senders`, the addresses and
 * domains the app may send from (`from` of `env.email.send`). Inbound keys
 * (`addresses`, `domains`: which recipients reach the app's `email` handler)
 * belong to the inbound listener and are added beside these.
 */
import * as v from "valibot";
import { senderEntrySchema } from "../bindings/email/message.js";

export const emailSectionSchema = v.strictObject({
  senders: v.optional(
    v.pipe(
      v.array(
        v.pipe(v.string("senders must be strings"), senderEntrySchema),
        "senders must be an array of addresses and domains",
      ),
      v.maxLength(100, "senders: at most 100 entries"),
    ),
  ),
});
