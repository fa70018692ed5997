/**
 * The body of one sandbox thread: a whole in-process SandboxHost (QuickJS
 * module, context pools, limits) that runs the executions the main thread
 * sends. A binding or fetch call of a guest is posted to the main thread and
 * its reply settles the guest's promise; console lines, the result and the
 * finished record are posted back. The main thread's gate decides how much
 * runs, so this thread's own gate never refuses.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ExecutionJob, HostMethod, HostRequest, HostResponse, HostValue } from "../index.js";
import { createSandboxHost, HostCallError } from "../index.js";
import type { FromThread, ThreadData, ToThread, WireError, WireJob } from "./protocol.js";

const port = parentPort!;
const data = workerData as ThreadData;
const post = (message: FromThread) => port.postMessage(message);

const host = createSandboxHost({
  // This thread's share of the work sizes its pools and heap cap; the main thread's gate decides
  // what runs, so this thread's own gate never refuses.
  maxConcurrent: data.maxConcurrent,
  gateSize: 1_000_000,
  maxHeapBytes: data.maxHeapBytes,
  snapshots: data.snapshots,
  sandboxMemoryBytes: data.sandboxMemoryBytes,
  sandboxIdleMs: data.sandboxIdleMs,
  watch: new Float64Array(data.watch),
  logger: {
    warn: (obj, msg) => post({ type: "logger", level: "warn", obj: plain(obj), msg }),
    error: (obj, msg) => post({ type: "logger", level: "error", obj: plain(obj), msg }),
  },
});

/**
 * Script sources by version id (immutable), so a busy version crosses the thread boundary once.
 * Oldest first out past SOURCE_CHARS; the main thread then sends a source again on request.
 */
const SOURCE_CHARS = 32 * 1024 * 1024;
const sources = new Map<string, { source: string; modules?: Record<string, string>; chars: number }>();
let sourceChars = 0;

function keepSource(versionId: string, source: string, modules?: Record<string, string>): void {
  const old = sources.get(versionId);
  if (old) {
    sources.delete(versionId);
    sourceChars -= old.chars;
  }
  const chars = source.length + Object.values(modules ?? {}).reduce((n, m) => n + m.length, 0);
  sources.set(versionId, { source, modules, chars });
  sourceChars += chars;
  for (const [key, entry] of sources) {
    if (sourceChars <= SOURCE_CHARS) break;
    sources.delete(key);
    sourceChars -= entry.chars;
  }
}
/** Jobs waiting for their source (the main thread guessed this thread had it). */
const waiting = new Map<number, WireJob>();
/** Host calls in flight: their settle functions by call id. */
const calls = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let nextCallId = 1;

port.on("message", (message: ToThread) => {
  switch (message.type) {
    case "start": {
      const { job } = message;
      if (job.script.source !== undefined) {
        keepSource(job.script.versionId, job.script.source, job.script.modules);
        run(message.id, job, job.script.source, job.script.modules);
      } else {
        const known = sources.get(job.script.versionId);
        if (known) run(message.id, job, known.source, known.modules);
        else {
          waiting.set(message.id, job);
          post({ type: "need-source", id: message.id });
        }
      }
      return;
    }
    case "source": {
      const job = waiting.get(message.id);
      waiting.delete(message.id);
      keepSource(job!.script.versionId, message.source, message.modules);
      run(message.id, job!, message.source, message.modules);
      return;
    }
    case "reply": {
      const call = calls.get(message.callId);
      calls.delete(message.callId);
      if (!call) return;
      if (message.ok) call.resolve(message.value);
      else call.reject(guestError(message.error));
      return;
    }
    case "prepare":
      keepSource(message.script.versionId, message.script.source, message.script.modules);
      host.prepare(message.script, message.limits).then(
        () => post({ type: "warmed", requestId: message.requestId, stats: host.stats() }),
        () => post({ type: "warmed", requestId: message.requestId, stats: host.stats() }),
      );
      return;
    case "warm":
      host.warm(message.count).then(
        () => post({ type: "warmed", requestId: message.requestId, stats: host.stats() }),
        () => post({ type: "warmed", requestId: message.requestId, stats: host.stats() }),
      );
      return;
  }
});

function run(id: number, wire: WireJob, source: string, modules: Record<string, string> | undefined): void {
  const { bindings, hasFetch, hasOnLog, ...rest } = wire;
  const job: ExecutionJob = {
    ...rest,
    script: { ...wire.script, source, modules },
    bindings: bindings.map((b) => ({
      name: b.name,
      guestSource: b.guestSource,
      methods: Object.fromEntries(b.methods.map((m) => [m, remote(id, b.name, m)])),
    })),
    fetch: hasFetch
      ? (request, signal) =>
          remote(id, null, "fetch")([request as never], signal) as Promise<unknown> as Promise<HostResponse>
      : undefined,
    onLog: hasOnLog ? (line) => post({ type: "log", id, line }) : undefined,
  };
  const permit = host.gate.tryAcquire()!;
  const running = host.start(job, permit);
  // Most executions finish in the same turn as their result: then one message carries both, so the
  // main thread never sees a response whose execution (record, permit) is not over yet.
  let over = false;
  running.finished.then((finished) => {
    over = true;
    post({ type: "finished", id, finished, stats: host.stats() });
  });
  running.result.then((outcome) =>
    setImmediate(() => {
      if (!over) post({ type: "result", id, outcome });
    }),
  );
}

/** A host method that runs on the main thread. */
function remote(id: number, binding: string | null, method: string): HostMethod {
  return (args: HostValue[] | [HostRequest], signal: AbortSignal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason ?? new Error("aborted"));
        return;
      }
      const callId = nextCallId++;
      // One listener per call on the execution's signal, removed when the call settles: a script
      // making thousands of calls must not pile them up.
      const onAbort = () => {
        if (!calls.delete(callId)) return;
        post({ type: "cancel", callId });
        reject(signal.reason ?? new Error("aborted"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const settled = () => signal.removeEventListener("abort", onAbort);
      calls.set(callId, {
        resolve: (value) => {
          settled();
          resolve(value as HostValue);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      });
      post({ type: "call", id, callId, binding, method, args });
    });
}

function guestError(error: WireError): Error {
  if ("guestName" in error) return new HostCallError(error.guestName, error.message);
  return new Error(error.internal);
}

/** Logger fields made cloneable (errors and functions do not cross threads as they are). */
function plain(obj: object): object {
  try {
    return JSON.parse(JSON.stringify(obj)) as object;
  } catch {
    return { detail: String(obj) };
  }
}
