/** `picloud files ls [--prefix p] | get <path> [-o file] | put <local> <path> [--content-type t] | rm <path>`. */
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { adminClient, CliError } from "./api-client.js";
import { appPath, resolveApp } from "./app-option.js";
import { type CliIo, parseOutputFormat, printList } from "./output.js";

interface FileInfo {
  path: string;
  size: number;
  etag: string;
  contentType: string;
  updatedAt: string;
}

export const FILES_USAGE =
  "usage: picloud files ls [--prefix p] | get <path> [-o <local file>] | put <local file> <path> [--content-type t] | rm <path>  [--app <slug>] [--output json]";

/**
 * The URL form of a file path, one encoded segment at a time. URLs resolve `.`
 * and `..` segments before they are sent (even percent-encoded), so such a path
 * could never reach the server as written: it is refused here, with the
 * server's own words.
 */
function contentPath(app: string, path: string): string {
  for (const segment of path.split("/"))
    if (segment === "." || segment === "..") throw new CliError(`path must not contain ${segment} segments`);
  return `${appPath(app)}/files/content/${path.split("/").map(encodeURIComponent).join("/")}`;
}

function humanSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export async function filesCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      app: { type: "string", short: "a" },
      output: { type: "string" },
      out: { type: "string", short: "o" },
      prefix: { type: "string" },
      "content-type": { type: "string" },
    },
  });
  const app = resolveApp(values.app);
  const client = adminClient(env);
  const arg = (i: number) => {
    const v = positionals[i];
    if (v === undefined || v === "") throw new CliError(FILES_USAGE, 2);
    return v;
  };
  switch (sub) {
    case "ls":
    case "list": {
      const format = parseOutputFormat(values.output);
      const items: FileInfo[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams({ limit: "1000" });
        if (values.prefix) q.set("prefix", values.prefix);
        if (cursor) q.set("cursor", cursor);
        const page: { items: FileInfo[]; cursor: string | null } = await client.request(
          "GET",
          `${appPath(app)}/files?${q}`,
        );
        items.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
      const rows = items.map((f) => ({
        ...f,
        bytes: humanSize(f.size),
        type: f.contentType,
        updated: f.updatedAt,
      }));
      printList(io, format, rows, ["path", "bytes", "type", "updated"], items);
      return;
    }
    case "get": {
      const res = await client.raw("GET", contentPath(app, arg(0)));
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (values.out) {
        await writeFile(values.out, bytes);
        io.err(`Saved ${positionals[0]} (${humanSize(bytes.byteLength)}) to ${values.out}`);
      } else {
        await new Promise<void>((resolve, reject) =>
          process.stdout.write(bytes, (err) => (err ? reject(err) : resolve())),
        );
      }
      return;
    }
    case "put": {
      const local = arg(0);
      const target = arg(1);
      let body: Uint8Array<ArrayBuffer>;
      try {
        body = new Uint8Array(await readFile(local));
      } catch (err) {
        throw new CliError(
          `cannot read ${local}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      const headers: Record<string, string> = {};
      // Without a type the server picks one from the path's extension.
      if (values["content-type"]) headers["content-type"] = values["content-type"];
      const res = await client.raw("PUT", contentPath(app, target), { body, headers });
      const { file } = (await res.json()) as { file: FileInfo };
      if (values.output === "json") io.out(JSON.stringify(file, null, 2));
      else
        io.out(
          `${res.status === 201 ? "Uploaded" : "Replaced"} ${file.path} (${humanSize(file.size)}, ${file.contentType}) in ${app}`,
        );
      return;
    }
    case "rm":
    case "delete": {
      await client.raw("DELETE", contentPath(app, arg(0)));
      io.out(`Removed ${positionals[0]} from ${app}`);
      return;
    }
    default:
      throw new CliError(FILES_USAGE, 2);
  }
}
