import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { classifyAddress, classifyHostname, parseCanonicalAddress } from "./address-policy.js";
import { parseAllowlist } from "./allowlist.js";

function verdictFor(text: string) {
  const address = parseCanonicalAddress(text);
  if (!address) throw new Error(`test address ${text} did not parse`);
  return classifyAddress(address);
}

describe("address policy", () => {
  const refusedAddresses: [string, string][] = [
    ["127.0.0.1", "loopback address (127.0.0.0/8)"],
    ["127.255.255.254", "loopback address (127.0.0.0/8)"],
    ["10.0.0.5", "private address (10.0.0.0/8)"],
    ["172.16.0.1", "private address (172.16.0.0/12)"],
    ["172.31.255.255", "private address (172.16.0.0/12)"],
    ["192.168.1.1", "private address (192.168.0.0/16)"],
    ["100.64.0.1", "CGNAT shared address (100.64.0.0/10)"],
    ["100.127.255.255", "CGNAT shared address (100.64.0.0/10)"],
    ["169.254.1.1", "link-local address (169.254.0.0/16)"],
    ["169.254.169.254", "cloud metadata address (169.254.169.254/32)"],
    ["169.254.170.2", "cloud metadata address"],
    ["100.100.100.200", "cloud metadata address"],
    ["0.0.0.0", "unspecified address (0.0.0.0/8)"],
    ["0.1.2.3", "unspecified address (0.0.0.0/8)"],
    ["224.0.0.1", "multicast address (224.0.0.0/4)"],
    ["239.255.255.250", "multicast address"],
    ["255.255.255.255", "broadcast address"],
    ["240.0.0.1", "reserved address (240.0.0.0/4)"],
    ["192.0.0.8", "reserved address (192.0.0.0/24)"],
    ["192.0.2.1", "documentation address"],
    ["198.51.100.7", "documentation address"],
    ["203.0.113.9", "documentation address"],
    ["198.18.0.1", "benchmarking address"],
    ["192.175.48.1", "special-purpose address (as112)"],
    ["::1", "loopback address (::1/128)"],
    ["::", "unspecified address (::/128)"],
    ["fe80::1", "link-local address (fe80::/10)"],
    ["fc00::1", "unique-local address (fc00::/7)"],
    ["fd12:3456::1", "unique-local address (fc00::/7)"],
    ["fd00:ec2::254", "cloud metadata address (fd00:ec2::254/128)"],
    ["ff02::1", "multicast address (ff00::/8)"],
    ["fec0::1", "site-local address"],
    ["::ffff:127.0.0.1", "IPv4-mapped IPv6 address (::ffff:0:0/96)"],
    ["::ffff:8.8.8.8", "IPv4-mapped IPv6 address"],
    ["::7f00:1", "IPv4-compatible IPv6 address (::/96)"],
    // ipaddr.js reads the dotted "::a.b.c.d" spelling as IPv4-mapped; refused either way.
    ["::127.0.0.1", "IPv6 address"],
    ["::ffff:0:a00:1", "IPv4-translated IPv6 address"],
    ["64:ff9b::10.0.0.1", "NAT64 address embedding 10.0.0.1, private address (10.0.0.0/8)"],
    ["64:ff9b::127.0.0.1", "NAT64 address embedding 127.0.0.1, loopback address"],
    ["64:ff9b::169.254.169.254", "NAT64 address embedding 169.254.169.254, cloud metadata address"],
    ["64:ff9b:1::a00:1", "local-use NAT64 address"],
    ["2002:7f00:1::1", "6to4 address embedding 127.0.0.1, loopback address"],
    ["2002:c0a8:101::1", "6to4 address embedding 192.168.1.1, private address"],
    // Teredo: server 65.54.227.120, client stored inverted: ~0a000001 = f5ff:fffe → 10.0.0.1.
    ["2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo address embedding 10.0.0.1, private address"],
    ["2001:0:0a00:0001:8000:63bf:b7b7:f7f7", "Teredo address embedding 10.0.0.1"],
    ["2001:db8::1", "documentation address (2001:db8::/32)"],
    ["3fff::1", "documentation address (3fff::/20)"],
    ["100::1", "discard-only address (100::/64)"],
    ["2001:2::1", "special-purpose address (benchmarking)"],
    ["4000::1", "reserved address (outside global unicast 2000::/3)"],
  ];

  it.each(refusedAddresses)("refuses %s as %s", (address, reason) => {
    const verdict = verdictFor(address);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toContain(reason);
  });

  it.each([
    "8.8.8.8",
    "93.184.215.14",
    "1.1.1.1",
    "172.15.255.255",
    "172.32.0.1",
    "100.63.255.255",
    "100.128.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82b::200e",
    "64:ff9b::8.8.8.8",
    "2002:0808:0808::1",
  ])("allows the public address %s", (address) => {
    expect(verdictFor(address)).toEqual({ allowed: true });
  });

  it("marks metadata refusals so only exact allowlist entries can lift them", () => {
    expect(verdictFor("169.254.169.254")).toMatchObject({ allowed: false, metadata: true });
    expect(verdictFor("169.254.1.1")).toMatchObject({ allowed: false, metadata: false });
  });

  it("accepts only canonical address spellings", () => {
    for (const text of [
      "0177.0.0.1",
      "127.1",
      "0x7f.0.0.1",
      "2130706433",
      "fe80::1%eth0",
      "example.com",
      "",
    ]) {
      expect(parseCanonicalAddress(text), text).toBeNull();
    }
    expect(parseCanonicalAddress("127.0.0.1")?.toString()).toBe("127.0.0.1");
    expect(parseCanonicalAddress("::ffff:127.0.0.1")?.kind()).toBe("ipv6");
  });

  it.each([
    ["metadata.google.internal", "cloud metadata hostname"],
    ["metadata.goog", "cloud metadata hostname"],
    ["instance-data.ec2.internal", "cloud metadata hostname"],
    ["localhost", "loopback hostname"],
    ["api.localhost", "loopback hostname"],
  ])("refuses the host name %s before any lookup", (hostname, reason) => {
    expect(classifyHostname(hostname)?.reason).toBe(reason);
  });

  it("leaves ordinary host names to the resolver", () => {
    expect(classifyHostname("example.com")).toBeNull();
    expect(classifyHostname("localhost.example.com")).toBeNull();
  });
});

