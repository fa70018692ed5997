/** `picloud apps ls | create | show | delete`. */
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { adminClient, CliError } from "./api-client.js";
import { type CliIo, parseOutputFormat, printList, printObject } from "./output.js";

interface App {
  id: string;
  slug: string;
  name: string;
  role: string;
  createdAt: string;
}

const USAGE =
  "usage: picloud apps ls | create <name> [--slug s] | show <app> | delete <app> [--force] | fetch-allow <app> [entry …] [--clear] | domains … | members …";

export async function apps(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  // Per-app groups with subcommands of their own (and --app like every per-app command).
  if (sub === "domains") return (await import("./domain-commands.js")).domainsCommand(rest, env, io);
  if (sub === "members") return (await import("./member-commands.js")).membersCommand(rest, env, io);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      slug: { type: "string" },
      force: { type: "boolean" },
      clear: { type: "boolean" },
    },
  });
  const format = parseOutputFormat(values.output);
  const client = adminClient(env);
  const ref = () => {
    if (!positionals[0]) throw new CliError(USAGE, 2);
    return encodeURIComponent(positionals[0]);
  };
  switch (sub) {
    case "ls":
    case "list": {
      const { apps } = await client.request<{ apps: App[] }>("GET", "/apps");
      printList(io, format, apps, ["slug", "name", "role", "id"], apps);
      return;
    }
    case "create": {
      if (!positionals[0]) throw new CliError(USAGE, 2);
      const { app } = await client.request<{ app: App }>("POST", "/apps", {
        name: positionals[0],
        ...(values.slug ? { slug: values.slug } : {}),
      });
      if (format === "json") printObject(io, format, { ...app });
      else io.out(`Created app ${app.slug} (${app.id})`);
      return;
    }
    case "show": {
      const { app } = await client.request<{ app: App }>("GET", `/apps/${ref()}`);
      const { domains } = await client.request<{ domains: { hostname: string }[] }>(
        "GET",
        `/apps/${ref()}/domains`,
      );
      printObject(io, format, { ...app, domains: domains.map((d) => d.hostname) });
      return;
    }
    case "delete":
    case "rm": {
      await client.request("DELETE", `/apps/${ref()}${values.force ? "?force=true" : ""}`);
      io.out(`Deleted app ${positionals[0]}`);
      return;
    }
    case "fetch-allow": {
      // Without entries: show the list; with entries (or --clear): replace it.
      const entries = positionals.slice(1);
      const path = `/apps/${ref()}/fetch-allowlist`;
      const { allow } =
        entries.length > 0 || values.clear
          ? await client.request<{ allow: string[] }>("PUT", path, { allow: entries })
          : await client.request<{ allow: string[] }>("GET", path);
      if (format === "json") io.out(JSON.stringify(allow));
      else
        io.out(allow.length ? allow.join("\n") : "(none: scripts of this app reach public addresses only)");
      return;
    }
    default:
      throw new CliError(USAGE, 2);
  }
}
