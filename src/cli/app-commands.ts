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

const USAGE = "usage: picloud apps ls | create <name> [--slug s] | show <app> | delete <app> [--force]";

export async function apps(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { output: { type: "string", short: "o" }, slug: { type: "string" }, force: { type: "boolean" } },
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
    default:
      throw new CliError(USAGE, 2);
  }
}
