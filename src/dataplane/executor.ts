/**
 * Runs one script version for any trigger (HTTP, test invoke, events, cron):
 * loads its source (cached per immutable version), builds env (the app's vars
 * and bindings), starts the sandbox, streams console lines to the live tail,
 * and records the execution when it finishes — off the request path.
 */
import { eq } from "drizzle-orm";
import type {
  EntryInput,
  EntryName,
  EntryOutcome,
  FinishedExecution,
  HostRequest,
  HostResponse,
  Permit,
  SandboxHost,
} from "../../runtime/index.js";
import { apps } from "../apps/schema.js";
import type { BindingRegistry } from "../bindings/index.js";
import type { RuntimeConfig } from "../config/env.js";
import type { ChangeFeed } from "../db/change-feed.js";
import type { Db } from "../db/client.js";
import type { LiveTail } from "../executions/live-tail.js";
import { toExecutionView } from "../executions/queries.js";
import type { ExecutionRecorder } from "../executions/recorder.js";
import type { ExecutionStatus } from "../executions/schema.js";
import { uuidv7 } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";
import { WeightedLru } from "../lib/lru.js";
import type { Scripts } from "../scripts/scripts.js";
import { executionLimits } from "./limits.js";
import type { RoutableScript } from "./route-table.js";

export interface RunRequest {
  appId: string;
  script: RoutableScript;
  entry: EntryName;
  input: EntryInput;
  trigger: string;
  params?: Record<string, string>;
  /** Set for executions caused by another one (events); a new root otherwise. */
  rootExecutionId?: string;
  depth?: number;
  executionId?: string;
  principalUserId?: string | null;
  /** `GET /path` for the record. */
  requestLine?: string;
  /** Maps the entry outcome to the HTTP status recorded with the execution. */
  httpStatus?: (outcome: EntryOutcome) => number | null;
}

export interface StartedRun {
  executionId: string;
  result: Promise<EntryOutcome>;
  finished: Promise<FinishedExecution>;
}

/** The outbound fetch an execution of an app gets (SSRF-guarded, with the app's allowlist). */
export type FetchFor = (
  appId: string,
) => Promise<(req: HostRequest, signal: AbortSignal) => Promise<HostResponse>>;

export interface ExecutorDeps {
  db: Db;
  sandbox: SandboxHost;
  scripts: Scripts;
  bindings: BindingRegistry;
  recorder: ExecutionRecorder;
  tail: LiveTail;
  config: RuntimeConfig;
  changes: ChangeFeed;
  fetchFor: FetchFor;
  /** Called once per finished execution (metrics). */
  onFinished?: (trigger: string, status: string, durationMs: number) => void;
  log: Logger;
}

export class Executor {
  private readonly sources = new WeightedLru<string, string>(64 * 1024 * 1024, (s) => s.length * 2);
  private readonly vars = new Map<string, Promise<Record<string, string>>>();

  constructor(private readonly deps: ExecutorDeps) {
    deps.changes.subscribe((c) => {
      if (c.topic === "apps") {
        if (c.appId) this.vars.delete(c.appId);
        else this.vars.clear();
      }
    });
  }

  get gate() {
    return this.deps.sandbox.gate;
  }

  /**
   * Starts an execution under a permit the caller acquired. Loading the source
   * or vars may fail (database down); then the permit is released and it throws.
   */
  async start(req: RunRequest, permit: Permit): Promise<StartedRun> {
    let source: string;
    let modules: Record<string, string> | undefined;
    let vars: Record<string, string>;
    let fetch: Awaited<ReturnType<FetchFor>>;
    try {
      [source, modules, vars, fetch] = await Promise.all([
        this.source(req.script.versionId),
        this.moduleSources(req.script.modules),
        this.appVars(req.appId),
        this.deps.fetchFor(req.appId),
      ]);
    } catch (err) {
      permit.release();
      throw err;
    }
    const executionId = req.executionId ?? uuidv7();
    const rootExecutionId = req.rootExecutionId ?? executionId;
    const depth = req.depth ?? 0;
    const startedAt = new Date();
    const { tail } = this.deps;
    const watching = tail.watching(req.appId);
    const running = this.deps.sandbox.start(
      {
        executionId,
        rootExecutionId,
        depth,
        script: {
          versionId: req.script.versionId,
          scriptId: req.script.id,
          source,
          isolation: req.script.isolation,
          modules,
        },
        entry: req.entry,
        input: req.input,
        params: req.params,
        vars,
        bindings: this.deps.bindings.bindingsFor({
          appId: req.appId,
          executionId,
          rootExecutionId,
          depth,
          scriptId: req.script.id,
          principalUserId: req.principalUserId ?? null,
        }),
        fetch,
        limits: executionLimits(this.deps.config, req.script.limits),
        onLog: watching
          ? (line) =>
              tail.emit({ type: "log", appId: req.appId, executionId, scriptName: req.script.name, ...line })
          : undefined,
      },
      permit,
    );
    const finished = running.finished.then((f) => {
      this.record(req, executionId, rootExecutionId, depth, startedAt, f);
      return f;
    });
    return { executionId, result: running.result, finished };
  }

