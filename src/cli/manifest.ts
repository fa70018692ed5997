/**
 * Turns a parsed picloud.toml into the deploy manifest the server applies
 * (`POST /apps/{slug}/deploy`): each script bundled, its routes, its triggers
 * (`crons` become triggers of kind `cron`), the app's vars. Used by
 * `picloud deploy` over HTTP and by deploy-on-start in-process.
 */
import type * as v from "valibot";
import type { Project } from "../config/project.js";
import type { CronRetry, ProjectCron, ProjectTrigger } from "../config/project-later.js";
import type { deployBody } from "../scripts/schemas.js";
import { bundleScript } from "./bundle.js";

/** The manifest as sent (the server fills in defaults when it validates it). */
export type DeployManifestInput = v.InferInput<typeof deployBody>;

export interface BuiltManifest {
  manifest: DeployManifestInput;
  /** Bundle size per script name, in bytes. */
  sizes: Record<string, number>;
}

/** A trigger's or cron's retry keys (snake_case) → the manifest's `retry` (camelCase). */
function retryOf(t: CronRetry): Record<string, unknown> {
  const retry: Record<string, unknown> = {};
  if (t.max_attempts !== undefined) retry.maxAttempts = t.max_attempts;
  if (t.backoff !== undefined) retry.backoff = t.backoff;
  if (t.delay_ms !== undefined) retry.delayMs = t.delay_ms;
  if (t.max_delay_ms !== undefined) retry.maxDelayMs = t.max_delay_ms;
  return retry;
}

/** picloud.toml's trigger table → the manifest's `{kind, config, retry}`. */
function triggerEntry(t: ProjectTrigger): {
  kind: string;
  config: Record<string, unknown>;
  retry: Record<string, unknown>;
} {
  const { kind, max_attempts, backoff, delay_ms, max_delay_ms, ...config } = t as ProjectTrigger & CronRetry;
  const cleaned = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  return { kind, config: cleaned, retry: retryOf({ max_attempts, backoff, delay_ms, max_delay_ms }) };
}

/** A `crons` entry → a `cron` trigger; unset timezone, catch-up and retry take the server's defaults. */
function cronEntry(c: ProjectCron): {
  kind: string;
  config: Record<string, unknown>;
  retry: Record<string, unknown>;
} {
  const config: Record<string, unknown> = { schedule: c.schedule };
  if (c.timezone !== null) config.timezone = c.timezone;
  if (c.catchup !== null) config.catchup = c.catchup;
  return { kind: "cron", config, retry: retryOf(c.retry) };
}

export async function buildManifest(
  project: Project,
  opts: { dryRun?: boolean; minify?: boolean } = {},
): Promise<BuiltManifest> {
  const modules = project.scripts.filter((s) => s.kind === "module").map((s) => s.name);
  const sizes: Record<string, number> = {};
  const scripts: DeployManifestInput["scripts"] = [];
  // One at a time: esbuild is fast, and a Pi has few cores to share with the daemon.
  for (const s of project.scripts) {
    const source = await bundleScript(s.main, {
      projectDir: project.dir,
      modules: modules.filter((m) => m !== s.name),
      minify: opts.minify,
    });
    sizes[s.name] = Buffer.byteLength(source);
    scripts.push({
      name: s.name,
      kind: s.kind,
      source,
      isolation: s.isolation,
      limits: s.limits,
      routes: s.routes.map((r) => ({ methods: r.methods, path: r.path, host: r.host, dispatch: r.dispatch })),
      triggers: [
        ...s.crons.map(cronEntry),
        ...s.triggers.map(triggerEntry),
        // `[email] handler = "<name>"`: this script receives all of the app's mail.
        ...(project.email?.handler === s.name
          ? [{ kind: "email", config: { address: "*" }, retry: {} }]
          : []),
      ],
    });
  }
  return {
    manifest: {
      dryRun: opts.dryRun ?? false,
      name: project.name,
      vars: project.vars,
      scripts,
      // The file is the truth for topics as for vars: listed ones are set, others removed.
      topics: project.topics.map((t) => ({
        name: t.name,
        external: t.external,
        auth: t.auth,
        ...(t.role ? { role: t.role } : {}),
      })),
      // Outbound senders: none listed, none allowed. Inbound addresses only with an `[email]`
      // section: then the file is the truth for them.
      email: {
        senders: project.email?.senders ?? [],
        ...(project.email ? { addresses: project.email.addresses, domains: project.email.domains } : {}),
      },
      // `[users]` as written; absent: the defaults (built-in endpoints off).
      users: project.users ?? {},
    },
    sizes,
  };
}
