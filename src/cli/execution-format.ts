/** How `picloud logs` and `picloud tail` print executions and their console lines. */

export interface ExecutionRecord {
  id: string;
  scriptName: string;
  version: number;
  trigger: string;
  status: string;
  httpStatus: number | null;
  request: string | null;
  durationMs: number;
  startedAt: string;
  error: { name: string; message: string; stack?: string } | null;
  logs: { level: string; message: string; at: number }[];
  logsTruncated: boolean;
}

/** `2026-11-26 11:23:21.123` in UTC: sortable, and the same on every machine. */
export function timeText(at: string | number): string {
  return new Date(at).toISOString().replace("T", " ").replace("Z", "");
}

/** `api v2 GET /posts → ok 200, 12 ms (http, 0190…)` */
export function executionSummary(e: ExecutionRecord): string {
  const what = e.request ?? e.trigger;
  const result = [e.status, e.httpStatus ?? ""].filter((x) => x !== "").join(" ");
  return `${e.scriptName} v${e.version} ${what} → ${result}, ${e.durationMs} ms (${e.trigger}, ${e.id})`;
}

export function errorText(e: Pick<ExecutionRecord, "error">): string | null {
  if (!e.error) return null;
  return `${e.error.name}: ${e.error.message}`;
}
