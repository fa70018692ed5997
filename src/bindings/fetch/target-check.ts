/**
 * Turns one hop's URL into the list of addresses it may connect to: the host is
 * resolved exactly once and every answer is checked, so a name that mixes a
 * public and a private address is refused as a whole. The caller connects only
 * to the returned addresses; no second lookup happens, which defeats DNS
 * rebinding.
 */
import { lookup } from "node:dns/promises";
import {
  classifyAddress,
  classifyHostname,
  type IpAddress,
  parseCanonicalAddress,
} from "./address-policy.js";
import type { Allowlist } from "./allowlist.js";
import { errorCode, failed, refused } from "./fetch-errors.js";
import { checkUrl } from "./url-policy.js";

/** Resolves a host name to all its addresses (family is informative; the address text decides). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

export interface CheckedTarget {
  port: number;
  /** Checked addresses in resolver order, canonical text, no duplicates. */
  addresses: string[];
}

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), all answers in resolver order. */
export const systemResolver: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export async function checkTarget(
  url: URL,
  context: { allowlist: Allowlist; resolve: Resolver; signal: AbortSignal },
): Promise<CheckedTarget> {
  const { hostname, port } = checkUrl(url);
  const { allowlist } = context;

  const literal = parseCanonicalAddress(hostname);
  if (literal) {
    const verdict = classifyAddress(literal);
    if (!verdict.allowed && !allowlist.allowsAddress(literal, port, verdict.metadata)) {
      throw refused(url, verdict.reason);
    }
    return { port, addresses: [literal.toString()] };
  }

  const hostAllowed = allowlist.allowsHost(hostname, port);
  const named = classifyHostname(hostname);
  if (named && !hostAllowed) throw refused(url, `${hostname} is a ${named.reason}`);

  let answers: Awaited<ReturnType<Resolver>>;
  try {
    answers = await untilAborted(context.resolve(hostname), context.signal);
  } catch (error) {
    if (context.signal.aborted) throw error;
    const code = errorCode(error);
    throw failed(url, `could not resolve ${hostname}${code ? ` (${code})` : ""}`);
  }
  if (!Array.isArray(answers) || answers.length === 0)
    throw failed(url, `${hostname} resolved to no address`);

  const addresses: IpAddress[] = [];
  for (const answer of answers) {
    const address = parseCanonicalAddress(String(answer?.address));
    if (!address) throw refused(url, `${hostname} resolved to an invalid address`);
    const verdict = classifyAddress(address);
    // An allowlisted host name vouches for its addresses, except cloud metadata ones.
    if (
      !verdict.allowed &&
      !(hostAllowed && !verdict.metadata) &&
      !allowlist.allowsAddress(address, port, verdict.metadata)
    ) {
      throw refused(url, `${hostname} resolves to ${address.toString()}, ${verdict.reason}`);
    }
    addresses.push(address);
  }
  return { port, addresses: [...new Set(addresses.map((a) => a.toString()))] };
}
