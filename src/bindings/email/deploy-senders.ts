/**
 * The deploy step for `[email] senders`: when the manifest carries them, the
 * app's allowed senders become exactly those (as vars and topics do).
 */
import type { Tx } from "../../db/client.js";
import { parseOrThrow } from "../../lib/http-validation.js";
import type { DeployStep, PlannedChange } from "../../scripts/deploy.js";
import type { DeployManifest } from "../../scripts/schemas.js";
import { sendersSchema } from "./message.js";
import type { EmailService } from "./service.js";

export function emailSendersDeployStep(email: EmailService): DeployStep {
  return {
    topics: [],
    async reconcile(tx: Tx, appId: string, manifest: DeployManifest, _s, _a, changes: PlannedChange[]) {
      const wanted = manifest.email?.senders;
      if (wanted === undefined) return;
      const senders = parseOrThrow(sendersSchema, wanted, "email.senders");
      if (await email.setSenders(appId, senders, tx))
        changes.push({
          action: "update",
          kind: "email",
          name: "senders",
          detail: senders.length ? senders.join(", ") : "none",
        });
    },
  };
}
