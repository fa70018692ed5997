import type { CliEnv } from "../config/cli.js";
import { CliError } from "./api-client.js";
import { appCommand } from "./app-command.js";
import { type CliIo, printList, printObject } from "./output.js";

interface Topic {
  name: string;
  external: boolean;
  auth: string;
  updatedAt: string;
}

export const TOPICS_USAGE =
  "usage: picloud topics ls | set <name> [--external] [--auth public|token] | rm <name>  [--app <slug>] [--output json]";

export async function topicsCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { sub, values, positionals, format, client, base } = appCommand(args, env, "topics", {
    external: { type: "boolean" },
    auth: { type: "string" },
  });
  const name = () => {
    if (!positionals[0]) throw new CliError(TOPICS_USAGE, 2);
    return positionals[0].split("/").map(encodeURIComponent).join("/");
  };
  switch (sub) {
    case "ls":
    case "list": {
      const { topics } = await client.request<{ topics: Topic[] }>("GET", base);
      printList(io, format, topics, ["name", "external", "auth", "updatedAt"], topics);
      return;
    }
    case "set": {
      const { topic } = await client.request<{ topic: Topic }>("PUT", `${base}/${name()}`, {
        external: values.external ?? false,
        ...(values.auth ? { auth: values.auth } : {}),
      });
      if (format === "json") printObject(io, format, { ...topic });
      else
        io.out(
          `Topic ${topic.name}: ${topic.external ? "external (browsers may subscribe)" : "internal"}, auth ${topic.auth}`,
        );
      return;
    }
    case "rm":
    case "delete": {
      await client.request("DELETE", `${base}/${name()}`);
      io.out(`Removed topic ${positionals[0]}`);
      return;
    }
    default:
      throw new CliError(TOPICS_USAGE, 2);
  }
}
