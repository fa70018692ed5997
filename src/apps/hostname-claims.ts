/**
 * Who may make an app answer on a hostname (docs/security.md). A hostname is
 * a claim on whatever a browser shows under that origin, so:
 * - the admin hosts (PICLOUD_PUBLIC_URL's host, `localhost`, IP literals) are
 *   never an app's: scripts must not share the admin session's origin;
 * - `<slug>.<base domain>` and every name under it belong to the app with that
 *   slug, whether or not it exists yet; the base domain and `*.<base domain>`
 *   belong to no app;
 * - any other name could be anybody's, so only an instance owner or admin may
 *   point it at an app (an app_admin asks them).
 * Wildcards are checked as the names they cover.
 */
import type { AdminOrigin } from "../config/admin-origin.js";
import { isIpLiteral } from "../config/admin-origin.js";

export interface HostnameClaimContext {
  baseDomain: string;
  admin: AdminOrigin;
}

export interface ClaimRefusal {
  status: 400 | 403;
  message: string;
}

/**
 * Why the app with `appSlug` may not answer on `hostname` (already validated
 * and lower-cased; exact or `*.`-wildcard), or null when it may.
 * `mayClaimCustom`: the caller is an instance owner or admin.
 */
export function hostnameClaimRefusal(
  hostname: string,
  appSlug: string,
  ctx: HostnameClaimContext,
  mayClaimCustom: boolean,
): ClaimRefusal | null {
  const wildcard = hostname.startsWith("*.");
  const name = wildcard ? hostname.slice(2) : hostname;
  const base = ctx.baseDomain;
  if (isIpLiteral(name)) return { status: 400, message: "hostname must be a DNS name, not an IP address" };
  if (ctx.admin.isAdminHost(name) || (wildcard && ctx.admin.hostname.endsWith(`.${name}`)))
    return {
      status: 403,
      message: `hostname ${hostname} is reserved: ${ctx.admin.hostname} is PiCloud's admin host and never serves an app`,
    };
  if (wildcard && base.endsWith(`.${name}`))
    return {
      status: 403,
      message: `hostname ${hostname} is reserved: it would cover ${base}, where every app answers on <slug>.${base}`,
    };
  if (name === base)
    return {
      status: 403,
      message: `hostname ${hostname} is reserved: every app already answers on <slug>.${base}`,
    };
  if (name.endsWith(`.${base}`)) {
    const owner = name
      .slice(0, -base.length - 1)
      .split(".")
      .pop()!;
    if (owner !== appSlug)
      return {
        status: 403,
        message: `hostname ${hostname} belongs to the app with slug "${owner}": names under ${owner}.${base} are that app's`,
      };
    if (!wildcard && name === `${appSlug}.${base}`)
      return { status: 400, message: `the app already answers on ${hostname}; no domain is needed` };
    return null;
  }
  if (name === "localhost" || name.endsWith(".localhost"))
    return {
      status: 403,
      message: `hostname ${hostname} is reserved: localhost names always mean this machine`,
    };
  if (!mayClaimCustom)
    return {
      status: 403,
      message: `hostname ${hostname} is outside ${base}: only an instance owner or admin may add a custom domain`,
    };
  return null;
}
