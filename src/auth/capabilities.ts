/**
 * The one authorization check every endpoint uses. A principal may do something
 * only when its instance role (or app role), its API key scopes AND its key's app
 * binding all allow it. Pure: the caller loads the resource and the membership.
 *
 * @example
 *   const app = await apps.load(principal, "blog");          // 404 when not visible
 *   assertCan(principal, "script.write", app.access);          // 403 when visible but not allowed
 */
import type { AppRole } from "../apps/schema.js";
import { forbidden } from "../lib/errors.js";
import type { Principal } from "./principal.js";
import type { InstanceRole } from "./schema.js";
import type { Scope } from "./scopes.js";

type InstanceCapability =
  | "users.read"
  | "users.manage"
  | "apps.create"
  | "network.allow"
  | "domains.custom"
  | "secret-key.rotate"
  | "email.limits";

export type AppCapability =
  | "app.read"
  | "app.update"
  | "app.delete"
  | "app.members.manage"
  | "script.read"
  | "script.write"
  | "data.read"
  | "data.write"
  | "app.admin";

export type Capability = InstanceCapability | AppCapability;

const APP_ROLE_RANK: Record<AppRole, number> = { viewer: 1, editor: 2, app_admin: 3 };

const INSTANCE_RULES: Record<InstanceCapability, { roles: InstanceRole[]; scope: Scope }> = {
  "users.read": { roles: ["owner", "admin"], scope: "instance:read" },
  "users.manage": { roles: ["owner", "admin"], scope: "instance:admin" },
  "apps.create": { roles: ["owner", "admin"], scope: "app:admin" },
  // Opening an app's scripts to the LAN or loopback is an instance decision, not an app's.
  "network.allow": { roles: ["owner", "admin"], scope: "instance:admin" },
  // A name outside the base domain could be anybody's: pointing it at an app is the instance's call.
  "domains.custom": { roles: ["owner", "admin"], scope: "instance:admin" },
  // Re-encrypting every app's secrets is an operator's act (docs/secrets.md).
  "secret-key.rotate": { roles: ["owner", "admin"], scope: "instance:admin" },
  // Every app sends through the instance's one relay and reputation: raising an app's limit is the operator's call.
  "email.limits": { roles: ["owner", "admin"], scope: "instance:admin" },
};

const APP_RULES: Record<AppCapability, { role: AppRole; scope: Scope }> = {
  "app.read": { role: "viewer", scope: "app:read" },
  "data.read": { role: "viewer", scope: "app:read" },
  "script.read": { role: "viewer", scope: "script:read" },
  "data.write": { role: "editor", scope: "app:write" },
  "script.write": { role: "editor", scope: "script:write" },
  "app.update": { role: "app_admin", scope: "app:admin" },
  "app.delete": { role: "app_admin", scope: "app:admin" },
  "app.members.manage": { role: "app_admin", scope: "app:admin" },
  "app.admin": { role: "app_admin", scope: "app:admin" },
};

/** What the caller knows about the app a capability is checked against. */
export interface AppAccess {
  appId: string;
  /** The principal's membership role in this app, or null when not a member. */
  memberRole: AppRole | null;
}

/** The role the user holds in an app: owners and admins are implicit app admins. */
export function effectiveAppRole(role: InstanceRole, memberRole: AppRole | null): AppRole | null {
  return role === "owner" || role === "admin" ? "app_admin" : memberRole;
}

function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes === null || p.scopes.has(scope);
}

/** True when the principal may see the app at all; otherwise the app must look missing (404). */
export function canSeeApp(p: Principal, access: AppAccess): boolean {
  if (p.boundAppId !== null && p.boundAppId !== access.appId) return false;
  return effectiveAppRole(p.user.role, access.memberRole) !== null;
}

export function can(p: Principal, capability: InstanceCapability): boolean;
export function can(p: Principal, capability: AppCapability, access: AppAccess): boolean;
export function can(p: Principal, capability: Capability, access?: AppAccess): boolean {
  if (capability in INSTANCE_RULES) {
    const rule = INSTANCE_RULES[capability as InstanceCapability];
    // A key bound to one app never acts on the instance as a whole.
    return p.boundAppId === null && rule.roles.includes(p.user.role) && hasScope(p, rule.scope);
  }
  if (!access) return false;
  const rule = APP_RULES[capability as AppCapability];
  if (!canSeeApp(p, access)) return false;
  const role = effectiveAppRole(p.user.role, access.memberRole);
  return role !== null && APP_ROLE_RANK[role] >= APP_ROLE_RANK[rule.role] && hasScope(p, rule.scope);
}

/** Throws 403 naming the missing capability. Use after the resource was found visible. */
export function assertCan(p: Principal, capability: InstanceCapability): void;
export function assertCan(p: Principal, capability: AppCapability, access: AppAccess): void;
export function assertCan(p: Principal, capability: Capability, access?: AppAccess): void {
  const ok = access ? can(p, capability as AppCapability, access) : can(p, capability as InstanceCapability);
  if (!ok) throw forbidden(`missing permission: ${capability}`);
}
