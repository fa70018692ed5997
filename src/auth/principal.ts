/** Who is acting: an admin user, through a session or an API key (with its scopes and optional app binding). */
import type { InstanceRole } from "./schema.js";
import type { Scope } from "./scopes.js";

export interface PrincipalUser {
  id: string;
  email: string;
  role: InstanceRole;
}

export interface Principal {
  user: PrincipalUser;
  via: "session" | "api_key";
  /** Expanded scopes of the API key; `null` for sessions, which carry the user's full role. */
  scopes: ReadonlySet<Scope> | null;
  /** An API key bound to one app acts on that app only. */
  boundAppId: string | null;
  sessionId?: string;
  apiKeyId?: string;
}
