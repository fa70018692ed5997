/**
 * `picloud users ls | show <id|email> | create <email> | invite <email> |
 * disable <id> | enable <id> | rm <id> | export`: an app's end users (not
 * PiCloud's admin users). A password for `create` comes from stdin
 * (`--password-stdin`), never from an argument, which would stay in shell
 * history and in `ps`.
 */
import type { CliEnv } from "../config/cli.js";
import { CliError } from "./api-client.js";
import { appCommand } from "./app-command.js";
import { type CliIo, printList, printObject } from "./output.js";
import { readStdin } from "./prompt.js";

interface EndUser {
  id: string;
  email: string;
  roles: string[];
  verified: boolean;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: string;
  data: Record<string, unknown>;
}

export const USERS_USAGE =
  "usage: picloud users ls [--limit n] [--cursor c] | show <id|email> | create <email> [--password-stdin] [--role r]… [--verified] | invite <email> [--role r]… | disable <id> | enable <id> | rm <id> | export  [--app <slug>] [--output json]";

const row = (u: EndUser) => ({ ...u, roles: u.roles.join(","), data: JSON.stringify(u.data) });

export async function usersCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { sub, values, positionals, format, client, base } = appCommand(args, env, "users", {
    limit: { type: "string" },
    cursor: { type: "string" },
    role: { type: "string", multiple: true },
    verified: { type: "boolean" },
    "password-stdin": { type: "boolean" },
  });
  const arg = () => {
    if (!positionals[0]) throw new CliError(USERS_USAGE, 2);
    return positionals[0];
  };
  /** An id as is; an e-mail is looked up in the listing (ids are what the API takes). */
  const idOf = async (ref: string): Promise<string> => {
    if (!ref.includes("@")) return ref;
    let cursor: string | null = null;
    const wanted = ref.normalize("NFKC").trim().toLowerCase();
    do {
      const q = new URLSearchParams({ limit: "200", ...(cursor ? { cursor } : {}) });
      const page: { users: EndUser[]; cursor: string | null } = await client.request("GET", `${base}?${q}`);
      const found = page.users.find((u) => u.email === wanted);
      if (found) return found.id;
      cursor = page.cursor;
    } while (cursor);
    throw new CliError(`no user with e-mail ${ref} in this app`, 1);
  };
  const show = (u: EndUser) => printObject(io, format, format === "json" ? { user: u } : row(u));
  switch (sub) {
    case undefined:
    case "ls":
    case "list": {
      const q = new URLSearchParams({ limit: values.limit ?? "50" });
      if (values.cursor) q.set("cursor", values.cursor);
      const res = await client.request<{ users: EndUser[]; cursor: string | null }>("GET", `${base}?${q}`);
      printList(
        io,
        format,
        res.users.map(row),
        ["id", "email", "verified", "disabled", "roles", "createdAt"],
        res,
      );
      if (format === "table" && res.cursor) io.err(`more: --cursor ${res.cursor}`);
      return;
    }
    case "show": {
      const id = await idOf(arg());
      show((await client.request<{ user: EndUser }>("GET", `${base}/${encodeURIComponent(id)}`)).user);
      return;
    }
    case "create": {
      const password = values["password-stdin"] ? (await readStdin()).replace(/\r?\n$/, "") : undefined;
      const { user } = await client.request<{ user: EndUser }>("POST", base, {
        email: arg(),
        ...(password === undefined ? {} : { password }),
        ...(values.role ? { roles: values.role } : {}),
        ...(values.verified ? { verified: true } : {}),
      });
      show(user);
      return;
    }
    case "invite": {
      const { user } = await client.request<{ user: EndUser }>("POST", `${base}/invite`, {
        email: arg(),
        ...(values.role ? { roles: values.role } : {}),
      });
      if (format === "table") io.out(`Invited ${user.email} (${user.id}); the invitation mail is queued`);
      else show(user);
      return;
    }
    case "disable":
    case "enable": {
      const id = await idOf(arg());
      const { user } = await client.request<{ user: EndUser }>("PATCH", `${base}/${encodeURIComponent(id)}`, {
        disabled: sub === "disable",
      });
      if (format === "table")
        io.out(
          `${sub === "disable" ? "Disabled" : "Enabled"} ${user.email}${sub === "disable" ? "; their sessions ended" : ""}`,
        );
      else show(user);
      return;
    }
    case "rm":
    case "delete": {
      const id = await idOf(arg());
      await client.request("DELETE", `${base}/${encodeURIComponent(id)}`);
      if (format === "table") io.out(`Removed user ${positionals[0]}`);
      else io.out(JSON.stringify({ removed: id }));
      return;
    }
    case "export": {
      const res = await client.raw("GET", `${base}/export`);
      io.out((await res.text()).replace(/\n$/, ""));
      return;
    }
    default:
      throw new CliError(USERS_USAGE, 2);
  }
}
