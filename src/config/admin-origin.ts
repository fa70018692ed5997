/**
 * Which Host names are PiCloud's admin origin (docs/security.md). The admin
 * API, the dashboard, health and metrics are served there and nothing a script
 * returns ever is, so a page written by a script can never run with the admin
 * session's origin. Apps answer on every other host.
 *
 * The admin hosts are the host of PICLOUD_PUBLIC_URL, `localhost` and every IP
 * literal: the names an operator and the CLI (default http://localhost:8787)
 * use to reach the instance itself. Apps get DNS names: `<slug>.<base domain>`
 * (`*.localhost` resolves to loopback in browsers and curl) or their domains.
 */
import { isIP } from "node:net";

export class AdminOrigin {
  /** The admin origin as a browser sees it, e.g. `http://localhost:8787`. */
  readonly origin: string;
  /** The host name of PICLOUD_PUBLIC_URL, lower-cased, without port. */
  readonly hostname: string;
  private readonly scheme: string;
  private readonly port: string;

  constructor(publicUrl: string) {
    const url = new URL(publicUrl);
    this.origin = url.origin;
    this.hostname = bareHostname(url.hostname);
    this.scheme = url.protocol;
    this.port = url.port;
  }

  /** True when `hostname` (lower-case, no port; IPv6 with or without brackets) is an admin host. */
  isAdminHost(hostname: string): boolean {
    const h = bareHostname(hostname);
    return h === this.hostname || h === "localhost" || isIpLiteral(h);
  }

  /** The URL an app answers on by default: `<slug>.<base domain>` with the public URL's scheme and port. */
  appUrl(slug: string, baseDomain: string): string {
    return `${this.scheme}//${slug}.${baseDomain}${this.port ? `:${this.port}` : ""}`;
  }
}

/** A hostname without IPv6 brackets or a trailing dot. */
function bareHostname(hostname: string): string {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}

/**
 * An IPv4 or IPv6 literal, also in the spellings URL parsers turn into IPv4
 * (`2130706433`, `0x7f.1`, `127.1`): a name whose last label is numeric is
 * never a DNS name a browser would look up.
 */
export function isIpLiteral(hostname: string): boolean {
  const h = bareHostname(hostname);
  if (isIP(h) !== 0) return true;
  const last = h.split(".").pop() ?? "";
  return /^(0x[0-9a-f]*|\d+)$/i.test(last);
}
