/**
 * App secrets: write-only values an admin sets and a script reads (SPEC §3.6).
 * Values are sealed with the instance keyring (AES-256-GCM, app id + name as
 * associated data) and opened only for `get`, which only the script binding
 * calls; listings carry names and dates. `reencrypt` moves every value to the
 * current master key, row by row, so an interrupted rotation just resumes.
 */
import { and, asc, count, eq, gt, ne, notInArray, or, sql } from "drizzle-orm";
import * as v from "valibot";
import type { Db } from "../../db/client.js";
import { PicloudError } from "../../lib/errors.js";
import { type Keyring, UnsealError } from "../../lib/keyring.js";
import { appSecrets } from "./schema.js";

/** Names look like environment variables: a letter or `_`, then letters, digits or `_`. */
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_SECRET_BYTES = 64 * 1024;

export const secretNameSchema = v.pipe(
  v.string(),
  v.regex(
    SECRET_NAME_PATTERN,
    "must be 1-128 letters, digits or _ and not start with a digit (like an environment variable)",
  ),
);

/** The body of PUT …/secrets/{name}. Messages never quote the value. */
export const secretValueSchema = v.strictObject({
  value: v.pipe(
    v.string("must be a string"),
    v.check(
      (s) => Buffer.byteLength(s, "utf8") <= MAX_SECRET_BYTES,
      `must be at most ${MAX_SECRET_BYTES} bytes`,
    ),
  ),
});

export interface SecretInfo {
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface ReencryptResult {
  /** Values moved to the current key by this call. */
  reencrypted: number;
  /** Values under a key this instance does not have, or altered: left as they are. */
  unreadable: number;
  /** Values still not under the current key after this call. */
  remaining: number;
}

/** The associated data of a secret: a ciphertext opens only for the app and name it was sealed for. */
export const secretAad = (appId: string, name: string) => `picloud-secret\0${appId}\0${name}`;

const info = (r: { name: string; createdAt: Date; updatedAt: Date }): SecretInfo => ({
  name: r.name,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export class SecretsService {
  constructor(
    private readonly db: Db,
    private readonly ring: Keyring,
  ) {}

  /** Names and dates of an app's secrets, by name. */
  async list(appId: string): Promise<SecretInfo[]> {
    const rows = await this.db
      .select({ name: appSecrets.name, createdAt: appSecrets.createdAt, updatedAt: appSecrets.updatedAt })
      .from(appSecrets)
      .where(eq(appSecrets.appId, appId))
      .orderBy(asc(appSecrets.name));
    return rows.map(info);
  }

  /** Creates or replaces a secret; `created` says which. */
  async put(appId: string, name: string, value: string): Promise<{ created: boolean; secret: SecretInfo }> {
    const sealed = this.ring.seal(Buffer.from(value, "utf8"), secretAad(appId, name));
    const [row] = await this.db
      .insert(appSecrets)
      .values({ appId, name, ...sealed })
      .onConflictDoUpdate({
        target: [appSecrets.appId, appSecrets.name],
        set: { ...sealed, updatedAt: sql`now()` },
      })
      .returning({
        name: appSecrets.name,
        createdAt: appSecrets.createdAt,
        updatedAt: appSecrets.updatedAt,
        created: sql<boolean>`(xmax = 0)`,
      });
    return { created: Boolean(row!.created), secret: info(row!) };
  }

  /** Deletes a secret; false when there was none. */
  async remove(appId: string, name: string): Promise<boolean> {
    const gone = await this.db
      .delete(appSecrets)
      .where(and(eq(appSecrets.appId, appId), eq(appSecrets.name, name)))
      .returning({ name: appSecrets.name });
    return gone.length > 0;
  }

  /** The plaintext of a secret, or null; a value that cannot be opened is an error that names only the secret. */
  async get(appId: string, name: string): Promise<string | null> {
    const [row] = await this.db
      .select({ ciphertext: appSecrets.ciphertext, nonce: appSecrets.nonce, keyId: appSecrets.keyId })
      .from(appSecrets)
      .where(and(eq(appSecrets.appId, appId), eq(appSecrets.name, name)));
    if (!row) return null;
    try {
      return this.ring.open(row, secretAad(appId, name)).toString("utf8");
    } catch (err) {
      if (err instanceof UnsealError)
        throw new PicloudError(500, "secret_unreadable", `secret ${name} cannot be read: ${err.message}`);
      throw err;
    }
  }

  /** Re-encrypts every value not under the current key that the keyring can open (PICLOUD_SECRET_KEY_PREVIOUS). */
  async reencrypt(batchSize = 100): Promise<ReencryptResult> {
    let reencrypted = 0;
    let unreadable = 0;
    const previous = this.ring.previousId;
    let after = null as { appId: string; name: string } | null;
    while (previous) {
      const cursor = after;
      const rows = await this.db
        .select()
        .from(appSecrets)
        .where(
          and(
            eq(appSecrets.keyId, previous),
            cursor
              ? or(
                  gt(appSecrets.appId, cursor.appId),
                  and(eq(appSecrets.appId, cursor.appId), gt(appSecrets.name, cursor.name)),
                )
              : undefined,
          ),
        )
        .orderBy(asc(appSecrets.appId), asc(appSecrets.name))
        .limit(batchSize);
      for (const row of rows) {
        const aad = secretAad(row.appId, row.name);
        let plain: Buffer;
        try {
          plain = this.ring.open(row, aad);
        } catch {
          unreadable++;
          continue;
        }
        const sealed = this.ring.seal(plain, aad);
        plain.fill(0);
        // Only if nobody replaced it meanwhile (another process, or a PUT under the new key).
        const done = await this.db
          .update(appSecrets)
          .set(sealed)
          .where(
            and(
              eq(appSecrets.appId, row.appId),
              eq(appSecrets.name, row.name),
              eq(appSecrets.keyId, previous),
              eq(appSecrets.nonce, row.nonce),
            ),
          )
          .returning({ name: appSecrets.name });
        reencrypted += done.length;
      }
      if (rows.length < batchSize) break;
      after = { appId: rows.at(-1)!.appId, name: rows.at(-1)!.name };
    }
    const known = [this.ring.currentId, ...(previous ? [previous] : [])];
    const [unknown] = await this.db
      .select({ n: count() })
      .from(appSecrets)
      .where(notInArray(appSecrets.keyId, known));
    const [left] = await this.db
      .select({ n: count() })
      .from(appSecrets)
      .where(ne(appSecrets.keyId, this.ring.currentId));
    return { reencrypted, unreadable: unreadable + (unknown?.n ?? 0), remaining: left?.n ?? 0 };
  }
}
