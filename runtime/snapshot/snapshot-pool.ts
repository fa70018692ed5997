/**
 * The pools of snapshot sandboxes, one per script version: an execution
 * leases an idle sandbox of its version (or one is made for it), and on
 * release the sandbox is restored and waits for the next. A pool grows with
 * demand (the concurrency gate bounds it), idle sandboxes are evicted after
 * `idleMs`, the least recently used first when all of them together pass the
 * memory budget, and a script's new version drops its old version's sandboxes.
 * Versions that cannot be snapshotted, and `isolation = "script"`, are served
 * by the classic pool.
 */
import type { ContextPool } from "../context-pool.js";
import type { ExecutionHost, Release } from "../execution-host.js";
import type { ExecutionJob, SandboxLogger, ScriptSource } from "../execution-types.js";
import type { GuestContext } from "../guest-context.js";
import { hostCalls } from "../host-ops.js";
import type { Dispatch } from "../prelude-realm.js";
import { loadPrelude } from "../prelude-source.js";
import { quickJSBuild } from "../quickjs-build.js";
import { NotSnapshottable, SnapshotSandbox } from "./snapshot-sandbox.js";

/** A sandbox that grew its heap by more than this in one execution is replaced rather than restored. */
const MAX_KEPT_GROWTH_BYTES = 16 * 1024 * 1024;
/** Versions remembered as not snapshottable (oldest forgotten first). */
const MAX_CLASSIC_VERSIONS = 4096;

/** The limits a version's top-level code is evaluated under. */
export interface PrepareLimits {
  wallTimeMs: number;
  memoryBytes: number;
  stackBytes: number;
}

export interface SnapshotPoolOptions {
  logger: SandboxLogger | undefined;
  watch: Float64Array | null;
  /** Hard cap of each sandbox's wasm memory. */
  maxHeapBytes: number;
  /** All sandboxes together stay under this (idle ones are evicted, least recently used first). */
  memoryBudgetBytes: number;
  /** An idle sandbox is evicted after this long without an execution. */
  idleMs: number;
  /**
   * Executions of a version that run the classic way before it gets a sandbox, prepared in the
   * background (also whenever all its sandboxes are busy). 0: the first execution prepares one
   * on its own request path.
   */
  snapshotAfter: number;
}

interface VersionPool {
  scriptId: string | undefined;
  /** What the sandboxes evaluated (a version id is immutable in production; tests reuse them). */
  source: string;
  modules: Record<string, string> | undefined;
  /** Idle sandboxes, least recently used first. */
  idle: SnapshotSandbox[];
  leased: number;
  /** A sandbox is being prepared in the background. */
  preparing: boolean;
  /** Executions that found no idle sandbox (the first ones run the classic way; see snapshotAfter). */
  executions: number;
  /** A newer version of the script took over: leased sandboxes are dropped when released. */
  retired: boolean;
}

export interface SnapshotPoolStats {
  snapshotSandboxes: number;
  snapshotIdle: number;
  snapshotBytes: number;
  snapshotsTaken: number;
  snapshotRestores: number;
  snapshotEvictions: number;
  classicVersions: number;
}

function sameCode(pool: VersionPool, script: ScriptSource): boolean {
  if (pool.source !== script.source) return false;
  const a = pool.modules ?? {};
  const b = script.modules ?? {};
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => a[name] === b[name]);
}

export class SnapshotPool implements ExecutionHost {
  readonly logger: SandboxLogger | undefined;
  readonly #dispatch: Dispatch;
  /** By version, least recently used first. */
  readonly #versions = new Map<string, VersionPool>();
  readonly #byContext = new WeakMap<GuestContext, SnapshotSandbox>();
  /** The pool each leased sandbox goes back to. */
  readonly #poolOf = new Map<SnapshotSandbox, VersionPool>();
  /** Bytes each live sandbox was last counted with. */
  readonly #counted = new Map<SnapshotSandbox, number>();
  #bytes = 0;
  /** versionId → why it runs the classic way. */
  readonly #classicVersions = new Map<string, string>();
  /** Set when snapshots cannot work in this process at all (every version runs the classic way). */
  #disabled: string | null = null;
  #disposed = false;
  #taken = 0;
  #restores = 0;
  #evictions = 0;
  readonly #sweeper: NodeJS.Timeout;

  constructor(
    private readonly classic: ContextPool,
    private readonly opts: SnapshotPoolOptions,
  ) {
    this.logger = opts.logger;
    this.#dispatch = hostCalls(opts.logger);
    const every = Math.max(1_000, Math.min(30_000, Math.floor(opts.idleMs / 4)));
    this.#sweeper = setInterval(() => this.evictIdle(), every);
    this.#sweeper.unref();
  }

