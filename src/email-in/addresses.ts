/**
 * What an inbound address or domain may be, one rule for picloud.toml, the
 * admin API and the SMTP listener: ASCII, lower-cased, a dot-atom local part
 * and a hostname. Quoted local parts and address literals are refused: no
 * app can claim them, so no mail for them is ever accepted.
 */
import * as v from "valibot";

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DOMAIN_RE = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})+$`);
const LOCAL_RE = /^(?=.{1,64}$)[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** The lower-case address, or null when it is not one PiCloud accepts mail for. */
export function normalizeAddress(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  if (s.length > 254) return null;
  const at = s.lastIndexOf("@");
  if (at <= 0) return null;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  return LOCAL_RE.test(local) && DOMAIN_RE.test(domain) ? s : null;
}

/** The lower-case domain (at least two labels), or null. */
export function normalizeDomain(raw: string): string | null {
  const s = raw.trim().toLowerCase().replace(/\.$/, "");
  return DOMAIN_RE.test(s) ? s : null;
}

export const addressSchema = (what: string) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const a = normalizeAddress(dataset.value);
      if (a === null) {
        addIssue({
          message: `${what}: ${JSON.stringify(dataset.value.slice(0, 300))} is not an e-mail address like support@blog.example.com`,
        });
        return NEVER;
      }
      return a;
    }),
  );

export const domainSchema = (what: string) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const d = normalizeDomain(dataset.value);
      if (d === null) {
        addIssue({
          message: `${what}: ${JSON.stringify(dataset.value.slice(0, 300))} is not a domain like blog.example.com`,
        });
        return NEVER;
      }
      return d;
    }),
  );

const MAX_CLAIMS = 100;

/** `{ addresses, domains }`: what an app receives mail for (picloud.toml `[email]`, the admin API). */
export const emailClaimsSchema = v.pipe(
  v.strictObject({
    addresses: v.optional(
      v.pipe(
        v.array(addressSchema("email.addresses"), "email.addresses must be an array of addresses"),
        v.maxLength(MAX_CLAIMS, `email.addresses may list at most ${MAX_CLAIMS} addresses`),
      ),
      [],
    ),
    domains: v.optional(
      v.pipe(
        v.array(domainSchema("email.domains"), "email.domains must be an array of domains"),
        v.maxLength(MAX_CLAIMS, `email.domains may list at most ${MAX_CLAIMS} domains`),
      ),
      [],
    ),
  }),
  v.transform((c) => ({
    addresses: [...new Set(c.addresses)].sort(),
    domains: [...new Set(c.domains)].sort(),
  })),
  v.check(
    (c) => !c.addresses.some((a) => c.domains.includes(a.slice(a.lastIndexOf("@") + 1))),
    "email.addresses: an address in one of email.domains is already covered by the domain; list one or the other",
  ),
);
export type EmailClaimSet = v.InferOutput<typeof emailClaimsSchema>;

/**
 * An `email` trigger's `address`: `*` (all of the app's mail), an exact address,
 * `*@domain` (any address of a domain) or `prefix*` (`support+*`).
 */
export function addressPatternMatches(pattern: string, address: string): boolean {
  const p = pattern.toLowerCase();
  if (p === "*") return true;
  if (p.startsWith("*@")) return address.endsWith(p.slice(1));
  if (p.endsWith("*")) return address.startsWith(p.slice(0, -1));
  return p === address;
}

export const addressPatternSchema = v.pipe(
  v.string("address must be a string"),
  v.trim(),
  v.toLowerCase(),
  v.minLength(1, "address must not be empty"),
  v.maxLength(254, "address is too long"),
  v.check(
    (p) =>
      p === "*" ||
      (p.startsWith("*@") && normalizeDomain(p.slice(2)) !== null) ||
      (p.endsWith("*") && !p.slice(0, -1).includes("*") && !/\s/.test(p)) ||
      normalizeAddress(p) !== null,
    'address must be "*", an address (support@blog.example.com), "*@blog.example.com" or a prefix ending in * ("support+*")',
  ),
);
