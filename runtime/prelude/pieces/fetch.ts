/** Piece "fetch": Headers, Request, Response. Preloaded into prepared contexts. */
import { bindBody, bytesOf, sourceBytes } from "../body.js";
import { Headers, headerList } from "../headers.js";
import type { Internals } from "../internals.js";
import type { FetchPiece } from "../piece-types.js";
import { bindRequest, Request, requestFromHost, requestState } from "../request.js";
import { bindResponse, Response, respond, responseFromHost } from "../response.js";

export default function install(I: Internals): FetchPiece {
  bindBody(I);
  bindRequest(I);
  bindResponse(I);
  I.define(I.g, "Headers", Headers);
  I.define(I.g, "Request", Request);
  I.define(I.g, "Response", Response);
  return {
    requestFromHost,
    respond,
    responseFromHost,
    bytesOf,
    newRequest: (input, init) => new Request(input, init as Record<string, unknown> | undefined),
    async toHost(request) {
      const s = requestState(request);
      if (s.body.used) throw new TypeError("Request body has already been used");
      const src = s.body.src;
      s.body.used = src !== null;
      const bytes = src === null ? null : await sourceBytes(src);
      const flat: string[] = [];
      for (const [name, value] of headerList(s.headers)) flat.push(name, value);
      const body =
        bytes === null
          ? null
          : bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
            ? bytes.buffer
            : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      return [s.method, s.url, JSON.stringify(flat), body, s.redirect, s.signal];
    },
  };
}
