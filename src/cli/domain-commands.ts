/** `picloud apps domains ls | add <hostname> | rm <hostname|id>`: the hosts an app answers on besides <slug>.<base domain>. */
import type { CliEnv } from "../config/cli.js";
import { CliError } from "./api-client.js";
import { appCommand } from "./app-command.js";
import { type CliIo, printList, printObject } from "./output.js";

interface Domain {
  id: string;
  hostname: string;
  createdAt: string;
}

export const DOMAINS_USAGE =
  "usage: picloud apps domains ls | add <hostname> | rm <hostname|id>  [--app <slug>] [--output json]";

export async function domainsCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { sub, positionals, format, client, base } = appCommand(args, env, "domains", {});
  const hostname = () => {
    if (!positionals[0] || positionals.length > 1) throw new CliError(DOMAINS_USAGE, 2);
    return positionals[0];
  };
  switch (sub) {
    case "ls":
    case "list": {
      const { domains } = await client.request<{ domains: Domain[] }>("GET", base);
      printList(io, format, domains, ["hostname", "id", "createdAt"], domains);
      return;
    }
    case "add": {
      const { domain } = await client.request<{ domain: Domain }>("POST", base, { hostname: hostname() });
      if (format === "json") printObject(io, format, { ...domain });
      else io.out(`Added domain ${domain.hostname} (${domain.id})`);
      return;
    }
    case "rm":
    case "delete": {
      const ref = hostname();
      await client.request("DELETE", `${base}/${encodeURIComponent(ref)}`);
      if (format === "json") printObject(io, format, { removed: ref });
      else io.out(`Removed domain ${ref}`);
      return;
    }
    default:
      throw new CliError(DOMAINS_USAGE, 2);
  }
}
