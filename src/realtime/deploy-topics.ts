/**
 * The deploy step for `[[topics]]`: when the manifest lists topics, the app's
 * topics become exactly those (created, changed or removed), like its vars.
 */
import type { Tx } from "../db/client.js";
import { parseOrThrow } from "../lib/http-validation.js";
import type { DeployStep, PlannedChange } from "../scripts/deploy.js";
import type { DeployManifest } from "../scripts/schemas.js";
import { type Topics, topicNameSchema, topicSettingsSchema } from "./topics.js";

export function topicsDeployStep(topics: Topics): DeployStep {
  return {
    topics: ["topics"],
    async reconcile(
      tx: Tx,
      appId: string,
      manifest: DeployManifest,
      _scripts,
      _actor,
      changes: PlannedChange[],
    ) {
      if (!manifest.topics) return;
      const wanted = manifest.topics.map((t) => ({
        name: parseOrThrow(topicNameSchema, t.name, "topic"),
        ...parseOrThrow(
          topicSettingsSchema,
          { external: t.external, auth: t.auth, role: t.role ?? null },
          `topic ${t.name}`,
        ),
      }));
      const existing = new Map((await topics.list(appId, tx)).map((t) => [t.name, t]));
      for (const t of wanted) {
        const cur = existing.get(t.name);
        existing.delete(t.name);
        if (cur && cur.external === t.external && cur.auth === t.auth && cur.role === t.role) continue;
        await topics.put(appId, t.name, { external: t.external, auth: t.auth, role: t.role }, tx);
        changes.push({
          action: cur ? "update" : "create",
          kind: "topic",
          name: t.name,
          detail: `${t.external ? "external" : "internal"}, auth ${t.auth}${t.role ? `, role ${t.role}` : ""}`,
        });
      }
      for (const name of existing.keys()) {
        await topics.remove(appId, name, tx);
        changes.push({ action: "delete", kind: "topic", name });
      }
    },
  };
}
