/**
 * Piece "outbound": the global fetch(). The request is built and read in the
 * guest, sent to the host in one call, and the answer becomes a Response with
 * immutable headers (as in Workers). An AbortSignal aborts the host request.
 */
import { Op } from "../../ops.js";
import { guestError } from "../guest-error.js";
import type { Internals } from "../internals.js";
import type { EventsPiece, FetchBodyPiece, FetchPiece } from "../piece-types.js";

type HostAnswer = [[number, string, string, string, boolean], ArrayBuffer | undefined];

export default function install(I: Internals): object {
  const api = I.load<FetchPiece>("fetch");
  const more = I.load<FetchBodyPiece>("fetch-body");
  async function send(input: unknown, init?: unknown): Promise<unknown> {
    const request = new api.Request(input, init);
    const [method, url, headersJson, body, redirect, signal] = await more.toHost(request);
    const events = signal ? I.load<EventsPiece>("events") : undefined;
    if (signal && events) {
      const [aborted, reason] = events.signalState(signal);
      if (aborted) throw reason;
    }
    const own = I.exec().own;
    const id = ((own.fetchId as number | undefined) ?? 0) + 1;
    own.fetchId = id;
    const pending = I.host(
      Op.Fetch,
      I.token(),
      id,
      method,
      url,
      headersJson,
      body,
      redirect,
    ) as Promise<HostAnswer>;
    const answer = await new Promise<HostAnswer>((resolve, reject) => {
      pending.then(resolve, (reason) => reject(guestError(reason)));
      if (signal && events)
        events.onAbort(signal, () => {
          I.host(Op.FetchAbort, id);
          reject(events.signalState(signal)[1]);
        });
    });
    return api.responseFromHost(answer[0], answer[1]);
  }

  function fetch(input: unknown, init?: unknown): Promise<unknown> {
    return I.promise(send(input, init));
  }

  I.expose("fetch", fetch);
  return {};
}
