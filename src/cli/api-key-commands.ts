/** `picloud api-keys mint | ls | rm`. The token is printed once, at mint time. */
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { adminClient, CliError } from "./api-client.js";
import { type CliIo, parseOutputFormat, printList } from "./output.js";

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  appId: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const USAGE =
  "usage: picloud api-keys mint <name> --scope s [--scope s …] [--app a] [--expires-in-days n] | ls | rm <id>";

export async function apiKeys(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      scope: { type: "string", multiple: true },
      app: { type: "string" },
      "expires-in-days": { type: "string" },
    },
  });
  const format = parseOutputFormat(values.output);
  const client = adminClient(env);
  switch (sub) {
    case "mint":
    case "create": {
      if (!positionals[0] || !values.scope?.length) throw new CliError(USAGE, 2);
      const days = values["expires-in-days"];
      const res = await client.request<{ apiKey: ApiKey; token: string }>("POST", "/api-keys", {
        name: positionals[0],
        scopes: values.scope.flatMap((s) => s.split(",")).filter(Boolean),
        ...(values.app ? { app: values.app } : {}),
        ...(days ? { expiresInDays: Number(days) } : {}),
      });
      if (format === "json") io.out(JSON.stringify(res, null, 2));
      else {
        io.out(res.token);
        io.err(`Minted API key ${res.apiKey.name} (${res.apiKey.id}). The token above is shown only once.`);
      }
      return;
    }
    case "ls":
    case "list": {
      const { apiKeys } = await client.request<{ apiKeys: ApiKey[] }>("GET", "/api-keys");
      const rows = apiKeys.map((k) => ({ ...k, status: k.revokedAt ? "revoked" : "active" }));
      printList(
        io,
        format,
        rows,
        ["id", "name", "prefix", "scopes", "appId", "status", "lastUsedAt"],
        apiKeys,
      );
      return;
    }
    case "rm":
    case "revoke": {
      if (!positionals[0]) throw new CliError(USAGE, 2);
      await client.request("DELETE", `/api-keys/${encodeURIComponent(positionals[0])}`);
      io.out(`Revoked API key ${positionals[0]}`);
      return;
    }
    default:
      throw new CliError(USAGE, 2);
  }
}
