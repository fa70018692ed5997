/**
 * Undoes Content-Encoding the way fetch does (gzip, deflate, br), so a script
 * reading `await res.text()` gets the document and not gzip bytes. The decoded
 * size is capped too (zlib's maxOutputLength stops inflating at the cap), so a
 * small compressed body cannot expand into a memory bomb.
 */
import { promisify } from "node:util";
import zlib from "node:zlib";

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotliDecompress = promisify(zlib.brotliDecompress);

/** Raised when the decoded body passes the cap. */
export class DecodedTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`decoded response body exceeds ${limit} bytes`);
  }
}

/** Raised when the body does not decode; names the coding. */
export class UndecodableBodyError extends Error {
  constructor(readonly coding: string) {
    super(`could not decode ${coding} response body`);
  }
}

// Same bound as undici's fetch (CVE-2022-32206 class: stacked codings as a resource attack).
const MAX_CODINGS = 5;

async function decodeOne(coding: string, input: Buffer, maxBytes: number): Promise<Buffer | null> {
  // Lenient flushing, as browsers and curl are: accept bodies truncated after a sync flush.
  const zlibOptions = {
    maxOutputLength: maxBytes,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  };
  switch (coding) {
    case "gzip":
    case "x-gzip":
      return gunzip(input, zlibOptions);
    case "deflate":
      // "deflate" should be zlib-wrapped; some servers send raw deflate. A zlib header's CM nibble is 8.
      return ((input[0] ?? 0) & 0x0f) === 0x08 ? inflate(input, zlibOptions) : inflateRaw(input, zlibOptions);
    case "br":
      return brotliDecompress(input, {
        maxOutputLength: maxBytes,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      });
    case "identity":
      return input;
    default:
      return null;
  }
}

/**
 * Decodes `body` per the Content-Encoding header value. Unknown codings leave
 * the body as received (like undici's fetch); throws DecodedTooLargeError or
 * UndecodableBodyError.
 */
export async function decodeBody(body: Buffer, contentEncoding: string | undefined, maxBytes: number) {
  if (!contentEncoding || body.length === 0) return body;
  const codings = contentEncoding
    .toLowerCase()
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  if (codings.length > MAX_CODINGS) throw new UndecodableBodyError(`${codings.length}-times encoded`);
  let current = body;
  for (const coding of codings.reverse()) {
    let next: Buffer | null;
    try {
      next = await decodeOne(coding, current, maxBytes);
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        throw new DecodedTooLargeError(maxBytes);
      throw new UndecodableBodyError(coding);
    }
    if (next === null) return body;
    current = next;
  }
  return current;
}
