import type { CliEnv } from "../config/cli.js";
import { CliError } from "./api-client.js";
import { appCommand } from "./app-command.js";
import { type CliIo, printList, printObject } from "./output.js";

interface Trigger {
  id: string;
  scriptName: string;
  kind: string;
  config: Record<string, unknown>;
  retry: Record<string, unknown>;
  enabled: boolean;
}

export const TRIGGERS_USAGE =
  'usage: picloud triggers ls | add <script> --kind kv|docs|files|dead_letter|cron [--collection c] [--prefix path/] [--ops insert,update,delete] [--source s] [--schedule "*/5 * * * *"] [--timezone Europe/Paris] [--catchup once|skip] [--max-attempts n] [--backoff exponential|linear|constant] | rm <id> | enable <id> | disable <id>  [--app <slug>] [--output json]';

const describe = (t: Trigger) =>
  Object.entries(t.config)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`)
    .join(" ");

export async function triggersCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { sub, values, positionals, format, client, base } = appCommand(args, env, "triggers", {
    kind: { type: "string" },
    collection: { type: "string" },
    prefix: { type: "string" },
    ops: { type: "string" },
    source: { type: "string" },
    schedule: { type: "string" },
    timezone: { type: "string" },
    catchup: { type: "string" },
    "max-attempts": { type: "string" },
    backoff: { type: "string" },
  });
  const id = () => {
    if (!positionals[0]) throw new CliError(TRIGGERS_USAGE, 2);
    return encodeURIComponent(positionals[0]);
  };
  switch (sub) {
    case "ls":
    case "list": {
      const { triggers } = await client.request<{ triggers: Trigger[] }>("GET", base);
      const rows = triggers.map((t) => ({
        ...t,
        script: t.scriptName,
        on: describe(t),
        state: t.enabled ? "enabled" : "disabled",
      }));
      printList(io, format, rows, ["id", "script", "kind", "on", "state"], triggers);
      return;
    }
    case "add": {
      if (!positionals[0] || !values.kind) throw new CliError(TRIGGERS_USAGE, 2);
      const config: Record<string, unknown> = {};
      if (values.collection) config.collection = values.collection;
      if (values.prefix !== undefined) config.prefix = values.prefix;
      if (values.ops) config.ops = values.ops.split(",").map((s) => s.trim());
      if (values.source) config.source = values.source;
      if (values.schedule !== undefined) config.schedule = values.schedule;
      if (values.timezone) config.timezone = values.timezone;
      if (values.catchup) config.catchup = values.catchup;
      const retry: Record<string, unknown> = {};
      if (values["max-attempts"]) retry.maxAttempts = Number(values["max-attempts"]);
      if (values.backoff) retry.backoff = values.backoff;
      const { trigger } = await client.request<{ trigger: Trigger }>("POST", base, {
        script: positionals[0],
        kind: values.kind,
        config,
        retry,
      });
      if (format === "json") printObject(io, format, { ...trigger });
      else
        io.out(`Added ${trigger.kind} trigger ${trigger.id} → ${trigger.scriptName} (${describe(trigger)})`);
      return;
    }
    case "rm":
    case "delete": {
      await client.request("DELETE", `${base}/${id()}`);
      io.out(`Removed trigger ${positionals[0]}`);
      return;
    }
    case "enable":
    case "disable": {
      const { trigger } = await client.request<{ trigger: Trigger }>("PATCH", `${base}/${id()}`, {
        enabled: sub === "enable",
      });
      io.out(`Trigger ${trigger.id} is ${trigger.enabled ? "enabled" : "disabled"}`);
      return;
    }
    default:
      throw new CliError(TRIGGERS_USAGE, 2);
  }
}
