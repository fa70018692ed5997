/**
 * `picloud apps members ls | add <email> --role r | set <email> --role r | rm <email>`:
 * who (besides owners and admins) may work in an app, and as what. Members are
 * named by e-mail; the API's user ids are looked up in the member list.
 */
import type { CliEnv } from "../config/cli.js";
import { type AdminClient, CliError } from "./api-client.js";
import { appCommand } from "./app-command.js";
import { type CliIo, printList, printObject } from "./output.js";

interface Member {
  userId: string;
  email: string;
  role: string;
  createdAt: string;
}

const ROLES = ["viewer", "editor", "app_admin"];

export const MEMBERS_USAGE =
  "usage: picloud apps members ls | add <email> --role viewer|editor|app_admin | set <email> --role … | rm <email>  [--app <slug>] [--output json]";

export async function membersCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { sub, values, positionals, format, client, base } = appCommand(args, env, "members", {
    role: { type: "string", short: "r" },
  });
  const email = () => {
    if (!positionals[0] || positionals.length > 1) throw new CliError(MEMBERS_USAGE, 2);
    return positionals[0];
  };
  const role = () => {
    const r = values.role as string | undefined;
    if (!r) throw new CliError(`--role is required (${ROLES.join(", ")})\n${MEMBERS_USAGE}`, 2);
    if (!ROLES.includes(r)) throw new CliError(`--role must be one of ${ROLES.join(", ")}, not "${r}"`, 2);
    return r;
  };
  const show = (verb: string, m: Member) => {
    if (format === "json") printObject(io, format, { ...m });
    else io.out(`${verb} ${m.email} as ${m.role}`);
  };
  switch (sub) {
    case "ls":
    case "list": {
      const { members } = await client.request<{ members: Member[] }>("GET", base);
      printList(io, format, members, ["email", "role", "userId", "createdAt"], members);
      return;
    }
    case "add": {
      const { member } = await client.request<{ member: Member }>("POST", base, {
        email: email(),
        role: role(),
      });
      show("Added", member);
      return;
    }
    case "set": {
      const r = role();
      const userId = await memberIdByEmail(client, base, email());
      const { member } = await client.request<{ member: Member }>("PATCH", `${base}/${userId}`, { role: r });
      show("Set", member);
      return;
    }
    case "rm":
    case "delete": {
      const who = email();
      await client.request("DELETE", `${base}/${await memberIdByEmail(client, base, who)}`);
      if (format === "json") printObject(io, format, { removed: who });
      else io.out(`Removed ${who} from the app`);
      return;
    }
    default:
      throw new CliError(MEMBERS_USAGE, 2);
  }
}

async function memberIdByEmail(client: AdminClient, base: string, email: string): Promise<string> {
  const { members } = await client.request<{ members: Member[] }>("GET", base);
  const found = members.find((m) => m.email.toLowerCase() === email.toLowerCase());
  if (!found)
    throw new CliError(`${email} is not a member of this app (picloud apps members ls lists the members)`);
  return found.userId;
}
