/**
 * What a script sees as `env.files`: put, get, head, delete and list. Bodies
 * cross the boundary as bytes (strings are sent as text and stored as UTF-8);
 * `get` hands the script an ArrayBuffer. Paths and options are checked here
 * (TypeError / RangeError naming the argument) before anything is written.
 */
import type { BindingDefinition, HostValue } from "../../../runtime/index.js";
import { decodeCursor, encodeCursor, intOption, options, rangeError, typeError } from "../arguments.js";
import type { BindingContext, BindingFactory } from "../index.js";
import { contentTypeFor } from "./content-type.js";
import { filePath, pathPrefix } from "./file-path.js";
import type { FileInfo, FilesService } from "./service.js";

// The glue names no Web globals (only intrinsics), so it adds nothing to a context's prelude.
const GUEST = `(call) => {
  const bytes = (body) => {
    if (typeof body === "string" || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body;
    if (body !== null && typeof body === "object" && typeof body.arrayBuffer === "function") return body.arrayBuffer();
    return body;
  };
  const buffer = (u8) => u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength
    ? u8.buffer : u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);
  return Object.freeze({
    put: async (path, body, options) => call("put", path, await bytes(body), options),
    get: async (path) => {
      const file = await call("get", path);
      if (file) file.body = buffer(file.body);
      return file;
    },
    head: (path) => call("head", path),
    delete: (path) => call("delete", path),
    list: (options) => call("list", options),
  });
}`;

const asGuest = (f: FileInfo | null) => f as unknown as HostValue;

function bodyBytes(body: HostValue, max: number): Uint8Array {
  let bytes: Uint8Array;
  if (typeof body === "string") bytes = Buffer.from(body, "utf8");
  else if (body instanceof Uint8Array) bytes = body;
  else throw typeError("body must be a string, an ArrayBuffer, a typed array or a Blob");
  if (bytes.byteLength > max) throw rangeError(`body is ${bytes.byteLength} bytes; the limit is ${max}`);
  return bytes;
}

export function filesBinding(files: FilesService): BindingFactory {
  return {
    name: "files",
    create(ctx: BindingContext): BindingDefinition {
      return {
        name: "files",
        guestSource: GUEST,
        methods: {
          put: async ([p, body, opts]) => {
            const path = filePath(p);
            const o = options(opts ?? null, "options", ["contentType"]);
            const bytes = bodyBytes(body, files.maxFileBytes);
            // Text with no type given and no telling extension is served as text.
            const fallback =
              typeof body === "string" && o.contentType == null ? "text/plain; charset=utf-8" : null;
            let contentType = contentTypeFor(path, o.contentType);
            if (fallback && contentType === "application/octet-stream") contentType = fallback;
            return asGuest((await files.put(ctx, path, bytes, contentType)).file);
          },
          get: async ([p]) => {
            const file = await files.get(ctx.appId, filePath(p));
            return file as unknown as HostValue;
          },
          head: async ([p]) => asGuest(await files.head(ctx.appId, filePath(p))),
          delete: async ([p]) => files.delete(ctx, filePath(p)),
          list: async ([opts]) => {
            const o = options(opts ?? null, "options", ["prefix", "cursor", "limit"]);
            const prefix = pathPrefix(o.prefix ?? null, "options.prefix");
            const after = decodeCursor(o.cursor ?? null, "options.cursor");
            if (after !== undefined && typeof after[0] !== "string")
              throw typeError("options.cursor is not a cursor returned by this method");
            // Larger limits are clamped, not refused (as for kv.list).
            const limit = Math.min(
              intOption(o.limit ?? null, "options.limit", 1, Number.MAX_SAFE_INTEGER, 100),
              1000,
            );
            const res = await files.list(ctx.appId, {
              prefix,
              after: after?.[0] as string | undefined,
              limit,
            });
            return {
              items: res.items as unknown as HostValue,
              cursor: res.cursor === null ? null : encodeCursor([res.cursor]),
            };
          },
        },
      };
    },
  };
}
