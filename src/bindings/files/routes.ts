/**
 * Admin API of env.files, under /apps/{app}: list, download, upload, delete.
 * A file's path follows `/files/content/` in the URL, percent-encoded per
 * segment. Downloads are sent as attachments with a sandboxing CSP: a stored
 * HTML file must never run as a page of the admin origin. Uploads emit
 * `files` events like a script's writes.
 */
import { Hono } from "hono";
import * as v from "valibot";
import { HostCallError } from "../../../runtime/index.js";
import type { Apps } from "../../apps/apps.js";
import { assertCan } from "../../auth/capabilities.js";
import { type AdminContext, type AdminEnv, principalOf } from "../../auth/http.js";
import { badRequest, notFound, payloadTooLarge } from "../../lib/errors.js";
import { limitParam, queryParams } from "../../lib/http-validation.js";
import { uuidv7 } from "../../lib/ids.js";
import { decodeCursor, encodeCursor } from "../arguments.js";
import { contentTypeFor } from "./content-type.js";
import { filePath, pathPrefix } from "./file-path.js";
import type { FileInfo, FilesService } from "./service.js";

const CONTENT = "/files/content/";

const listQuery = v.strictObject({
  prefix: v.optional(v.string()),
  cursor: v.optional(v.string()),
  limit: limitParam(1000, 100),
});

/** Argument checks shared with the binding throw HostCallErrors; here they are 400s. */
function checked<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof HostCallError) throw badRequest(err.message);
    throw err;
  }
}

/** The file path of a /files/content/… request, from the raw (still encoded) URL path. */
function pathOf(c: AdminContext): string {
  const raw = new URL(c.req.url).pathname;
  const encoded = raw.slice(raw.indexOf(CONTENT) + CONTENT.length);
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    throw badRequest("path is not valid percent-encoding");
  }
  return checked(() => filePath(decoded));
}

const quoted = (etag: string) => `"${etag}"`;

/** If-None-Match: `*` or a list of (possibly weak) entity tags; weak comparison, as RFC 9110 asks for GET. */
function matchesAny(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === quoted(etag));
}

function fileHeaders(file: FileInfo): Record<string, string> {
  const name = file.path.slice(file.path.lastIndexOf("/") + 1);
  return {
    etag: quoted(file.etag),
    "last-modified": new Date(file.updatedAt).toUTCString(),
    "cache-control": "private, no-cache",
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox; default-src 'none'",
    "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
  };
}

export interface FileRouteDeps {
  apps: Apps;
  files: FilesService;
}

export function fileRoutes({ apps, files }: FileRouteDeps) {
  return new Hono<AdminEnv>()
    .get("/:app/files", queryParams(listQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const q = c.req.valid("query");
      const prefix = checked(() => pathPrefix(q.prefix));
      const after = checked(() => decodeCursor(q.cursor ?? null));
      if (after !== undefined && typeof after[0] !== "string")
        throw badRequest("cursor is not a cursor returned by this endpoint");
      const page = await files.list(app.id, {
        prefix,
        after: after?.[0] as string | undefined,
        limit: Number(q.limit),
      });
      return c.json({ items: page.items, cursor: page.cursor === null ? null : encodeCursor([page.cursor]) });
    })
    .get(`/:app${CONTENT}*`, async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const path = pathOf(c);
      const ifNoneMatch = c.req.header("if-none-match");
      if (ifNoneMatch) {
        const head = await files.head(app.id, path);
        if (!head) throw notFound("file");
        if (matchesAny(ifNoneMatch, head.etag)) return c.body(null, 304, fileHeaders(head));
      }
      const file = await files.get(app.id, path);
      if (!file) throw notFound("file");
      return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
        ...fileHeaders(file),
        "content-type": file.contentType,
        "content-length": String(file.size),
      });
    })
    .put(`/:app${CONTENT}*`, async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const path = pathOf(c);
      const given = c.req.header("content-type");
      const contentType = checked(() => contentTypeFor(path, given || undefined, "Content-Type"));
      const body = new Uint8Array(await c.req.arrayBuffer());
      if (body.byteLength > files.maxFileBytes)
        throw payloadTooLarge(`file is ${body.byteLength} bytes; the limit is ${files.maxFileBytes}`);
      // An upload starts its own chain of events, as an HTTP request does.
      const { file, created } = await files.put(
        { appId: app.id, depth: 0, rootExecutionId: uuidv7() },
        path,
        body,
        contentType,
      );
      c.get("log").info({ appId: app.id, path, size: file.size, by: p.user.id }, "file uploaded");
      return c.json({ file }, created ? 201 : 200);
    })
    .delete(`/:app${CONTENT}*`, async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const path = pathOf(c);
      if (!(await files.delete({ appId: app.id, depth: 0, rootExecutionId: uuidv7() }, path)))
        throw notFound("file");
      return c.body(null, 204);
    });
}