  async acquire(job: ExecutionJob): Promise<GuestContext> {
    const script = job.script;
    if (
      this.#disabled !== null ||
      script.isolation === "script" ||
      this.#classicVersions.has(script.versionId)
    )
      return this.classic.acquire(job);
    const pool = this.#pool(script);
    let sandbox = pool.idle.pop();
    while (sandbox && !sandbox.alive) {
      this.#forget(sandbox);
      sandbox = pool.idle.pop();
    }
    if (!sandbox) {
      pool.executions++;
      // A version seen for the first times, or busier than its sandboxes right now, runs the
      // classic way while a sandbox is prepared after this turn: preparing costs tens of ms, which
      // a one-off script would pay for nothing and a request should not wait for.
      if (this.opts.snapshotAfter > 0) {
        if (pool.executions >= this.opts.snapshotAfter && !pool.preparing) {
          const limits = job.limits;
          setImmediate(() => void this.prepare(script, limits, true));
        }
        return this.classic.acquire(job);
      }
      pool.leased++;
      try {
        sandbox = await this.#create(job);
      } catch (error) {
        pool.leased--;
        this.#toClassic(script, error);
        return this.classic.acquire(job);
      }
    } else pool.leased++;
    sandbox.busy = true;
    this.#poolOf.set(sandbox, pool);
    return sandbox.context;
  }

  /**
   * Makes a sandbox for `script` ahead of its first execution (after a deploy, at start), unless
   * its version already has one or runs the classic way. Never throws.
   */
  async prepare(script: ScriptSource, limits: PrepareLimits, more = false): Promise<void> {
    if (
      this.#disabled !== null ||
      script.isolation === "script" ||
      this.#classicVersions.has(script.versionId)
    )
      return;
    const pool = this.#pool(script);
    // `more`: demand outgrew the version's sandboxes; otherwise one is enough ahead of time.
    // Checked when the preparation runs, not when it was asked for: a sandbox freed meanwhile
    // already meets the demand (else every miss while one is prepared would add a sandbox).
    if (pool.preparing || pool.idle.length > 0 || (!more && pool.leased > 0)) return;
    pool.preparing = true;
    let sandbox: SnapshotSandbox | undefined;
    try {
      sandbox = await this.#create({ script, limits });
    } catch (error) {
      this.#toClassic(script, error);
    } finally {
      pool.preparing = false;
    }
    if (!sandbox) return;
    // Retired, or dropped from the pools meanwhile (the host was disposed): nobody would use it.
    if (pool.retired || this.#disposed || this.#versions.get(script.versionId) !== pool) {
      this.#forget(sandbox);
      return;
    }
    sandbox.lastUsed = performance.now();
    pool.idle.push(sandbox);
    this.#enforceBudget();
  }

