/**
 * `senders` of picloud.toml's `[email]` table: the addresses and domains the
 * app may send from (`from` of `env.email.send`). The inbound keys of the same
 * table (`addresses`, `domains`, `handler`) are read in project.ts.
 */
import * as v from "valibot";
import { senderEntrySchema } from "../bindings/email/message.js";

export const sendersSchema = v.pipe(
  v.array(
    v.pipe(v.string("senders must be strings"), senderEntrySchema),
    "senders must be an array of addresses and domains",
  ),
  v.maxLength(100, "senders: at most 100 entries"),
);
