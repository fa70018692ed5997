/**
 * The arguments of every end-user operation as valibot schemas, shared by the
 * script binding, the built-in /auth endpoints and the admin API, so each
 * refuses the same input with the same message naming the field.
 */
import * as v from "valibot";
import { isStorableText } from "../../lib/storable-text.js";
import { normalizeUserEmail } from "./email.js";

export const MAX_USER_DATA_BYTES = 16 * 1024;
export const MAX_ROLES = 32;
export const MAX_LIST_LIMIT = 200;

const storable = (field: string) =>
  v.check<string, string>(isStorableText, `${field} must not contain NUL or unpaired surrogates`);

export const emailField = (field = "email") =>
  v.pipe(
    v.string(`${field} must be a string`),
    storable(field),
    v.transform(normalizeUserEmail),
    v.maxLength(254, `${field} must be at most 254 characters`),
    v.regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, `${field} must be an e-mail address`),
  );

/** Long enough to matter, short enough not to be a hashing DoS. */
export const passwordField = (field = "password") =>
  v.pipe(
    v.string(`${field} must be a string`),
    storable(field),
    v.minLength(8, `${field} must be at least 8 characters`),
    v.maxLength(256, `${field} must be at most 256 characters`),
  );

export const roleField = (field = "role") =>
  v.pipe(
    v.string(`${field} must be a string`),
    v.regex(/^[A-Za-z0-9_:.-]{1,64}$/, `${field} must be 1-64 letters, digits, _ : . or -`),
  );

export const rolesField = v.pipe(
  v.array(roleField("roles[]"), "roles must be an array of strings"),
  v.maxLength(MAX_ROLES, `roles must have at most ${MAX_ROLES} entries`),
  v.transform((r) => [...new Set(r)].sort()),
);

/** Free-form profile data: a JSON object the app owns. */
export const dataField = v.pipe(
  v.record(v.string(), v.unknown(), "data must be an object"),
  v.check((d) => {
    try {
      return Buffer.byteLength(JSON.stringify(d), "utf8") <= MAX_USER_DATA_BYTES;
    } catch {
      return false;
    }
  }, `data must be JSON of at most ${MAX_USER_DATA_BYTES} bytes`),
  v.check((d) => isStorableText(JSON.stringify(d)), "data must not contain NUL or unpaired surrogates"),
);

/** Tokens we issue are lower-case base32; anything else cannot be one. */
export const tokenField = (field = "token") =>
  v.pipe(
    v.string(`${field} must be a string`),
    v.regex(/^[a-z2-7]{16,128}$/, `${field} is not a valid token`),
  );

export const idField = (field = "id") =>
  v.pipe(
    v.string(`${field} must be a string`),
    v.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, `${field} must be a user id`),
  );

export const createInput = v.strictObject({
  email: emailField(),
  password: v.optional(passwordField()),
  data: v.optional(dataField),
  roles: v.optional(rolesField),
  /** Mark the address as verified at once (an admin or script vouches for it). */
  verified: v.optional(v.boolean("verified must be true or false")),
});
export type CreateInput = v.InferOutput<typeof createInput>;

export const updateInput = v.strictObject({
  email: v.optional(emailField()),
  password: v.optional(passwordField()),
  data: v.optional(dataField),
  roles: v.optional(rolesField),
  disabled: v.optional(v.boolean("disabled must be true or false")),
});
export type UpdateInput = v.InferOutput<typeof updateInput>;

export const listInput = v.strictObject({
  cursor: v.optional(v.nullable(idField("cursor"))),
  limit: v.optional(
    v.pipe(
      v.number("limit must be a number"),
      v.integer("limit must be a whole number"),
      v.minValue(1, "limit must be at least 1"),
      v.maxValue(MAX_LIST_LIMIT, `limit must be at most ${MAX_LIST_LIMIT}`),
    ),
  ),
});

export const inviteInput = v.strictObject({
  email: emailField(),
  roles: v.optional(rolesField),
  data: v.optional(dataField),
});

/** The first problem of a failed parse as one line naming the field. */
export function firstProblem(issues: readonly v.BaseIssue<unknown>[], what: string): string {
  const issue = issues[0]!;
  const path = issue.path?.map((p) => String(p.key)).join(".");
  if (issue.type === "strict_object" && issue.expected === "never") return `${what}: unknown field "${path}"`;
  if (issue.received === "undefined" && path) return `${what}: ${path} is required`;
  return `${what}: ${issue.message}`;
}
