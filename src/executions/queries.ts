/** Reading execution records: newest first, filtered by script and status, with cursor pagination. */
import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { badRequest, notFound } from "../lib/errors.js";
import { isUuid } from "../lib/ids.js";
import { type ExecutionStatus, executions } from "./schema.js";

type Row = typeof executions.$inferSelect;

export function toExecutionView(r: Row) {
  return {
    id: r.id,
    appId: r.appId,
    scriptId: r.scriptId,
    scriptName: r.scriptName,
    versionId: r.versionId,
    version: r.version,
    rootId: r.rootId,
    depth: r.depth,
    trigger: r.trigger,
    entry: r.entry,
    status: r.status,
    httpStatus: r.httpStatus,
    request: r.request,
    durationMs: r.durationMs,
    startedAt: r.startedAt.toISOString(),
    error: r.error,
    lateError: r.lateError,
    logs: r.logs,
    logsTruncated: r.logsTruncated,
  };
}
export type ExecutionView = ReturnType<typeof toExecutionView>;

export class ExecutionQueries {
  constructor(private readonly db: Db) {}

  async list(
    appId: string,
    opts: { scriptId?: string; status?: ExecutionStatus; limit: number; cursor?: string },
  ): Promise<{ items: ExecutionView[]; cursor: string | null }> {
    const where: (SQL | undefined)[] = [eq(executions.appId, appId)];
    if (opts.scriptId) where.push(eq(executions.scriptId, opts.scriptId));
    if (opts.status) where.push(eq(executions.status, opts.status));
    if (opts.cursor) {
      const [at, id] = decodeCursor(opts.cursor);
      where.push(or(lt(executions.startedAt, at), and(eq(executions.startedAt, at), lt(executions.id, id))));
    }
    const rows = await this.db
      .select()
      .from(executions)
      .where(and(...where))
      .orderBy(desc(executions.startedAt), desc(executions.id))
      .limit(opts.limit + 1);
    const page = rows.slice(0, opts.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toExecutionView),
      cursor: rows.length > opts.limit && last ? encodeCursor(last.startedAt, last.id) : null,
    };
  }

  async get(appId: string, id: string): Promise<ExecutionView> {
    if (!isUuid(id)) throw notFound("execution");
    const [row] = await this.db
      .select()
      .from(executions)
      .where(and(eq(executions.appId, appId), eq(executions.id, id)));
    if (!row) throw notFound("execution");
    return toExecutionView(row);
  }
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString("base64url");
}

function decodeCursor(cursor: string): [Date, string] {
  const [iso, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const at = new Date(iso ?? "");
  if (Number.isNaN(at.getTime()) || !id || !isUuid(id))
    throw badRequest("cursor is invalid", { field: "cursor" });
  return [at, id];
}
