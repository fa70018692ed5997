/** Reads a request body into memory, refusing (before reading all of it) anything over the limit. */
import { payloadTooLarge } from "../lib/errors.js";

export async function readBody(req: Request, maxBytes: number): Promise<Uint8Array | null> {
  if (req.method === "GET" || req.method === "HEAD" || !req.body) return null;
  const declared = Number(req.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw payloadTooLarge(`request body is larger than ${maxBytes} bytes`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw payloadTooLarge(`request body is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
