/**
 * Which IP addresses and host names a script's outbound fetch may reach.
 *
 * The policy is a deny table checked first (so refusals name the exact block),
 * then two catch-alls: ipaddr.js must call the address plain `unicast`, and an
 * IPv6 address must sit in global unicast 2000::/3. Anything ipaddr.js knows as
 * special but the table forgot is therefore still refused. IPv6 forms that
 * embed an IPv4 address (NAT64, 6to4, Teredo) are judged by the embedded one.
 */
import ipaddr from "ipaddr.js";

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string; metadata: boolean };

interface Block {
  cidr: string;
  range: [IpAddress, number];
  label: string;
  metadata: boolean;
}

function blocks(label: string, cidrs: string[], metadata = false): Block[] {
  return cidrs.map((cidr) => ({ cidr, range: ipaddr.parseCIDR(cidr), label, metadata }));
}

const CLOUD_METADATA = "cloud metadata address";

// Order matters: the first match names the refusal, so specific blocks come first.
const IPV4_BLOCKS: Block[] = [
  // AWS/GCP/Azure/OCI IMDS, ECS task metadata, EKS pod identity, Alibaba Cloud.
  ...blocks(
    CLOUD_METADATA,
    ["169.254.169.254/32", "169.254.170.2/32", "169.254.170.23/32", "100.100.100.200/32"],
    true,
  ),
  ...blocks("unspecified address", ["0.0.0.0/8"]),
  ...blocks("loopback address", ["127.0.0.0/8"]),
  ...blocks("private address", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
  ...blocks("CGNAT shared address", ["100.64.0.0/10"]),
  ...blocks("link-local address", ["169.254.0.0/16"]),
  ...blocks("reserved address", ["192.0.0.0/24", "192.88.99.0/24"]),
  ...blocks("documentation address", ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]),
  ...blocks("benchmarking address", ["198.18.0.0/15"]),
  ...blocks("multicast address", ["224.0.0.0/4"]),
  ...blocks("broadcast address", ["255.255.255.255/32"]),
  ...blocks("reserved address", ["240.0.0.0/4"]),
];

const IPV6_BLOCKS: Block[] = [
  // AWS IMDS and EKS pod identity over IPv6.
  ...blocks(CLOUD_METADATA, ["fd00:ec2::254/128", "fd00:ec2::23/128"], true),
  ...blocks("unspecified address", ["::/128"]),
  ...blocks("loopback address", ["::1/128"]),
  ...blocks("IPv4-mapped IPv6 address", ["::ffff:0:0/96"]),
  ...blocks("IPv4-translated IPv6 address", ["::ffff:0:0:0/96"]),
  ...blocks("IPv4-compatible IPv6 address", ["::/96"]),
  ...blocks("local-use NAT64 address", ["64:ff9b:1::/48"]),
  ...blocks("discard-only address", ["100::/64"]),
  ...blocks("unique-local address", ["fc00::/7"]),
  ...blocks("link-local address", ["fe80::/10"]),
  ...blocks("site-local address", ["fec0::/10"]),
  ...blocks("multicast address", ["ff00::/8"]),
  ...blocks("documentation address", ["2001:db8::/32", "3fff::/20"]),
];

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");
const NAT64_WELL_KNOWN = ipaddr.parseCIDR("64:ff9b::/96");
const SIX_TO_FOUR = ipaddr.parseCIDR("2002::/16");
const TEREDO = ipaddr.parseCIDR("2001::/32");

function matchBlock(address: IpAddress, table: Block[]): Block | undefined {
  return table.find((block) => block.range[0].kind() === address.kind() && address.match(block.range));
}

function v4FromBytes(bytes: number[]): ipaddr.IPv4 {
  return ipaddr.fromByteArray(bytes) as ipaddr.IPv4;
}

/** The IPv4 addresses an IPv6 transition address carries, with the name of the mechanism. */
function embeddedIPv4(address: ipaddr.IPv6): { mechanism: string; inner: ipaddr.IPv4[] } | null {
  const bytes = address.toByteArray();
  if (address.match(NAT64_WELL_KNOWN))
    return { mechanism: "NAT64", inner: [v4FromBytes(bytes.slice(12, 16))] };
  if (address.match(SIX_TO_FOUR)) return { mechanism: "6to4", inner: [v4FromBytes(bytes.slice(2, 6))] };
  if (address.match(TEREDO)) {
    // RFC 4380: server address in bits 32-63, client address stored bit-inverted in the last 32 bits.
    const server = v4FromBytes(bytes.slice(4, 8));
    const client = v4FromBytes(bytes.slice(12, 16).map((b) => b ^ 0xff));
    return { mechanism: "Teredo", inner: [client, server] };
  }
  return null;
}

function refuse(block: Block): AddressVerdict {
  return { allowed: false, reason: `${block.label} (${block.cidr})`, metadata: block.metadata };
}

function classifyIPv4(address: ipaddr.IPv4): AddressVerdict {
  const block = matchBlock(address, IPV4_BLOCKS);
  if (block) return refuse(block);
  const range = address.range();
  if (range !== "unicast")
    return { allowed: false, reason: `special-purpose address (${range})`, metadata: false };
  return { allowed: true };
}

function classifyIPv6(address: ipaddr.IPv6): AddressVerdict {
  const block = matchBlock(address, IPV6_BLOCKS);
  if (block) return refuse(block);
  const embedded = embeddedIPv4(address);
  if (embedded) {
    for (const inner of embedded.inner) {
      const verdict = classifyIPv4(inner);
      if (!verdict.allowed) {
        return {
          allowed: false,
          reason: `${embedded.mechanism} address embedding ${inner.toString()}, ${verdict.reason}`,
          metadata: verdict.metadata,
        };
      }
    }
    return { allowed: true };
  }
  if (!address.match(GLOBAL_UNICAST_V6)) {
    return { allowed: false, reason: "reserved address (outside global unicast 2000::/3)", metadata: false };
  }
  const range = address.range();
  if (range !== "unicast")
    return { allowed: false, reason: `special-purpose address (${range})`, metadata: false };
  return { allowed: true };
}

/** Whether a script may connect to `address`; a refusal names the class and block. */
export function classifyAddress(address: IpAddress): AddressVerdict {
  return address instanceof ipaddr.IPv4 ? classifyIPv4(address) : classifyIPv6(address);
}

/**
 * Parses an address as a resolver or URL hands it over. Only canonical
 * spellings are accepted (ipaddr.js alone would also read "0177.1" as octal),
 * so the value checked is the value connected to.
 */
export function parseCanonicalAddress(text: string): IpAddress | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!text.includes(":") || !ipaddr.IPv6.isValid(text)) return null;
  const parsed = ipaddr.IPv6.parse(text);
  return parsed.zoneId ? null : parsed;
}

const METADATA_HOSTNAMES = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
]);

/** Host names refused before any lookup; `null` when the name may be resolved. */
export function classifyHostname(hostname: string): { reason: string; metadata: boolean } | null {
  if (METADATA_HOSTNAMES.has(hostname)) return { reason: "cloud metadata hostname", metadata: true };
  // RFC 6761: localhost and its subdomains always mean this machine.
  if (hostname === "localhost" || hostname.endsWith(".localhost")) {
    return { reason: "loopback hostname", metadata: false };
  }
  return null;
}
