/**
 * `[users]` of picloud.toml, as the CLI reads it and the deploy step checks it
 * again: the built-in endpoints switch, where mail links point, the mails'
 * sender and their templates (`{{link}}` marks where the link goes).
 */
import * as v from "valibot";

const template = (flow: string) =>
  v.strictObject({
    subject: v.pipe(
      v.string(`users.templates.${flow}.subject must be a string`),
      v.minLength(1, `users.templates.${flow}.subject must not be empty`),
      v.maxLength(998, `users.templates.${flow}.subject must be at most 998 characters`),
      v.check((s) => !/[\r\n]/.test(s), `users.templates.${flow}.subject must be one line`),
    ),
    text: v.pipe(
      v.string(`users.templates.${flow}.text must be a string`),
      v.minLength(1, `users.templates.${flow}.text must not be empty`),
      v.maxLength(64 * 1024, `users.templates.${flow}.text must be at most 65536 characters`),
    ),
  });

export const usersSectionSchema = v.strictObject({
  endpoints: v.optional(v.boolean("users.endpoints must be true or false"), false),
  link_base_url: v.optional(
    v.pipe(
      v.string("users.link_base_url must be a string"),
      v.url("users.link_base_url must be an absolute URL"),
      v.regex(/^https?:\/\//, "users.link_base_url must be an http or https URL"),
    ),
  ),
  from: v.optional(
    v.pipe(
      v.string("users.from must be a string"),
      v.regex(/^[^\s@]+@[^\s@]+$/, "users.from must be an e-mail address (one of the app's [email] senders)"),
    ),
  ),
  templates: v.optional(
    v.strictObject({
      verify: v.optional(template("verify")),
      reset: v.optional(template("reset")),
      invite: v.optional(template("invite")),
    }),
    {},
  ),
});
export type UsersSection = v.InferOutput<typeof usersSectionSchema>;
