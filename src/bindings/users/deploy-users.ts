/**
 * The deploy step for `[users]`: the app's end-user settings become exactly
 * what the manifest says (an absent section: the defaults, endpoints off).
 */
import type { Tx } from "../../db/client.js";
import { parseOrThrow } from "../../lib/http-validation.js";
import type { DeployStep, PlannedChange } from "../../scripts/deploy.js";
import type { DeployManifest } from "../../scripts/schemas.js";
import type { UsersService } from "./service.js";
import { usersSectionSchema } from "./settings-input.js";

export function usersDeployStep(users: UsersService): DeployStep {
  return {
    topics: [],
    async reconcile(tx: Tx, appId: string, manifest: DeployManifest, _s, _a, changes: PlannedChange[]) {
      if (manifest.users === undefined) return;
      const section = parseOrThrow(usersSectionSchema, manifest.users, "users");
      const settings = {
        endpoints: section.endpoints,
        linkBaseUrl: section.link_base_url ?? null,
        mailFrom: section.from ?? null,
        templates: section.templates,
      };
      if (await users.setSettings(appId, settings, tx))
        changes.push({
          action: "update",
          kind: "users",
          name: "settings",
          detail: `endpoints ${settings.endpoints ? "on" : "off"}`,
        });
    },
  };
}
