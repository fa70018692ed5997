/**
 * Test helpers: build ExecutionJobs and run them through a SandboxHost with
 * a permit from its gate. Used by runtime/*.test.ts and bench/.
 */
import type { EntryOutcome, ExecutionJob, FinishedExecution } from "../execution-types.js";
import type { HostRequest } from "../host-types.js";
import type { SandboxHost } from "../sandbox-host.js";

export const TEST_LIMITS = {
  wallTimeMs: 2_000,
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 320 * 1024,
  maxResponseBytes: 1024 * 1024,
  maxLogBytes: 64 * 1024,
};

let counter = 0;

export function request(url = "https://app.example/", init: Partial<HostRequest> = {}): HostRequest {
  return { method: "GET", url, headers: [], body: null, ...init };
}

/** A fetch job for `source`; override anything with `patch`. */
export function fetchJob(source: string, patch: Partial<ExecutionJob> = {}): ExecutionJob {
  counter++;
  return {
    executionId: `exec-${counter}`,
    rootExecutionId: `root-${counter}`,
    depth: 0,
    script: { versionId: "v1", source },
    entry: "fetch",
    input: { request: request() },
    vars: {},
    limits: TEST_LIMITS,
    ...patch,
  };
}

export interface Ran {
  outcome: EntryOutcome;
  finished: FinishedExecution;
  /** The response body as text (fetch). */
  text: string;
  status: number | undefined;
  header(name: string): string | undefined;
}

/** Runs a job to completion (waits for a permit). */
export async function run(host: SandboxHost, job: ExecutionJob): Promise<Ran> {
  const permit = await host.gate.acquire();
  const running = host.start(job, permit);
  const outcome = await running.result;
  const finished = await running.finished;
  const response = outcome.status === "ok" ? outcome.response : undefined;
  return {
    outcome,
    finished,
    text: response ? Buffer.from(response.body).toString("utf8") : "",
    status: response?.status,
    header: (name) => response?.headers.find(([n]) => n === name.toLowerCase())?.[1],
  };
}

/** Runs `source` as a fetch handler for `req`. */
export function runFetch(host: SandboxHost, source: string, patch: Partial<ExecutionJob> = {}): Promise<Ran> {
  return run(host, fetchJob(source, patch));
}

/**
 * Runs `body` (an async function body that returns a JSON-serializable value) inside a fetch
 * handler and returns that value; fails with the guest's error if the execution was not ok.
 */
export async function inGuest<T = unknown>(
  host: SandboxHost,
  body: string,
  patch: Partial<ExecutionJob> = {},
): Promise<T> {
  const source = `export default { async fetch(request, env, ctx) {
    const result = await (async () => { ${body} })();
    return new Response(JSON.stringify(result === undefined ? null : result));
  } }`;
  const ran = await runFetch(host, source, patch);
  if (ran.outcome.status !== "ok") throw new Error(`guest failed: ${JSON.stringify(ran.outcome)}`);
  return JSON.parse(ran.text) as T;
}

/** Guest helper source: `attempt(fn)` → the thrown error's "Name: message", or the value. */
export const ATTEMPT = `const attempt = (fn) => { try { return fn() } catch (e) { return (e && e.name) + ": " + (e && e.message) } };
const attemptAsync = async (fn) => { try { return await fn() } catch (e) { return (e && e.name) + ": " + (e && e.message) } };`;
