import { describe, expect, it } from "vitest";
import { AdminOrigin } from "../config/admin-origin.js";
import { hostnameClaimRefusal } from "./hostname-claims.js";

// A server setup: the admin on pi.example.net, apps under apps.example.com.
const ctx = { baseDomain: "apps.example.com", admin: new AdminOrigin("https://pi.example.net") };

describe("hostname claims on a server's domains", () => {
  // [hostname, claimed for app "blog" by an instance admin, refused with]
  const cases: [string, string | null][] = [
    ["*.example.com", "it would cover apps.example.com"],
    ["*.apps.example.com", "reserved: every app already answers"],
    ["apps.example.com", "reserved: every app already answers"],
    ["pi.example.net", "admin host"],
    ["*.example.net", "admin host"],
    ["shop.apps.example.com", 'belongs to the app with slug "shop"'],
    ["*.shop.apps.example.com", 'belongs to the app with slug "shop"'],
    ["blog.apps.example.com", "already answers"],
    ["api.blog.apps.example.com", null],
    ["*.blog.apps.example.com", null],
    ["blog.example.com", null],
    ["*.blog.example.org", null],
    ["x.localhost", "localhost names always mean this machine"],
    ["10.0.0.1", "not an IP address"],
  ];
  it.each(cases)("%s → %s", (hostname, refused) => {
    const refusal = hostnameClaimRefusal(hostname, "blog", ctx, true);
    if (refused === null) expect(refusal).toBeNull();
    else expect(refusal?.message).toContain(refused);
  });

  it("keeps custom domains for instance owners and admins", () => {
    expect(hostnameClaimRefusal("blog.example.com", "blog", ctx, false)?.message).toContain(
      "only an instance owner or admin",
    );
  });
});
