/**
 * Piece "fetch": Headers, Request, Response — the part every fetch execution
 * needs (constructors, getters, the trip to the host), preloaded into prepared
 * contexts. Body methods, clone(), the Response statics and `new Request(…)`
 * are stubs here that load the fetch-body piece on first use: compiling code
 * is what a fresh QuickJS context pays for, so rarely used code waits.
 */
import { bodyState } from "../fetch-state.js";
import { Headers, headerList, headersFromList } from "../headers.js";
import type { Internals } from "../internals.js";
import type { FetchPiece } from "../piece-types.js";
import { bindRequest, Request, requestFromHost } from "../request.js";
import { bindResponse, Response, respond, responseFromHost } from "../response.js";

const BODY_METHODS = ["arrayBuffer", "bytes", "text", "json", "blob", "formData", "clone"];
const STATICS = ["json", "redirect", "error"];

export default function install(I: Internals): FetchPiece {
  bindRequest(I);
  bindResponse(I);
  const more = () => I.load("fetch-body");
  for (const proto of [Request.prototype, Response.prototype]) {
    for (const name of BODY_METHODS)
      I.define(proto, name, function (this: unknown, ...args: unknown[]) {
        more();
        return (proto as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!.apply(this, args);
      });
    Object.defineProperty(proto, "bodyUsed", {
      configurable: true,
      enumerable: true,
      get(this: unknown) {
        return bodyState(this).used;
      },
    });
    Object.defineProperty(proto, "body", {
      configurable: true,
      enumerable: true,
      get(this: unknown) {
        more();
        return Object.getOwnPropertyDescriptor(proto, "body")!.get!.call(this);
      },
    });
  }
  for (const name of STATICS)
    I.define(Response, name, (...args: unknown[]) => {
      more();
      return (Response as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
    });
  I.define(I.g, "Headers", Headers);
  I.define(I.g, "Request", Request);
  I.define(I.g, "Response", Response);
  return {
    requestFromHost,
    respond,
    responseFromHost,
    Request,
    Response,
    Headers,
    headerList: (headers) => headerList(headers as Headers),
    headersFromList,
  };
}
