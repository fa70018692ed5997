/** `picloud kv get | put | ls | rm`: an app's env.kv entries, through the admin API. */
import type { CliEnv } from "../config/cli.js";
import { CliError } from "./api-client.js";
import { appCommand } from "./app-command.js";
import { jsonArgument } from "./json-arg.js";
import { type CliIo, printList, printObject } from "./output.js";

export const KV_USAGE =
  "usage: picloud kv get <collection> <key> | put <collection> <key> <json|@file|@-> [--ttl seconds] | ls <collection> [--prefix p] [--limit n] | rm <collection> <key>  [--app <slug>] [--output json]";

interface Entry {
  key: string;
  value: unknown;
}

export async function kvCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { sub, values, positionals, format, client, base } = appCommand(args, env, "kv", {
    ttl: { type: "string" },
    prefix: { type: "string" },
    limit: { type: "string" },
  });
  const want = (n: number) => {
    if (positionals.length !== n) throw new CliError(KV_USAGE, 2);
    return positionals.map((p) => encodeURIComponent(p));
  };
  switch (sub) {
    case "get": {
      const [c, k] = want(2);
      const entry = await client.request<Entry & { collection: string }>("GET", `${base}/${c}/${k}`);
      // The value alone, as JSON, so `picloud kv get … | jq` works; -o json adds collection and key.
      io.out(format === "json" ? JSON.stringify(entry, null, 2) : JSON.stringify(entry.value, null, 2));
      return;
    }
    case "put":
    case "set": {
      const [c, k] = want(3);
      const value = await jsonArgument(positionals[2]!, "the value");
      const ttl = values.ttl === undefined ? undefined : positiveInt(values.ttl as string, "--ttl");
      const entry = await client.request<Entry>("PUT", `${base}/${c}/${k}`, {
        value,
        ...(ttl ? { ttl } : {}),
      });
      if (format === "json") printObject(io, format, { ...entry });
      else io.out(`Set ${positionals[0]}/${positionals[1]}${ttl ? ` (expires in ${ttl} s)` : ""}`);
      return;
    }
    case "ls":
    case "list": {
      const [c] = want(1);
      const max = values.limit === undefined ? 1000 : positiveInt(values.limit as string, "--limit");
      const items: Entry[] = [];
      let cursor: string | null = null;
      // Every page up to --limit entries (1000 by default): a listing for people, not an export.
      do {
        const q = new URLSearchParams({ limit: String(Math.min(1000, max - items.length)) });
        if (values.prefix) q.set("prefix", values.prefix as string);
        if (cursor) q.set("cursor", cursor);
        const page: { items: Entry[]; cursor: string | null } = await client.request(
          "GET",
          `${base}/${c}?${q}`,
        );
        items.push(...page.items);
        cursor = page.cursor;
      } while (cursor && items.length < max);
      const rows = items.map((e) => ({ key: e.key, value: JSON.stringify(e.value) }));
      printList(io, format, rows, ["key", "value"], items);
      return;
    }
    case "rm":
    case "delete": {
      const [c, k] = want(2);
      await client.request("DELETE", `${base}/${c}/${k}`);
      if (format === "json") printObject(io, format, { removed: positionals[1] });
      else io.out(`Removed ${positionals[0]}/${positionals[1]}`);
      return;
    }
    default:
      throw new CliError(KV_USAGE, 2);
  }
}

function positiveInt(raw: string, flag: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new CliError(`${flag} must be a whole number ≥ 1, not "${raw}"`, 2);
  return Number(raw);
}
