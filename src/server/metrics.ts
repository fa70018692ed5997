/**
 * Prometheus metrics (`GET /metrics`): process defaults, HTTP requests by area
 * and status class, executions by trigger and status with their durations, and
 * the sandbox gate. One registry per process (per test instance), never the
 * global one.
 */
import type { MiddlewareHandler } from "hono";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { SandboxHost } from "../../runtime/index.js";

export class Metrics {
  readonly registry = new Registry();
  private readonly httpRequests = new Counter({
    name: "picloud_http_requests_total",
    help: "HTTP requests answered, by area (admin, dataplane, other) and status class",
    labelNames: ["area", "status"] as const,
    registers: [this.registry],
  });
  private readonly executions = new Counter({
    name: "picloud_executions_total",
    help: "Finished executions by trigger and status",
    labelNames: ["trigger", "status"] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: "picloud_execution_duration_seconds",
    help: "Execution wall time",
    labelNames: ["trigger"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly email = new Counter({
    name: "picloud_email_messages_total",
    help: "Outbound e-mail: messages queued by env.email.send, and delivery attempts sent, retried or failed, by transport",
    labelNames: ["outcome", "transport"] as const,
    registers: [this.registry],
  });

  constructor(sandbox: SandboxHost, opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "picloud_" });
    new Gauge({
      name: "picloud_sandbox_slots_in_use",
      help: "Concurrency gate slots held by running executions",
      registers: [this.registry],
      collect() {
        this.set(sandbox.gate.inUse);
      },
    });
    new Gauge({
      name: "picloud_sandbox_slots_waiting",
      help: "Background executions waiting for a slot",
      registers: [this.registry],
      collect() {
        this.set(sandbox.gate.waiting);
      },
    });
    new Gauge({
      name: "picloud_sandbox_wasm_bytes",
      help: "Size of the QuickJS WebAssembly memory (grows, never shrinks)",
      registers: [this.registry],
      collect() {
        this.set(sandbox.stats().wasmBytes);
      },
    });
    const snapshotGauges = [
      ["picloud_sandbox_snapshots", "Snapshot sandboxes (idle and leased)", "snapshotSandboxes"],
      ["picloud_sandbox_snapshot_bytes", "Memory held by snapshot sandboxes (estimate)", "snapshotBytes"],
      ["picloud_sandbox_snapshots_taken", "Snapshot sandboxes prepared since start", "snapshotsTaken"],
      [
        "picloud_sandbox_snapshot_evictions",
        "Snapshot sandboxes evicted (idle time, memory budget)",
        "snapshotEvictions",
      ],
      ["picloud_sandbox_classic_versions", "Script versions that run without a snapshot", "classicVersions"],
    ] as const;
    for (const [name, help, key] of snapshotGauges)
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(sandbox.stats()[key] ?? 0);
        },
      });
  }

  executionFinished(trigger: string, status: string, durationMs: number): void {
    this.executions.inc({ trigger, status });
    this.duration.observe({ trigger }, durationMs / 1000);
  }

  emailOutcome(outcome: "queued" | "sent" | "retried" | "failed", transport: string): void {
    this.email.inc({ outcome, transport });
  }

  /** Counts every answered request; cheap enough for the data plane's hot path. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      await next();
      const p = c.req.path;
      const area = p.startsWith("/api/v1/admin")
        ? "admin"
        : p === "/metrics" || p.startsWith("/healthz") || p.startsWith("/readyz")
          ? "other"
          : "dataplane";
      this.httpRequests.inc({ area, status: `${Math.floor(c.res.status / 100)}xx` });
    };
  }
}
