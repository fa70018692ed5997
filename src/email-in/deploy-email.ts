/**
 * The deploy step for picloud.toml `[email]`: when the manifest has an `email`
 * section, the app's inbound addresses and domains become exactly those.
 */
import type { Tx } from "../db/client.js";
import { parseOrThrow } from "../lib/http-validation.js";
import type { DeployStep, PlannedChange } from "../scripts/deploy.js";
import type { DeployManifest } from "../scripts/schemas.js";
import { emailClaimsSchema } from "./addresses.js";
import type { EmailClaims } from "./claims.js";

export function emailDeployStep(claims: EmailClaims): DeployStep {
  return {
    topics: ["email"],
    async reconcile(
      tx: Tx,
      appId: string,
      manifest: DeployManifest,
      _scripts,
      _actor,
      changes: PlannedChange[],
    ) {
      // Without inbound keys (no `[email]` section; the manifest may still carry senders) the
      // server's addresses and domains are kept.
      const email = manifest.email;
      if (!email || (email.addresses === undefined && email.domains === undefined)) return;
      const wanted = parseOrThrow(
        emailClaimsSchema,
        { addresses: email.addresses ?? [], domains: email.domains ?? [] },
        "email",
      );
      const { added, removed } = await claims.set(appId, wanted, tx);
      for (const name of added) changes.push({ action: "create", kind: "email", name });
      for (const name of removed) changes.push({ action: "delete", kind: "email", name });
    },
  };
}
