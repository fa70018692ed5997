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

export interface AdminClient {
  readonly url: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export function adminClient(
  env: CliEnv,
  override?: { url: string; token?: string; kind?: "session" | "api_key" },
): AdminClient {
  const creds = override ?? effectiveCredentials(env);
  return {
    url: creds.url,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { accept: "application/json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      if (creds.token && creds.kind === "session") headers.cookie = `picloud_session=${creds.token}`;
      else if (creds.token) headers.authorization = `Bearer ${creds.token}`;
      let res: Response;
      try {
        res = await fetch(`${creds.url}/api/v1/admin${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        throw new CliError(`cannot reach PiCloud at ${creds.url} (${cause}); is it running? (picloud start)`);
      }
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!res.ok) {
        const e = (parsed as { error?: { message?: string; code?: string } } | undefined)?.error;
        let message = e?.message ?? (text.slice(0, 200) || res.statusText);
        if (res.status === 401 && !creds.token) message += " — log in first: picloud login";
        throw new CliError(`${res.status} ${message}`);
      }
      return parsed as T;
    },
  };
}
