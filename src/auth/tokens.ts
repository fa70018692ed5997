/** Random bearer tokens and their stored digests. High-entropy tokens are stored as SHA-256, never raw. */
import { createHash, randomBytes } from "node:crypto";
import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";

/** A random token of `bytes` bytes of entropy, lower-case base32 (URL and header safe). */
export function randomToken(bytes = 32): string {
  return encodeBase32LowerCaseNoPadding(randomBytes(bytes));
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
