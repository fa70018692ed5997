import { describe, expect, it } from "vitest";
import { AdminOrigin, isIpLiteral } from "./admin-origin.js";

describe("the admin origin", () => {
  const admin = new AdminOrigin("https://pi.example.com:8443");

  // [hostname, is an admin host]
  const hosts: [string, boolean][] = [
    ["pi.example.com", true],
    ["PI.example.com.", true],
    ["localhost", true],
    ["127.0.0.1", true],
    ["192.168.1.20", true],
    ["[::1]", true],
    ["::1", true],
    ["2130706433", true],
    ["0x7f.1", true],
    ["blog.example.com", false],
    ["default.localhost", false],
    ["example.com", false],
    ["pi.example.com.evil.net", false],
  ];
  it.each(hosts)("%s → admin host: %s", (hostname, expected) => {
    expect(admin.isAdminHost(hostname)).toBe(expected);
  });

  it("names the origin and an app's default URL with the public URL's scheme and port", () => {
    expect(admin.origin).toBe("https://pi.example.com:8443");
    expect(admin.appUrl("blog", "apps.example.com")).toBe("https://blog.apps.example.com:8443");
    expect(new AdminOrigin("http://localhost").appUrl("default", "localhost")).toBe(
      "http://default.localhost",
    );
  });

  it("treats names whose last label is numeric as IP literals", () => {
    expect(isIpLiteral("10.0.0.1")).toBe(true);
    expect(isIpLiteral("a.b.0x10")).toBe(true);
    expect(isIpLiteral("a1.example.com")).toBe(false);
  });
});
