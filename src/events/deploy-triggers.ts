/**
 * The deploy step for triggers (picloud.toml `triggers = [...]`): each deployed
 * script's triggers become exactly the manifest's, matched by kind, config and
 * retry policy; new ones run as the deploying admin.
 */

import * as v from "valibot";
import type { Tx } from "../db/client.js";
import { parseOrThrow } from "../lib/http-validation.js";
import type { DeployStep, PlannedChange } from "../scripts/deploy.js";
import type { DeployManifest } from "../scripts/schemas.js";
import type { ScriptView } from "../scripts/scripts.js";
import { TRIGGER_KINDS, type TriggerKind } from "./schema.js";
import { parseTriggerConfig, retrySchema, type Triggers } from "./triggers.js";

const kindSchema = v.picklist(TRIGGER_KINDS, `triggers: kind must be one of ${TRIGGER_KINDS.join(", ")}`);

const keyOf = (t: { kind: string; config: unknown; retry: unknown }) =>
  JSON.stringify([t.kind, sortKeys(t.config), sortKeys(t.retry)]);

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v2]) => [k, sortKeys(v2)]),
    );
  }
  return value;
}

function describe(kind: string, config: Record<string, unknown>): string {
  const what = config.collection ?? config.source ?? config.topic ?? config.schedule ?? "";
  return `${kind}${what ? ` ${String(what)}` : ""}`;
}

export function triggersDeployStep(triggers: Triggers): DeployStep {
  return {
    topics: ["triggers"],
    async reconcile(
      tx: Tx,
      appId: string,
      manifest: DeployManifest,
      scripts: Map<string, ScriptView>,
      actorId: string | null,
      changes: PlannedChange[],
    ) {
      const existing = await triggers.list(appId, tx);
      const deployedIds = new Set([...scripts.values()].map((s) => s.id));
      const desired = manifest.scripts.flatMap((s) =>
        s.triggers.map((t) => {
          const kind = parseOrThrow(kindSchema, t.kind, "trigger") as TriggerKind;
          return {
            script: scripts.get(s.name)!,
            kind,
            config: parseTriggerConfig(kind, t.config),
            retry: parseOrThrow(retrySchema, t.retry, `${kind} trigger retry`),
          };
        }),
      );
      const want = new Set(desired.map((d) => `${d.script.id} ${keyOf(d)}`));
      const kept = new Set<string>();
      for (const t of existing) {
        if (!deployedIds.has(t.scriptId)) continue;
        const key = `${t.scriptId} ${keyOf(t)}`;
        if (want.has(key) && !kept.has(key)) {
          kept.add(key);
          continue;
        }
        await triggers.remove(appId, t.id, tx);
        changes.push({
          action: "delete",
          kind: "trigger",
          name: describe(t.kind, t.config),
          detail: t.scriptName,
        });
      }
      for (const d of desired) {
        const key = `${d.script.id} ${keyOf(d)}`;
        if (kept.has(key)) continue;
        kept.add(key);
        await triggers.create(
          appId,
          { scriptId: d.script.id, kind: d.kind, config: d.config, retry: d.retry, runAs: actorId },
          tx,
        );
        changes.push({
          action: "create",
          kind: "trigger",
          name: describe(d.kind, d.config),
          detail: d.script.name,
        });
      }
    },
  };
}
