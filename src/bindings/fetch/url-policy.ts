/**
 * Checks on the URL itself, before any lookup: scheme, credentials and port.
 * The URL is parsed once by Node's WHATWG parser, which already turns decimal,
 * octal, hex and short IPv4 spellings (2130706433, 0177.0.0.1, 0x7f.1, 127.1)
 * into a dotted quad, so later checks only ever see canonical hosts.
 */
import { refused } from "./fetch-errors.js";

// Fetch spec "bad port" list: ports of protocols that HTTP must not be aimed at (SMTP, IRC, ...).
const BAD_PORTS = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

export interface UrlTarget {
  /** Host name or IP literal, lower case, without brackets or trailing dot. */
  hostname: string;
  /** The effective port (80/443 when the URL has none). */
  port: number;
}

/** Refuses URLs no outbound fetch may use; returns the host and port to check next. */
export function checkUrl(url: URL): UrlTarget {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw refused(url, `scheme ${url.protocol} is not allowed (only http: and https:)`);
  }
  // Fetch rejects credentials in request URLs; silently stripping them would hide a mistake.
  if (url.username !== "" || url.password !== "") {
    throw refused(url, "credentials in the URL are not allowed (send an Authorization header instead)");
  }
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  if (BAD_PORTS.has(port)) throw refused(url, `port ${port} is blocked (Fetch spec bad port)`);
  let hostname = url.hostname;
  if (hostname.startsWith("[")) hostname = hostname.slice(1, -1);
  if (hostname.endsWith(".")) hostname = hostname.slice(0, -1);
  if (hostname === "") throw refused(url, "the URL has no host");
  return { hostname, port };
}

/** Parses a URL, turning a parse failure into the guest's TypeError. */
export function parseUrl(text: string, base?: URL): URL | null {
  try {
    return new URL(text, base);
  } catch {
    return null;
  }
}
