/**
 * `picloud secrets put <NAME> | ls | rm <NAME>`: app secrets, write-only. The
 * value of `put` comes from a hidden prompt on a terminal or from stdin, never
 * from an argument (which would stay in shell history and `ps`).
 */
import type { CliEnv } from "../config/cli.js";
import { CliError } from "./api-client.js";
import { appCommand } from "./app-command.js";
import { type CliIo, printList, printObject } from "./output.js";
import { ask, readStdin } from "./prompt.js";

interface Secret {
  name: string;
  createdAt: string;
  updatedAt: string;
}

export const SECRETS_USAGE =
  "usage: picloud secrets put <NAME> (value from a prompt or stdin) | ls | rm <NAME>  [--app <slug>] [--output json]";

/** The value to store: typed at a hidden prompt, or all of stdin minus one trailing newline. */
async function readValue(name: string): Promise<string> {
  const value = process.stdin.isTTY
    ? await ask(`Value of ${name}: `, { hidden: true, flag: "a value on stdin" })
    : await readStdin();
  if (value === "")
    throw new CliError(`no value given for ${name}: type it at the prompt or pipe it on stdin`);
  return value;
}

export async function secretsCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { sub, positionals, format, client, base } = appCommand(args, env, "secrets", {});
  const name = () => {
    if (!positionals[0]) throw new CliError(SECRETS_USAGE, 2);
    return positionals[0];
  };
  switch (sub) {
    case "ls":
    case "list": {
      const { secrets } = await client.request<{ secrets: Secret[] }>("GET", base);
      printList(io, format, secrets, ["name", "createdAt", "updatedAt"], secrets);
      return;
    }
    case "put":
    case "set": {
      const secretName = name();
      if (positionals.length > 1)
        throw new CliError(
          "the value is never an argument (it would stay in shell history): type it at the prompt or pipe it on stdin",
          2,
        );
      const value = await readValue(secretName);
      const { secret } = await client.request<{ secret: Secret }>(
        "PUT",
        `${base}/${encodeURIComponent(secretName)}`,
        { value },
      );
      if (format === "json") printObject(io, format, { ...secret });
      else
        io.out(`Secret ${secret.name} set (${secret.createdAt === secret.updatedAt ? "new" : "replaced"})`);
      return;
    }
    case "rm":
    case "delete": {
      const secretName = name();
      await client.request("DELETE", `${base}/${encodeURIComponent(secretName)}`);
      io.out(`Removed secret ${secretName}`);
      return;
    }
    default:
      throw new CliError(SECRETS_USAGE, 2);
  }
}
