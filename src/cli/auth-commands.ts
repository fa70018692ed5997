/** `picloud login | logout | whoami`. */
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { adminClient, CliError } from "./api-client.js";
import { DEFAULT_URL, deleteCredentials, readCredentials, writeCredentials } from "./credentials.js";
import { type CliIo, parseOutputFormat, printObject } from "./output.js";
import { ask, readStdin } from "./prompt.js";

interface Me {
  user: { id: string; email: string; role: string };
  via: string;
  scopes: string[] | null;
  boundAppId: string | null;
}

export async function login(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: "string" },
      email: { type: "string" },
      password: { type: "string" },
      "password-stdin": { type: "boolean" },
      token: { type: "string" },
    },
  });
  const url = (values.url ?? env.url ?? readCredentials(env)?.url ?? DEFAULT_URL).replace(/\/+$/, "");
  if (values.token) {
    const me = await adminClient(env, { url, token: values.token, kind: "api_key" }).request<Me>(
      "GET",
      "/auth/me",
    );
    const file = writeCredentials(env, { url, token: values.token, kind: "api_key", email: me.user.email });
    io.out(`Logged in to ${url} as ${me.user.email} with an API key (saved to ${file})`);
    return;
  }
  const email = values.email ?? (await ask("E-mail: ", { flag: "--email" }));
  const password = values["password-stdin"]
    ? await readStdin()
    : (values.password ?? (await ask("Password: ", { hidden: true, flag: "--password-stdin" })));
  let res: Response;
  try {
    res = await fetch(`${url}/api/v1/admin/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "picloud-cli" },
      body: JSON.stringify({ email, password }),
    });
  } catch {
    throw new CliError(`cannot reach PiCloud at ${url}; is it running? (picloud start)`);
  }
  const body = (await res.json().catch(() => ({}))) as {
    error?: { message?: string };
    user?: { email: string };
  };
  if (!res.ok) throw new CliError(`${res.status} ${body.error?.message ?? res.statusText}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("picloud_session="));
  const token = cookie?.split(";")[0]?.slice("picloud_session=".length);
  if (!token) throw new CliError("the server did not return a session");
  const file = writeCredentials(env, { url, token, kind: "session", email: body.user?.email ?? email });
  io.out(`Logged in to ${url} as ${body.user?.email ?? email} (saved to ${file})`);
}

export async function logout(_args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const stored = readCredentials(env);
  if (stored?.kind === "session") {
    // End the session on the server too; a stale or unreachable server must not block a local logout.
    await adminClient(env, { url: stored.url, token: stored.token, kind: "session" })
      .request("POST", "/auth/logout")
      .catch(() => {});
  }
  io.out(deleteCredentials(env) ? "Logged out" : "Not logged in");
}

export async function whoami(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { values } = parseArgs({ args, options: { output: { type: "string", short: "o" } } });
  const client = adminClient(env);
  const me = await client.request<Me>("GET", "/auth/me");
  printObject(io, parseOutputFormat(values.output), {
    url: client.url,
    email: me.user.email,
    role: me.user.role,
    via: me.via,
    scopes: me.scopes ?? "all of the role",
    boundApp: me.boundAppId,
  });
}
