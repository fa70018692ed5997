/** App slugs (`[a-z0-9-]{1,63}`, SPEC §0) and hostnames for app domains. */
import * as v from "valibot";

export const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const slugSchema = v.pipe(
  v.string("slug must be a string"),
  v.regex(SLUG_RE, "slug must be 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'"),
);

/** A slug derived from a display name: "My Blog!" → "my-blog". Empty when nothing usable remains. */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/g, "");
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME_RE = new RegExp(`^(?:\\*\\.)?(?:${LABEL}\\.)*${LABEL}$`);

/** Exact hosts (`blog.example.com`) or one leading wildcard label (`*.example.com`); lower-cased, no port. */
export const hostnameSchema = v.pipe(
  v.string("hostname must be a string"),
  v.trim(),
  v.toLowerCase(),
  v.maxLength(253, "hostname must be at most 253 characters"),
  v.regex(
    HOSTNAME_RE,
    "hostname must be a DNS name like blog.example.com or *.example.com (no scheme, port or path)",
  ),
  v.check(
    (h) => !h.startsWith("*.") || h.split(".").length >= 3,
    "a wildcard needs at least two labels after '*.'",
  ),
);