describe("allowlist", () => {
  const v4 = (text: string) => ipaddr.IPv4.parse(text);
  const v6 = (text: string) => ipaddr.IPv6.parse(text);

  it("matches host names exactly, case-insensitively, with an optional port", () => {
    const list = parseAllowlist(["NAS.local", "printer.lan:631"]);
    expect(list.allowsHost("nas.local", 80)).toBe(true);
    expect(list.allowsHost("nas.local", 5000)).toBe(true);
    expect(list.allowsHost("sub.nas.local", 80)).toBe(false);
    expect(list.allowsHost("printer.lan", 631)).toBe(true);
    expect(list.allowsHost("printer.lan", 80)).toBe(false);
  });

  it("matches addresses and CIDR ranges, with an optional port", () => {
    const list = parseAllowlist(["192.168.1.0/24", "10.0.0.7:8080", "fd00::/8", "[fd00::1]:9000", "[::1]"]);
    expect(list.allowsAddress(v4("192.168.1.200"), 80, false)).toBe(true);
    expect(list.allowsAddress(v4("192.168.2.1"), 80, false)).toBe(false);
    expect(list.allowsAddress(v4("10.0.0.7"), 8080, false)).toBe(true);
    expect(list.allowsAddress(v4("10.0.0.7"), 80, false)).toBe(false);
    expect(list.allowsAddress(v6("fd12::5"), 443, false)).toBe(true);
    expect(list.allowsAddress(v6("::1"), 443, false)).toBe(true);
    expect(list.allowsAddress(v6("fe80::1"), 443, false)).toBe(false);
    expect(parseAllowlist(["192.168.1.0/24:8443"]).allowsAddress(v4("192.168.1.3"), 8443, false)).toBe(true);
    expect(parseAllowlist(["192.168.1.0/24:8443"]).allowsAddress(v4("192.168.1.3"), 443, false)).toBe(false);
  });

  it("unlocks a cloud metadata address only through an entry naming it exactly", () => {
    expect(parseAllowlist(["169.254.0.0/16"]).allowsAddress(v4("169.254.169.254"), 80, true)).toBe(false);
    expect(parseAllowlist(["169.254.169.254"]).allowsAddress(v4("169.254.169.254"), 80, true)).toBe(true);
  });

  it.each([
    ["", "empty"],
    ["nas.local:0", "port"],
    ["nas.local:99999", "port"],
    ["nas.local:http", "port"],
    ["192.168.1.0/33", "CIDR"],
    ["0177.0.0.1", "dotted-quad"],
    ["2130706433", "dotted-quad"],
    ["fd00::1:8080:", "IPv6"],
    ["[fd00::1", "[ipv6]"],
    ["[fd00::1]8080", "[ipv6]"],
    ["[nas.local]:80", "[ipv6]"],
    ["exa mple.com", "host name"],
    ["http://nas.local", "port"],
  ])("rejects the entry %j naming the problem (%s)", (entry, problem) => {
    expect(() => parseAllowlist([entry])).toThrow(TypeError);
    expect(() => parseAllowlist([entry])).toThrow(problem);
  });
});
