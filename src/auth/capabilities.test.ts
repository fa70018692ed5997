import { describe, expect, it } from "vitest";
import type { AppRole } from "../apps/schema.js";
import { type AppCapability, can, canSeeApp } from "./capabilities.js";
import type { Principal } from "./principal.js";
import type { InstanceRole } from "./schema.js";
import { expandScopes, type Scope } from "./scopes.js";

const APP = "00000000-0000-7000-8000-00000000000a";
const OTHER = "00000000-0000-7000-8000-00000000000b";

function principal(role: InstanceRole, key?: { scopes: Scope[]; app?: string }): Principal {
  return {
    user: { id: "u", email: "u@example.com", role },
    via: key ? "api_key" : "session",
    scopes: key ? expandScopes(key.scopes) : null,
    boundAppId: key?.app ?? null,
  };
}

const access = (memberRole: AppRole | null) => ({ appId: APP, memberRole });

// The minimum app role and scope of each app capability (SPEC §7), stated once more independently of the code.
const APP_CAPS: [AppCapability, AppRole, Scope][] = [
  ["app.read", "viewer", "app:read"],
  ["data.read", "viewer", "app:read"],
  ["script.read", "viewer", "script:read"],
  ["data.write", "editor", "app:write"],
  ["script.write", "editor", "script:write"],
  ["app.update", "app_admin", "app:admin"],
  ["app.delete", "app_admin", "app:admin"],
  ["app.members.manage", "app_admin", "app:admin"],
];
const RANK = { viewer: 1, editor: 2, app_admin: 3 } as const;

describe("can(): the authorization matrix", () => {
  describe("sessions: instance role × app role", () => {
    const cases: [InstanceRole, AppRole | null][] = [
      ["owner", null],
      ["admin", null],
      ["member", null],
      ["member", "viewer"],
      ["member", "editor"],
      ["member", "app_admin"],
    ];
    for (const [role, memberRole] of cases) {
      for (const [cap, minRole] of APP_CAPS) {
        const effective = role === "member" ? memberRole : "app_admin";
        const expected = effective !== null && RANK[effective] >= RANK[minRole];
        it(`${role}${memberRole ? `/${memberRole}` : ""} ${expected ? "may" : "may not"} ${cap}`, () => {
          expect(can(principal(role), cap, access(memberRole))).toBe(expected);
        });
      }
    }
  });

  it("owners and admins manage users and create apps; members do not", () => {
    for (const role of ["owner", "admin"] as const) {
      expect(can(principal(role), "users.manage")).toBe(true);
      expect(can(principal(role), "users.read")).toBe(true);
      expect(can(principal(role), "apps.create")).toBe(true);
    }
    expect(can(principal("member"), "users.manage")).toBe(false);
    expect(can(principal("member"), "users.read")).toBe(false);
    expect(can(principal("member"), "apps.create")).toBe(false);
  });

  describe("API keys: role AND scope", () => {
    for (const [cap, , scope] of APP_CAPS) {
      it(`${cap} needs scope ${scope} even for an owner`, () => {
        expect(can(principal("owner", { scopes: [scope] }), cap, access(null))).toBe(true);
        const others = (["app:read", "script:read", "instance:admin"] as Scope[]).filter(
          (s) => !expandScopes([s]).has(scope),
        );
        expect(can(principal("owner", { scopes: others }), cap, access(null))).toBe(false);
      });
    }

    it("a wide key does not widen a narrow role", () => {
      const all = ["instance:admin", "app:admin", "script:write"] as Scope[];
      expect(can(principal("member", { scopes: all }), "script.write", access("viewer"))).toBe(false);
      expect(can(principal("member", { scopes: all }), "users.manage")).toBe(false);
      expect(can(principal("member", { scopes: all }), "script.write", access("editor"))).toBe(true);
    });

    it("broader scopes imply narrower ones of their family only", () => {
      const p = principal("owner", { scopes: ["app:admin"] });
      expect(can(p, "data.read", access(null))).toBe(true);
      expect(can(p, "data.write", access(null))).toBe(true);
      expect(can(p, "script.read", access(null))).toBe(false);
      expect(can(principal("owner", { scopes: ["instance:admin"] }), "users.read")).toBe(true);
      expect(can(principal("owner", { scopes: ["instance:read"] }), "users.manage")).toBe(false);
    });
  });

  describe("keys bound to an app", () => {
    const bound = principal("owner", { scopes: ["app:admin", "script:write", "instance:admin"], app: APP });
    it("act on their app", () => {
      expect(can(bound, "script.write", access(null))).toBe(true);
      expect(canSeeApp(bound, access(null))).toBe(true);
    });
    it("cannot see another app at all", () => {
      expect(canSeeApp(bound, { appId: OTHER, memberRole: null })).toBe(false);
      expect(can(bound, "app.read", { appId: OTHER, memberRole: null })).toBe(false);
    });
    it("never act on the instance", () => {
      expect(can(bound, "users.manage")).toBe(false);
      expect(can(bound, "apps.create")).toBe(false);
    });
  });
});
