/**
 * `picloud email ls [--status queued|sent|failed] | show <id> | settings`: an
 * app's outbound messages with their delivery status and the server's answer
 * (never their bodies), and the app's senders and limits.
 */
import type { CliEnv } from "../config/cli.js";
import { CliError } from "./api-client.js";
import { appCommand } from "./app-command.js";
import { type CliIo, printList, printObject } from "./output.js";

interface EmailMessage {
  id: string;
  status: string;
  from: string;
  to: string[];
  subject: string;
  attempts: number;
  serverMessageId: string | null;
  serverAnswer: string | null;
  createdAt: string;
}

export const EMAIL_USAGE =
  "usage: picloud email ls [--status queued|sent|failed] [--limit n] [--cursor c] | show <id> | settings  [--app <slug>] [--output json]";

export async function emailCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { sub, values, positionals, format, client, base } = appCommand(args, env, "email", {
    status: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
  });
  switch (sub) {
    case undefined:
    case "ls":
    case "list": {
      const q = new URLSearchParams({ limit: values.limit ?? "50" });
      if (values.status) q.set("status", values.status);
      if (values.cursor) q.set("cursor", values.cursor);
      const res = await client.request<{ items: EmailMessage[]; cursor: string | null }>(
        "GET",
        `${base}/messages?${q}`,
      );
      const rows = res.items.map((m) => ({
        ...m,
        to: m.to.join(","),
        answer: (m.serverAnswer ?? "").slice(0, 60),
        subject: m.subject.length > 40 ? `${m.subject.slice(0, 39)}…` : m.subject,
      }));
      printList(
        io,
        format,
        rows,
        ["id", "status", "createdAt", "from", "to", "subject", "attempts", "answer"],
        res,
      );
      if (format === "table" && res.cursor) io.err(`more: --cursor ${res.cursor}`);
      return;
    }
    case "show": {
      if (!positionals[0]) throw new CliError(EMAIL_USAGE, 2);
      const { message } = await client.request<{ message: EmailMessage }>(
        "GET",
        `${base}/messages/${encodeURIComponent(positionals[0])}`,
      );
      printObject(io, format, { ...message });
      return;
    }
    case "settings": {
      const settings = await client.request<Record<string, unknown>>("GET", `${base}/settings`);
      printObject(io, format, settings);
      return;
    }
    default:
      throw new CliError(EMAIL_USAGE, 2);
  }
}
