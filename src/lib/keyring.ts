/**
 * AES-256-GCM under a master key, with the key being rotated away from still
 * accepted for reading. Each value gets a fresh random 12-byte nonce, and the
 * caller's associated data (e.g. app id + name) is authenticated with it, so a
 * ciphertext copied to another row fails to open. Keys are named by an id
 * derived from the key (a hash, never the key), stored beside each value.
 *
 * @example
 *   const ring = new Keyring(key);
 *   const sealed = ring.seal(Buffer.from("s3cret"), "secret\0<app id>\0API_KEY");
 *   ring.open(sealed, "secret\0<app id>\0API_KEY").toString(); // "s3cret"
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** What is stored for one encrypted value (base64 text columns). */
export interface Sealed {
  /** base64 of ciphertext followed by the 16-byte GCM tag */
  ciphertext: string;
  /** base64 of the 12-byte nonce */
  nonce: string;
  keyId: string;
}

/** Why a value could not be opened; the message never contains key or plaintext material. */
export class UnsealError extends Error {
  constructor(readonly reason: "unknown_key" | "not_authentic") {
    super(
      reason === "unknown_key"
        ? "it was encrypted under a master key this instance does not have"
        : "it does not decrypt (altered, moved from another app or name, or encrypted under another key)",
    );
    this.name = "UnsealError";
  }
}

/** A short public name of a key: the first 16 hex digits of a domain-separated SHA-256. */
export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update("picloud-master-key-id\0").update(key).digest("hex").slice(0, 16);
}

export class Keyring {
  readonly currentId: string;
  readonly previousId: string | null;
  private readonly keys = new Map<string, Buffer>();

  constructor(current: Buffer, previous: Buffer | null = null) {
    if (current.length !== 32) throw new RangeError("the master key must be 32 bytes");
    if (previous && previous.length !== 32) throw new RangeError("the previous master key must be 32 bytes");
    this.currentId = keyIdOf(current);
    this.keys.set(this.currentId, current);
    this.previousId = previous ? keyIdOf(previous) : null;
    if (previous && this.previousId) this.keys.set(this.previousId, previous);
  }

  /** True when a value sealed under `keyId` can be opened here. */
  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Encrypts under the current key. */
  seal(plaintext: Buffer, associatedData: string): Sealed {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.keys.get(this.currentId)!, nonce);
    cipher.setAAD(Buffer.from(associatedData, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { ciphertext: body.toString("base64"), nonce: nonce.toString("base64"), keyId: this.currentId };
  }

  /** Decrypts and authenticates; throws UnsealError when the key is unknown or anything was altered. */
  open(sealed: Sealed, associatedData: string): Buffer {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new UnsealError("unknown_key");
    const body = Buffer.from(sealed.ciphertext, "base64");
    const nonce = Buffer.from(sealed.nonce, "base64");
    if (body.length < TAG_BYTES || nonce.length !== NONCE_BYTES) throw new UnsealError("not_authentic");
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(associatedData, "utf8"));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new UnsealError("not_authentic");
    }
  }
}
