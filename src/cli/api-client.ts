/** The CLI's HTTP client for the admin API: adds credentials, and turns error responses into CliError with the server's message. */
import type { CliEnv } from "../config/cli.js";
import { effectiveCredentials } from "./credentials.js";

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** An error answer of the admin API (4xx/5xx). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const NOT_LOGGED_IN =
  "not logged in: run picloud login (or set PICLOUD_TOKEN to an API key; PICLOUD_URL to the instance)";

/** What to do after a 401: a session ends (expiry, logout elsewhere), an API key is revoked or expires. */
function reLoginHint(kind: "session" | "api_key" | undefined): string {
  if (kind === "session") return " — your session has expired or was ended: run picloud login again";
  return " — the API key was refused (revoked or expired): mint a new one, or run picloud login";
}

export interface AdminClient {
  readonly url: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** GET a streaming endpoint (Server-Sent Events); errors are thrown like request()'s. */
  stream(path: string, signal?: AbortSignal): Promise<Response>;
  /** A request with a raw body (file uploads) whose raw response is wanted (downloads); errors are thrown like request()'s. */
  raw(
    method: string,
    path: string,
    init?: { body?: Uint8Array<ArrayBuffer>; headers?: Record<string, string> },
  ): Promise<Response>;
}

export function adminClient(
  env: CliEnv,
  override?: { url: string; token?: string; kind?: "session" | "api_key" },
): AdminClient {
  const creds = override ?? effectiveCredentials(env);
  const send = async (method: string, path: string, headers: Record<string, string>, init: RequestInit) => {
    // Without credentials every admin call is refused: say so before trying (and failing) to connect.
    if (!creds.token) throw new CliError(NOT_LOGGED_IN);
    if (creds.token && creds.kind === "session") headers.cookie = `picloud_session=${creds.token}`;
    else if (creds.token) headers.authorization = `Bearer ${creds.token}`;
    try {
      return await fetch(`${creds.url}/api/v1/admin${path}`, { ...init, method, headers });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach PiCloud at ${creds.url} (${cause}); is it running? (picloud start)`);
    }
  };
  const failure = (res: Response, text: string) => {
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const e = (parsed as { error?: { message?: string; code?: string } } | undefined)?.error;
    let message = e?.message ?? (text.slice(0, 200) || res.statusText);
    if (res.status === 401) message += reLoginHint(creds.kind);
    return new ApiError(res.status, `${res.status} ${message}`);
  };
  return {
    url: creds.url,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { accept: "application/json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await send(method, path, headers, {
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      if (!res.ok) throw failure(res, text);
      try {
        return (text ? JSON.parse(text) : undefined) as T;
      } catch {
        return undefined as T;
      }
    },
    async stream(path: string, signal?: AbortSignal): Promise<Response> {
      const res = await send("GET", path, { accept: "text/event-stream" }, { signal });
      if (!res.ok) throw failure(res, await res.text());
      return res;
    },
    async raw(method, path, init = {}) {
      const res = await send(method, path, { ...init.headers }, { body: init.body });
      if (!res.ok) throw failure(res, await res.text());
      return res;
    },
  };
}
