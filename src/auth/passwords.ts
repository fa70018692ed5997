/** Argon2id password and key hashing with the OWASP-recommended parameters (19 MiB, 2 passes, 1 lane). */
import { hash, verify } from "@node-rs/argon2";

const OWASP = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashSecret(secret: string): Promise<string> {
  return hash(secret, OWASP);
}

/** False for a wrong secret or a malformed hash; never throws. */
export async function verifySecret(hashed: string, secret: string): Promise<boolean> {
  try {
    return await verify(hashed, secret);
  } catch {
    return false;
  }
}

// Verified against when the account does not exist, so a login for an unknown
// e-mail costs the same time as a wrong password (no user enumeration by timing).
let decoy: Promise<string> | undefined;
export async function burnVerifyTime(secret: string): Promise<void> {
  decoy ??= hashSecret("decoy-password-for-timing");
  await verifySecret(await decoy, secret);
}
