/** Triggers: bind an event source of an app to one of its handler scripts; they run as the admin who registered them. */
import { and, asc, eq } from "drizzle-orm";
import * as v from "valibot";
import type { Db, DbOrTx } from "../db/client.js";
import { badRequest, notFound } from "../lib/errors.js";
import { optionalIntegerBetween, parseOrThrow } from "../lib/http-validation.js";
import { isUuid, uuidv7 } from "../lib/ids.js";
import { scripts } from "../scripts/schema.js";
import { BACKOFFS, type RetryPolicy, type TriggerConfig, type TriggerKind, triggers } from "./schema.js";
import { triggerConfigSchema } from "./trigger-config.js";

const DAY_MS = 86_400_000;

export const retrySchema = v.strictObject({
  maxAttempts: optionalIntegerBetween(
    1,
    "retry.maxAttempts must be at least 1",
    100,
    "retry.maxAttempts must be at most 100",
  ),
  backoff: v.optional(v.picklist(BACKOFFS, `retry.backoff must be one of ${BACKOFFS.join(", ")}`)),
  delayMs: optionalIntegerBetween(
    0,
    "retry.delayMs must be at least 0",
    DAY_MS,
    "retry.delayMs must be at most a day",
  ),
  maxDelayMs: optionalIntegerBetween(
    0,
    "retry.maxDelayMs must be at least 0",
    7 * DAY_MS,
    "retry.maxDelayMs must be at most a week",
  ),
});

export interface TriggerView {
  id: string;
  appId: string;
  scriptId: string;
  scriptName: string;
  kind: TriggerKind;
  config: TriggerConfig;
  retry: RetryPolicy;
  runAs: string | null;
  enabled: boolean;
  createdAt: string;
}

/** Validates a kind's config; unsupported kinds get a clear 400. */
export function parseTriggerConfig(kind: TriggerKind, config: unknown): TriggerConfig {
  const schema = triggerConfigSchema(kind);
  if (!schema)
    throw badRequest(`trigger kind "${kind}" is not available in this version of PiCloud`, { field: "kind" });
  return parseOrThrow(schema, config ?? {}, `${kind} trigger`);
}

export class Triggers {
  constructor(private readonly db: Db) {}

  async list(appId: string, tx: DbOrTx = this.db): Promise<TriggerView[]> {
    const rows = await tx
      .select({ t: triggers, scriptName: scripts.name })
      .from(triggers)
      .innerJoin(scripts, eq(scripts.id, triggers.scriptId))
      .where(eq(triggers.appId, appId))
      .orderBy(asc(triggers.createdAt), asc(triggers.id));
    return rows.map(({ t, scriptName }) => ({
      id: t.id,
      appId: t.appId,
      scriptId: t.scriptId,
      scriptName,
      kind: t.kind,
      config: t.config,
      retry: t.retry,
      runAs: t.runAs,
      enabled: t.enabled,
      createdAt: t.createdAt.toISOString(),
    }));
  }

  async get(appId: string, id: string): Promise<TriggerView> {
    const found = isUuid(id) ? (await this.list(appId)).find((t) => t.id === id) : undefined;
    if (!found) throw notFound("trigger");
    return found;
  }

  async create(
    appId: string,
    input: {
      scriptId: string;
      kind: TriggerKind;
      config: TriggerConfig;
      retry: RetryPolicy;
      runAs: string | null;
      enabled?: boolean;
    },
    tx: DbOrTx = this.db,
  ): Promise<TriggerView> {
    const [script] = await tx
      .select({ kind: scripts.kind })
      .from(scripts)
      .where(and(eq(scripts.id, input.scriptId), eq(scripts.appId, appId)));
    if (!script) throw notFound("script");
    if (script.kind !== "handler")
      throw badRequest("triggers can point only at handler scripts, not modules", { field: "script" });
    const id = uuidv7();
    await tx.insert(triggers).values({ id, appId, ...input });
    return (await this.list(appId, tx)).find((t) => t.id === id)!;
  }

  async update(
    appId: string,
    id: string,
    patch: { enabled?: boolean; config?: TriggerConfig; retry?: RetryPolicy },
  ): Promise<TriggerView> {
    if (!isUuid(id)) throw notFound("trigger");
    const rows = await this.db
      .update(triggers)
      .set(patch)
      .where(and(eq(triggers.id, id), eq(triggers.appId, appId)))
      .returning({ id: triggers.id });
    if (rows.length === 0) throw notFound("trigger");
    return this.get(appId, id);
  }

  async remove(appId: string, id: string, tx: DbOrTx = this.db): Promise<void> {
    if (!isUuid(id)) throw notFound("trigger");
    const gone = await tx
      .delete(triggers)
      .where(and(eq(triggers.id, id), eq(triggers.appId, appId)))
      .returning({ id: triggers.id });
    if (gone.length === 0) throw notFound("trigger");
  }
}
