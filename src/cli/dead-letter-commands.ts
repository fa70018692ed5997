import type { CliEnv } from "../config/cli.js";
import { CliError } from "./api-client.js";
import { appCommand } from "./app-command.js";
import { type CliIo, printList, printObject } from "./output.js";

interface DeadLetter {
  id: string;
  eventId: string;
  source: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  resolution: string | null;
  payload: unknown;
}

export const DEAD_LETTERS_USAGE =
  "usage: picloud dead-letters ls [--all | --resolved] | show <id> | replay <id> | resolve <id> [--reason text]  [--app <slug>] [--output json]";

export async function deadLettersCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { sub, values, positionals, format, client, base } = appCommand(args, env, "dead-letters", {
    all: { type: "boolean" },
    resolved: { type: "boolean" },
    reason: { type: "string" },
    limit: { type: "string" },
  });
  const id = () => {
    if (!positionals[0]) throw new CliError(DEAD_LETTERS_USAGE, 2);
    return encodeURIComponent(positionals[0]);
  };
  switch (sub) {
    case undefined:
    case "ls":
    case "list": {
      const status = values.all ? "all" : values.resolved ? "resolved" : "unresolved";
      const res = await client.request<{ items: DeadLetter[]; unresolved: number }>(
        "GET",
        `${base}?status=${status}&limit=${encodeURIComponent(values.limit ?? "50")}`,
      );
      const rows = res.items.map((d) => ({
        ...d,
        error: (d.lastError ?? "").slice(0, 60),
        state: d.resolution ?? "unresolved",
      }));
      printList(io, format, rows, ["id", "source", "attempts", "createdAt", "state", "error"], res);
      if (format === "table") io.err(`${res.unresolved} unresolved`);
      return;
    }
    case "show": {
      const { deadLetter } = await client.request<{ deadLetter: DeadLetter }>("GET", `${base}/${id()}`);
      printObject(io, format, { ...deadLetter });
      return;
    }
    case "replay": {
      const res = await client.request<{ eventId: string }>("POST", `${base}/${id()}/replay`);
      io.out(`Replayed dead letter ${positionals[0]} as event ${res.eventId}`);
      return;
    }
    case "resolve": {
      await client.request("POST", `${base}/${id()}/resolve`, {
        resolution: "ignored",
        ...(values.reason ? { reason: values.reason } : {}),
      });
      io.out(`Resolved dead letter ${positionals[0]} (ignored)`);
      return;
    }
    default:
      throw new CliError(DEAD_LETTERS_USAGE, 2);
  }
}
