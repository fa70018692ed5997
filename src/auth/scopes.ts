/** API key scopes (SPEC §7) and which scope implies which. */
import * as v from "valibot";

export const SCOPES = [
  "instance:read",
  "instance:admin",
  "app:read",
  "app:write",
  "app:admin",
  "script:read",
  "script:write",
] as const;
export type Scope = (typeof SCOPES)[number];

// A broader scope includes the narrower ones of its family.
const IMPLIES: Record<Scope, Scope[]> = {
  "instance:read": [],
  "instance:admin": ["instance:read"],
  "app:read": [],
  "app:write": ["app:read"],
  "app:admin": ["app:write", "app:read"],
  "script:read": [],
  "script:write": ["script:read"],
};

/** The scopes granted, with every implied scope added. */
export function expandScopes(scopes: readonly Scope[]): ReadonlySet<Scope> {
  const out = new Set<Scope>();
  for (const s of scopes) {
    out.add(s);
    for (const i of IMPLIES[s]) out.add(i);
  }
  return out;
}

export const scopeSchema = v.picklist(SCOPES, `must be one of ${SCOPES.join(", ")}`);
