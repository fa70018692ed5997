/**
 * Piece "fetch-body": the half of the fetch API that waits for first use —
 * the Body mixin methods, `body` streams, clone(), Response.json/redirect/error
 * and a script's own `new Request(input, init)`. Replaces the stubs the fetch
 * piece left on the prototypes.
 */
import { bindBody, bodyMethods, bodyStream, extractBody, sourceBytes } from "../body.js";
import type { Internals } from "../internals.js";
import type { FetchBodyPiece, FetchPiece } from "../piece-types.js";
import { requestInit } from "../request-init.js";
import { responseExtra } from "../response-extra.js";

export default function install(I: Internals): FetchBodyPiece {
  bindBody(I);
  const { Request, Response } = I.load<FetchPiece>("fetch");
  const { initRequest, cloneRequest, toHost } = requestInit(I);
  const extra = responseExtra(I);
  for (const proto of [Request.prototype, Response.prototype]) {
    for (const name of Object.keys(bodyMethods)) I.define(proto, name, bodyMethods[name]);
    Object.defineProperty(proto, "body", {
      configurable: true,
      enumerable: true,
      get(this: unknown) {
        return bodyStream(this);
      },
    });
  }
  I.define(Request.prototype, "clone", function (this: unknown) {
    return cloneRequest(this);
  });
  I.define(Response.prototype, "clone", function (this: unknown) {
    return extra.clone(this);
  });
  I.define(Response, "json", extra.json);
  I.define(Response, "redirect", extra.redirect);
  I.define(Response, "error", extra.error);
  return { initRequest, extractBody, sourceBytes, toHost };
}
