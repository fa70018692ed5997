/**
 * Moves secrets and realtime signing keys to the current master key: plaintext
 * signing keys from before encryption, and everything under
 * PICLOUD_SECRET_KEY_PREVIOUS during a rotation. Row by row with guards, so it
 * resumes after an interruption and may run in several processes at once. Run
 * at every daemon start and on request (`picloud admin rotate-secret-key`).
 */
import type { SecretsService } from "../bindings/secrets/service.js";
import type { SubscriberTokens } from "../realtime/subscriber-tokens.js";

export interface RotationResult {
  secrets: { reencrypted: number; unreadable: number; remaining: number };
  realtimeKeys: { reencrypted: number; unreadable: number; remaining: number };
}

export async function reencryptAll(parts: {
  secrets: Pick<SecretsService, "reencrypt">;
  subscriberTokens: Pick<SubscriberTokens, "reencrypt">;
}): Promise<RotationResult> {
  return {
    secrets: await parts.secrets.reencrypt(),
    realtimeKeys: await parts.subscriberTokens.reencrypt(),
  };
}
