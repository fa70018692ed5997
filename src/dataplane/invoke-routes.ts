/**
 * Test runs (SPEC §4 "invoke", the dashboard's "test run"): run a script's
 * current version directly with a request or an event, and get back its
 * response, logs and status in one answer. Recorded like any execution.
 */
import { Hono } from "hono";
import type * as v from "valibot";
import type { EntryInput } from "../../runtime/index.js";
import type { Apps, LoadedApp } from "../apps/apps.js";
import { assertCan } from "../auth/capabilities.js";
import { type AdminContext, type AdminEnv, principalOf } from "../auth/http.js";
import { notFound, PicloudError } from "../lib/errors.js";
import { jsonBody } from "../lib/http-validation.js";
import { invokeBody } from "../scripts/schemas.js";
import type { Scripts, ScriptView } from "../scripts/scripts.js";
import type { Executor } from "./executor.js";
import { outcomeStatus } from "./outcome-response.js";

function bodyView(bytes: Uint8Array): { body: string; encoding: "utf8" | "base64" } {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  // Round-trips only when the bytes were valid UTF-8.
  return Buffer.from(text, "utf8").equals(Buffer.from(bytes))
    ? { body: text, encoding: "utf8" }
    : { body: Buffer.from(bytes).toString("base64"), encoding: "base64" };
}

export function invokeRoutes(deps: { apps: Apps; scripts: Scripts; executor: Executor }) {
  const invoke = async (
    c: AdminContext,
    app: LoadedApp,
    script: ScriptView,
    body: v.InferOutput<typeof invokeBody>,
  ) => {
    const p = principalOf(c);
    assertCan(p, "script.write", app.access);
    if (script.kind !== "handler" || !script.currentVersionId)
      throw new PicloudError(400, "bad_request", "only handler scripts with a version can be invoked");
    const runnable = await deps.scripts.runnable(app.id, script.id);
    if (!runnable) throw new PicloudError(400, "bad_request", "the script has no version to run");
    const permit = deps.executor.gate.tryAcquire();
    if (!permit) throw new PicloudError(503, "busy", "too many executions in progress; retry shortly");
    const url = new URL(body.request?.path ?? "/", `http://${app.slug}.invoke.picloud`);
    const request = {
      method: (body.request?.method ?? "GET").toUpperCase(),
      url: url.toString(),
      headers: Object.entries(body.request?.headers ?? {}),
      body: body.request?.body === undefined ? null : new TextEncoder().encode(body.request.body),
    };
    const input: EntryInput =
      body.entry === "fetch"
        ? { request }
        : body.entry === "scheduled"
          ? { controller: { cron: "manual", scheduledTime: Date.now() } }
          : body.entry === "email"
            ? { message: body.event ?? {} }
            : { event: body.event ?? {} };
    const run = await deps.executor.start(
      {
        appId: app.id,
        // A test run always gets a fresh context, whatever the script's isolation.
        script: { ...runnable, isolation: "none" },
        entry: body.entry,
        input,
        trigger: "invoke",
        principalUserId: p.user.id,
        requestLine: body.entry === "fetch" ? `${request.method} ${url.pathname}${url.search}` : undefined,
        httpStatus: body.entry === "fetch" ? outcomeStatus : undefined,
      },
      permit,
    );
    const finished = await run.finished;
    const o = finished.outcome;
    return c.json({
      executionId: run.executionId,
      status: o.status,
      durationMs: Math.round(finished.durationMs),
      response:
        o.status === "ok" && o.response
          ? { status: o.response.status, headers: o.response.headers, ...bodyView(o.response.body) }
          : undefined,
      value: o.status === "ok" ? o.value : undefined,
      error:
        o.status === "error"
          ? o.error
          : o.status === "invalid_response"
            ? { name: "InvalidResponse", message: o.message }
            : undefined,
      late: finished.late,
      logs: finished.logs,
      logsTruncated: finished.logsTruncated,
    });
  };

  return {
    /** Mounted under /apps: POST /{app}/scripts/{script}/invoke. */
    byApp: new Hono<AdminEnv>().post("/:app/scripts/:script/invoke", jsonBody(invokeBody), async (c) => {
      const app = await deps.apps.load(principalOf(c), c.req.param("app"));
      const script = await deps.scripts.get(app.id, c.req.param("script"));
      return invoke(c, app, script, c.req.valid("json"));
    }),
    /** Mounted under /scripts: POST /{id}/invoke (SPEC §4), the app found from the script. */
    byId: new Hono<AdminEnv>().post("/:id/invoke", jsonBody(invokeBody), async (c) => {
      const appId = await deps.scripts.appIdOf(c.req.param("id"));
      if (!appId) throw notFound("script");
      const app = await deps.apps.load(principalOf(c), appId);
      const script = await deps.scripts.get(app.id, c.req.param("id"));
      return invoke(c, app, script, c.req.valid("json"));
    }),
  };
}
