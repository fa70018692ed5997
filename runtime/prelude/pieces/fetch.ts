/**
 * Piece "fetch": Headers, Request, Response — constructors, getters and the
 * trip to the host. Body methods, clone(), the Response statics and
 * `new Request(…)` are stubs here that the fetch-body piece replaces when the
 * shared realm boots (it installs every piece before sealing).
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
  I.expose("Headers", Headers);
  I.expose("Request", Request);
  I.expose("Response", Response);
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
