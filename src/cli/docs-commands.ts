/**
 * `picloud docs find | get | put | rm`: an app's env.docs documents, through the
 * admin API. `find` takes the filter language of a script's `find()` as JSON
 * (docs/documents.md): `picloud docs find posts '{"status":"draft","views":{"$gt":10}}'`.
 */
import type { CliEnv } from "../config/cli.js";
import { CliError } from "./api-client.js";
import { appCommand } from "./app-command.js";
import { jsonArgument } from "./json-arg.js";
import { type CliIo, printList, printObject } from "./output.js";

export const DOCS_USAGE =
  "usage: picloud docs find <collection> [filter-json] [--sort json] [--limit n] [--cursor c] | get <collection> <id> | put <collection> <json|@file|@-> [--id <id> [--merge]] | rm <collection> <id>  [--app <slug>] [--output json]";

interface Doc {
  id: string;
  data: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export async function docsCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { sub, values, positionals, format, client, base } = appCommand(args, env, "docs", {
    sort: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
    id: { type: "string" },
    merge: { type: "boolean" },
  });
  const coll = () => {
    if (!positionals[0]) throw new CliError(DOCS_USAGE, 2);
    return encodeURIComponent(positionals[0]);
  };
  const exactly = (n: number) => {
    if (positionals.length !== n) throw new CliError(DOCS_USAGE, 2);
  };
  switch (sub) {
    case "find": {
      if (positionals.length < 1 || positionals.length > 2) throw new CliError(DOCS_USAGE, 2);
      const filter = positionals[1] === undefined ? {} : await jsonArgument(positionals[1], "the filter");
      const sort =
        values.sort === undefined ? undefined : await jsonArgument(values.sort as string, "--sort");
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && !Number.isInteger(limit))
        throw new CliError(`--limit must be a whole number, not "${values.limit}"`, 2);
      const page = await client.request<{ items: Doc[]; cursor: string | null }>(
        "POST",
        `${base}/${coll()}/find`,
        {
          filter,
          ...(sort === undefined ? {} : { sort }),
          ...(limit === undefined ? {} : { limit }),
          ...(values.cursor ? { cursor: values.cursor } : {}),
        },
      );
      const rows = page.items.map((d) => ({
        id: d.id,
        updatedAt: d.updatedAt,
        data: JSON.stringify(d.data),
      }));
      printList(io, format, rows, ["id", "updatedAt", "data"], page);
      if (format === "table" && page.cursor) io.err(`more: --cursor ${page.cursor}`);
      return;
    }
    case "get": {
      exactly(2);
      const { document } = await client.request<{ document: Doc }>(
        "GET",
        `${base}/${coll()}/${encodeURIComponent(positionals[1]!)}`,
      );
      io.out(JSON.stringify(format === "json" ? document : document.data, null, 2));
      return;
    }
    case "put": {
      exactly(2);
      if (values.merge && !values.id)
        throw new CliError("--merge needs --id <id> (the document to merge into)", 2);
      const data = await jsonArgument(positionals[1]!, "the document");
      const { document } = values.id
        ? await client.request<{ document: Doc }>(
            "PUT",
            `${base}/${coll()}/${encodeURIComponent(values.id as string)}`,
            {
              data,
              mode: values.merge ? "merge" : "replace",
            },
          )
        : await client.request<{ document: Doc }>("POST", `${base}/${coll()}`, { data });
      if (format === "json") printObject(io, format, { ...document });
      else
        io.out(
          `${values.id ? (values.merge ? "Merged into" : "Replaced") : "Inserted"} ${positionals[0]}/${document.id}`,
        );
      return;
    }
    case "rm":
    case "delete": {
      exactly(2);
      await client.request("DELETE", `${base}/${coll()}/${encodeURIComponent(positionals[1]!)}`);
      if (format === "json") printObject(io, format, { removed: positionals[1] });
      else io.out(`Removed ${positionals[0]}/${positionals[1]}`);
      return;
    }
    default:
      throw new CliError(DOCS_USAGE, 2);
  }
}