  private record(
    req: RunRequest,
    id: string,
    rootId: string,
    depth: number,
    startedAt: Date,
    f: FinishedExecution,
  ): void {
    const o = f.outcome;
    const row = {
      id,
      appId: req.appId,
      scriptId: req.script.id,
      scriptName: req.script.name,
      versionId: req.script.versionId,
      version: req.script.version,
      rootId,
      depth,
      trigger: req.trigger,
      entry: req.entry,
      status: o.status as ExecutionStatus,
      httpStatus: req.httpStatus?.(o) ?? null,
      request: req.requestLine ?? null,
      durationMs: Math.round(f.durationMs),
      startedAt,
      error: recordedError(o),
      lateError: f.late ? { name: f.late.status, message: f.late.message ?? f.late.status } : null,
      logs: f.logs,
      logsTruncated: f.logsTruncated,
    };
    this.deps.recorder.record(row);
    this.deps.onFinished?.(req.trigger, o.status, f.durationMs);
    if (this.deps.tail.watching(req.appId)) {
      this.deps.tail.emit({
        type: "execution",
        appId: req.appId,
        execution: toExecutionView({ ...row, depth }),
      });
    }
  }

  /** The source of a version (immutable, so cached by id). */
  /**
   * Evaluates and snapshots `script`'s current version off the request path (SandboxHost.prepare),
   * so its first request finds a sandbox ready.
   */
  async prepare(script: RoutableScript): Promise<void> {
    const [source, modules] = await Promise.all([
      this.source(script.versionId),
      this.moduleSources(script.modules),
    ]);
    const limits = executionLimits(this.deps.config, script.limits);
    await this.deps.sandbox.prepare(
      { versionId: script.versionId, scriptId: script.id, source, isolation: script.isolation, modules },
      limits,
    );
  }

  private async source(versionId: string): Promise<string> {
    const cached = this.sources.get(versionId);
    if (cached !== undefined) return cached;
    const source = await this.deps.scripts.source(versionId);
    if (source === null) throw new Error(`script version ${versionId} vanished`);
    this.sources.set(versionId, source);
    return source;
  }

  /** The pinned modules' sources by import name (each an immutable version, so cached like any source). */
  private async moduleSources(pins: Record<string, string>): Promise<Record<string, string> | undefined> {
    const names = Object.keys(pins);
    if (names.length === 0) return undefined;
    const sources = await Promise.all(names.map((n) => this.source(pins[n]!)));
    return Object.fromEntries(names.map((n, i) => [n, sources[i]!]));
  }

  private appVars(appId: string): Promise<Record<string, string>> {
    let p = this.vars.get(appId);
    if (!p) {
      p = this.deps.db
        .select({ vars: apps.vars })
        .from(apps)
        .where(eq(apps.id, appId))
        .then((rows) => rows[0]?.vars ?? {});
      this.vars.set(appId, p);
      p.catch(() => this.vars.delete(appId));
    }
    return p;
  }
}

function recordedError(o: EntryOutcome): { name: string; message: string; stack?: string } | null {
  switch (o.status) {
    case "ok":
      return null;
    case "error":
      return o.error;
    case "invalid_response":
      return { name: "InvalidResponse", message: o.message };
    case "timeout":
      return { name: "TimeLimit", message: "the script exceeded its time limit" };
    case "memory":
      return { name: "MemoryLimit", message: "the script exceeded its memory limit" };
  }
}
