/**
 * The per-app allowlist an admin sets to let scripts reach hosts the address
 * policy would refuse (a NAS on the LAN, a sidecar on loopback).
 *
 * Entry forms, each optionally limited to one port:
 *   nas.local  nas.local:8080            host name (exact, case-insensitive)
 *   192.168.1.10  192.168.1.10:8080      IPv4 address
 *   192.168.1.0/24  192.168.1.0/24:8080  IPv4 CIDR
 *   fd00::1  fd00::/8                    IPv6 address or CIDR
 *   [fd00::1]:8080  [fd00::/8]:8080      IPv6 with a port (brackets required)
 * Cloud metadata addresses are only reachable through an entry naming that
 * exact address: a broad range such as 169.254.0.0/16 never unlocks them.
 */
import ipaddr from "ipaddr.js";
import type { IpAddress } from "./address-policy.js";

type AllowEntry =
  | { kind: "host"; host: string; port: number | null }
  | { kind: "range"; range: [IpAddress, number]; exact: boolean; port: number | null };

export interface Allowlist {
  /** True when an entry names this host (the URL's host name, lower case, no trailing dot). */
  allowsHost(hostname: string, port: number): boolean;
  /** True when an entry covers this address; metadata addresses need an exact entry. */
  allowsAddress(address: IpAddress, port: number, metadata: boolean): boolean;
}

function invalid(entry: string, why: string): TypeError {
  return new TypeError(`invalid fetch allowlist entry ${JSON.stringify(entry)}: ${why}`);
}

function parsePort(entry: string, text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw invalid(entry, `port ${JSON.stringify(text)} is not 1-65535`);
  return port;
}

function rangeEntry(entry: string, text: string, port: number | null): AllowEntry | null {
  let range: [IpAddress, number];
  if (text.includes("/")) {
    const [address = "", bits = ""] = text.split("/");
    const strictV4 = ipaddr.IPv4.isValidCIDRFourPartDecimal(text);
    const v6 = address.includes(":") && ipaddr.IPv6.isValidCIDR(text);
    if (!strictV4 && !v6) throw invalid(entry, `${JSON.stringify(text)} is not a CIDR range`);
    if (!/^\d{1,3}$/.test(bits)) throw invalid(entry, `${JSON.stringify(text)} is not a CIDR range`);
    range = ipaddr.parseCIDR(text);
  } else if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    range = [ipaddr.IPv4.parse(text), 32];
  } else if (text.includes(":") && ipaddr.IPv6.isValid(text)) {
    range = [ipaddr.IPv6.parse(text), 128];
  } else {
    return null;
  }
  const full = range[0].kind() === "ipv4" ? 32 : 128;
  return { kind: "range", range, exact: range[1] === full, port };
}

function hostEntry(entry: string, text: string, port: number | null): AllowEntry {
  const host = text.endsWith(".") ? text.slice(0, -1) : text;
  let parsed: string;
  try {
    parsed = new URL(`http://${host}/`).hostname;
  } catch {
    throw invalid(entry, `${JSON.stringify(text)} is not a host name`);
  }
  // The URL parser turns "2130706433" or "0x7f.1" into 127.0.0.1; make admins write the address itself.
  if (parsed !== host || host === "" || /^[\d.]+$/.test(host)) {
    throw invalid(entry, `${JSON.stringify(text)} is not a host name or dotted-quad address`);
  }
  return { kind: "host", host, port };
}

function parseEntry(raw: string): AllowEntry {
  const entry = raw.trim().toLowerCase();
  if (entry === "") throw invalid(raw, "empty");
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    const inside = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (close < 0 || !inside.includes(":") || (rest !== "" && !rest.startsWith(":"))) {
      throw invalid(raw, "expected [ipv6] or [ipv6]:port");
    }
    const port = rest === "" ? null : parsePort(raw, rest.slice(1));
    const parsed = rangeEntry(raw, inside, port);
    if (!parsed) throw invalid(raw, `${JSON.stringify(inside)} is not an IPv6 address or range`);
    return parsed;
  }
  // Two or more colons: an IPv6 address or range, which can only carry a port inside brackets.
  if (entry.indexOf(":") !== entry.lastIndexOf(":")) {
    const parsed = rangeEntry(raw, entry, null);
    if (!parsed) throw invalid(raw, "not an IPv6 address or range (use [addr]:port for a port)");
    return parsed;
  }
  const colon = entry.indexOf(":");
  const head = colon < 0 ? entry : entry.slice(0, colon);
  const port = colon < 0 ? null : parsePort(raw, entry.slice(colon + 1));
  return rangeEntry(raw, head, port) ?? hostEntry(raw, head, port);
}

/** Parses admin-supplied entries; throws a TypeError naming the first invalid one. */
export function parseAllowlist(entries: readonly string[]): Allowlist {
  const parsed = entries.map(parseEntry);
  const portMatches = (entry: AllowEntry, port: number) => entry.port === null || entry.port === port;
  return {
    allowsHost(hostname, port) {
      return parsed.some((e) => e.kind === "host" && e.host === hostname && portMatches(e, port));
    },
    allowsAddress(address, port, metadata) {
      return parsed.some(
        (e) =>
          e.kind === "range" &&
          e.range[0].kind() === address.kind() &&
          address.match(e.range) &&
          (!metadata || e.exact) &&
          portMatches(e, port),
      );
    },
  };
}
