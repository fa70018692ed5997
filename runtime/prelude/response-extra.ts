/**
 * Response statics (json, redirect, error) and clone(). Part of the
 * fetch-body piece, loaded the first time a script uses one of them.
 */
import { cloneBody } from "./body.js";
import { NULL_BODY, RAW, type ResponseState, responseState } from "./fetch-state.js";
import type { Internals } from "./internals.js";
import type { FetchPiece, UrlPiece } from "./piece-types.js";

const REDIRECTS = [301, 302, 303, 307, 308];

export function responseExtra(I: Internals) {
  const fetch = () => I.load<FetchPiece>("fetch");
  const raw = (state: ResponseState) => new (fetch().Response)(RAW, state);

  return {
    json(data: unknown, init?: unknown): object {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError("Response.json: data is not JSON-serializable");
      const response = new (fetch().Response)(null, init);
      const s = responseState(response);
      if (NULL_BODY.includes(s.status))
        throw new TypeError(`Response with status ${s.status} cannot have a body`);
      s.body.src = text;
      if (!s.headers.has("content-type")) s.headers.append("content-type", "application/json");
      return response;
    },
    redirect(url: unknown, status = 302): object {
      const href = I.load<UrlPiece>("url").href(String(url));
      if (href === null) throw new TypeError(`Invalid URL: "${String(url)}"`);
      if (!REDIRECTS.includes(status)) throw new RangeError(`Invalid redirect status ${status}`);
      return raw({
        status,
        statusText: "",
        headers: fetch().headersFromList([["location", href]], "immutable") as ResponseState["headers"],
        body: { src: null, used: false },
        type: "default",
        url: "",
        redirected: false,
      });
    },
    error(): object {
      return raw({
        status: 0,
        statusText: "",
        headers: fetch().headersFromList([], "immutable") as ResponseState["headers"],
        body: { src: null, used: false },
        type: "error",
        url: "",
        redirected: false,
      });
    },
    clone(self: unknown): object {
      const s = responseState(self);
      const list = fetch()
        .headerList(s.headers)
        .map((pair): [string, string] => [pair[0], pair[1]]);
      const headers = fetch().headersFromList(list, "none") as ResponseState["headers"];
      return raw({ ...s, headers, body: cloneBody(s.body) });
    },
  };
}
