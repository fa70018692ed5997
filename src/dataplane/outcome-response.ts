/** Turns an execution's outcome into the HTTP answer (SPEC §2): the script's Response, or 500/502/504/507 JSON. */
import type { EntryOutcome, ExecutionLimits } from "../../runtime/index.js";
import { scriptResponseHeaders } from "./session-isolation.js";

export function outcomeStatus(o: EntryOutcome): number {
  switch (o.status) {
    case "ok":
      return o.response?.status ?? 200;
    case "error":
      return 500;
    case "invalid_response":
      return 502;
    case "timeout":
      return 504;
    case "memory":
      return 507;
  }
}

export function jsonError(status: number, error: string, extra: Record<string, unknown> = {}): Response {
  return new Response(JSON.stringify({ error, ...extra }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

export function outcomeResponse(
  o: EntryOutcome,
  executionId: string,
  limits: ExecutionLimits,
  method: string,
): Response {
  if (o.status === "ok") {
    const r = o.response;
    if (!r) return jsonError(502, "the script's fetch handler returned no Response", { executionId });
    const headers = scriptResponseHeaders(r.headers);
    headers.set("x-picloud-execution-id", executionId);
    // Null-body statuses must not carry one, and HEAD never does.
    const noBody = method === "HEAD" || r.status === 204 || r.status === 205 || r.status === 304;
    return new Response(noBody ? null : (r.body as Uint8Array<ArrayBuffer>), {
      status: r.status,
      statusText: r.statusText,
      headers,
    });
  }
  const withId = (status: number, message: string) => {
    const res = jsonError(status, message, { executionId });
    res.headers.set("x-picloud-execution-id", executionId);
    return res;
  };
  switch (o.status) {
    case "error":
      return withId(500, "the script threw an uncaught exception; see the execution log");
    case "invalid_response":
      return withId(502, `the script returned an invalid response: ${o.message}`);
    case "timeout":
      return withId(504, `the script exceeded its time limit of ${limits.wallTimeMs} ms`);
    case "memory":
      return withId(
        507,
        `the script exceeded its memory limit of ${Math.round(limits.memoryBytes / 1048576)} MiB`,
      );
  }
}
