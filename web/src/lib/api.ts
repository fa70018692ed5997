/**
 * The admin API, as documented in docs/admin-api.md: same-origin JSON with the
 * session cookie. Browsers send `Origin` on writes, which is what the daemon's
 * cross-origin guard checks; nothing else is needed for CSRF.
 */
export const API = "/api/v1/admin";

export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: FieldProblem[] = [],
    /** The field a non-validation error is about (`details.field`, e.g. a taken slug). */
    readonly field?: string,
  ) {
    super(message);
  }

  /** The API's own message for one field (validation problems), if it named that field. */
  forField(field: string): string | undefined {
    if (this.field === field) return this.message;
    return this.problems.find((p) => p.field === field || p.field.startsWith(`${field}.`))?.message;
  }
}

/** Called when the API answers 401: the session has ended. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${API}${path}`, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? { accept: "application/json" } : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported below when the status is an error
  }
  if (!res.ok) {
    const err = (
      json as {
        error?: { code?: string; message?: string; details?: { problems?: FieldProblem[]; field?: string } };
      }
    )?.error;
    if (res.status === 401 && !path.startsWith("/auth/")) onUnauthorized();
    throw new ApiError(
      res.status,
      err?.code ?? "http_error",
      err?.message ?? `${res.status} ${res.statusText}`,
      err?.details?.problems ?? [],
      err?.details?.field,
    );
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>("GET", path);
export const post = <T>(path: string, body?: unknown) => api<T>("POST", path, body ?? {});
export const put = <T>(path: string, body: unknown) => api<T>("PUT", path, body);
export const del = <T = void>(path: string) => api<T>("DELETE", path);

export const enc = encodeURIComponent;

/** Whether an error is shown next to a field rather than on its own. */
export function isFieldError(err: unknown): boolean {
  return err instanceof ApiError && (err.problems.length > 0 || err.field !== undefined);
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// --- shapes of the API's answers (only what the dashboard reads)

export interface User {
  id: string;
  email: string;
  role: "owner" | "admin" | "member";
}

export interface App {
  id: string;
  slug: string;
  name: string;
  role: "viewer" | "editor" | "app_admin";
  unresolvedDeadLetters: number;
  createdAt: string;
}

export interface Script {
  id: string;
  name: string;
  kind: string;
  currentVersion: number | null;
  updatedAt: string;
}

export interface Version {
  id: string;
  version: number;
  size: number;
  current: boolean;
  createdAt: string;
  source?: string;
}

export interface LogLine {
  level: string;
  message: string;
  at?: number;
}

export interface Execution {
  id: string;
  scriptName: string;
  version: number | null;
  trigger: string;
  entry: string;
  status: string;
  httpStatus: number | null;
  request: string | null;
  durationMs: number | null;
  startedAt: string;
  error: { name?: string; message?: string; stack?: string } | null;
  logs: LogLine[] | null;
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix?: string;
  scopes: string[];
  appId: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface DeadLetter {
  id: string;
  kind: string;
  source: string;
  payload: unknown;
  attempts: number;
  lastError: { name?: string; message?: string } | string | null;
  createdAt: string;
  resolution: string | null;
  resolvedAt: string | null;
  reason: string | null;
}