  async #create(job: { script: ScriptSource; limits: PrepareLimits }): Promise<SnapshotSandbox> {
    const [prelude] = await Promise.all([loadPrelude(), quickJSBuild()]);
    const sandbox = await SnapshotSandbox.create({
      script: job.script,
      prelude,
      dispatch: this.#dispatch,
      logger: this.logger,
      // The module's own heap plus room for an execution's budget, whatever the script's limit.
      maxHeapBytes: Math.min(
        2 * 1024 ** 3,
        Math.max(this.opts.maxHeapBytes, 2 * job.limits.memoryBytes + 64 * 1024 * 1024),
      ),
      watch: this.opts.watch,
      wallTimeMs: job.limits.wallTimeMs,
      memoryBytes: job.limits.memoryBytes,
      stackBytes: job.limits.stackBytes,
    });
    this.#taken++;
    this.#byContext.set(sandbox.context, sandbox);
    this.#count(sandbox);
    return sandbox;
  }

  /** Remembers that `script` runs the classic way, and says why once. */
  #toClassic(script: ScriptSource, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    if (!(error instanceof NotSnapshottable)) {
      // Not the script's doing (no guest code ran): snapshots do not work in this process.
      this.#disabled = reason;
      this.logger?.error({ err: reason }, "sandbox: snapshots are off; every script runs in a fresh context");
      return;
    }
    this.#classicVersions.set(script.versionId, reason);
    if (this.#classicVersions.size > MAX_CLASSIC_VERSIONS)
      this.#classicVersions.delete(this.#classicVersions.keys().next().value!);
    this.logger?.warn(
      { versionId: script.versionId, reason },
      `sandbox: this script version runs without a snapshot (a fresh context and a compile per execution) because ${reason}; move that code into a handler to make it fast`,
    );
  }

  /** The version's pool, now the most recently used; a new version of a script retires the old ones. */
  #pool(script: ScriptSource): VersionPool {
    let pool = this.#versions.get(script.versionId);
    if (pool && sameCode(pool, script)) {
      this.#versions.delete(script.versionId);
      this.#versions.set(script.versionId, pool);
      return pool;
    }
    if (pool) this.#retire(script.versionId, pool);
    if (script.scriptId !== undefined)
      for (const [versionId, other] of this.#versions)
        if (other.scriptId === script.scriptId) this.#retire(versionId, other);
    pool = {
      scriptId: script.scriptId,
      source: script.source,
      modules: script.modules,
      idle: [],
      leased: 0,
      preparing: false,
      executions: 0,
      retired: false,
    };
    this.#versions.set(script.versionId, pool);
    return pool;
  }

  /** Drops a pool's idle sandboxes; its leased ones are dropped when released. */
  #retire(versionId: string, pool: VersionPool): void {
    pool.retired = true;
    for (const sandbox of pool.idle.splice(0)) this.#forget(sandbox);
    this.#versions.delete(versionId);
  }

  release(context: GuestContext, job: ExecutionJob, how: Release): void {
    const sandbox = this.#byContext.get(context);
    if (!sandbox) {
      this.classic.release(context, job, how);
      return;
    }
    sandbox.busy = false;
    const pool = this.#poolOf.get(sandbox);
    this.#poolOf.delete(sandbox);
    if (pool) pool.leased--;
    let keep = !how.crashed && sandbox.alive && pool !== undefined && !pool.retired;
    // Memory cannot shrink: a sandbox an execution made big is replaced, so its memory can go.
    if (keep && sandbox.growth > MAX_KEPT_GROWTH_BYTES) keep = false;
    if (keep) {
      try {
        sandbox.restore();
        this.#restores++;
      } catch (error) {
        keep = false;
        this.logger?.error(
          { err: String(error) },
          "sandbox: restoring a snapshot failed; the sandbox is replaced",
        );
      }
    }
    if (!keep || !pool) {
      this.#forget(sandbox);
      return;
    }
    sandbox.lastUsed = performance.now();
    pool.idle.push(sandbox);
    this.#count(sandbox);
    this.#enforceBudget();
  }

  #count(sandbox: SnapshotSandbox): void {
    const bytes = sandbox.bytes;
    this.#bytes += bytes - (this.#counted.get(sandbox) ?? 0);
    this.#counted.set(sandbox, bytes);
  }

  /** Drops a sandbox that is not in any idle list (its memory goes with the garbage collector). */
  #forget(sandbox: SnapshotSandbox): void {
    this.#bytes -= this.#counted.get(sandbox) ?? 0;
    this.#counted.delete(sandbox);
    sandbox.drop();
  }

  /** Evicts idle sandboxes, least recently used version first, until all fit the budget. */
  #enforceBudget(): void {
    if (this.#bytes <= this.opts.memoryBudgetBytes) return;
    for (const [versionId, pool] of this.#versions) {
      while (pool.idle.length > 0 && this.#bytes > this.opts.memoryBudgetBytes) {
        this.#forget(pool.idle.shift()!);
        this.#evictions++;
      }
      if (pool.idle.length === 0 && pool.leased === 0 && !pool.preparing) this.#versions.delete(versionId);
      if (this.#bytes <= this.opts.memoryBudgetBytes) return;
    }
  }

  /** Evicts sandboxes idle for longer than idleMs (also run by a timer). */
  evictIdle(now = performance.now()): void {
    for (const [versionId, pool] of this.#versions) {
      while (pool.idle.length > 0 && now - pool.idle[0]!.lastUsed >= this.opts.idleMs) {
        this.#forget(pool.idle.shift()!);
        this.#evictions++;
      }
      if (pool.idle.length === 0 && pool.leased === 0 && !pool.preparing) this.#versions.delete(versionId);
    }
  }

  /** Why `versionId` runs the classic way (undefined: it is snapshotted, or not seen yet). */
  classicReason(versionId: string): string | undefined {
    return this.#disabled ?? this.#classicVersions.get(versionId);
  }

  stats(): SnapshotPoolStats {
    let sandboxes = 0;
    let idle = 0;
    for (const pool of this.#versions.values()) {
      sandboxes += pool.idle.length + pool.leased;
      idle += pool.idle.length;
    }
    return {
      snapshotSandboxes: sandboxes,
      snapshotIdle: idle,
      snapshotBytes: this.#bytes,
      snapshotsTaken: this.#taken,
      snapshotRestores: this.#restores,
      snapshotEvictions: this.#evictions,
      classicVersions: this.#classicVersions.size,
    };
  }

  dispose(): void {
    this.#disposed = true;
    clearInterval(this.#sweeper);
    for (const pool of this.#versions.values())
      for (const sandbox of pool.idle.splice(0)) this.#forget(sandbox);
    this.#versions.clear();
  }
}
