/**
 * The BlobStore on the local disk: `<root>/<appId>/<shard>/<key>` with keys
 * from uuidv7 and the shard from the key's last two (random) hex digits, so no
 * directory grows past a few hundred entries per 100k files. A write goes to
 * `<root>/.tmp/` first, is fsynced, renamed into place (atomic on one file
 * system) and the directory fsynced, so a committed row never points at a
 * blob a power cut could take back.
 */
import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { isUuid, uuidv7 } from "../../lib/ids.js";
import type { BlobRef, BlobStore, StoredBlob } from "./blob-store.js";

const TMP = ".tmp";

/** The creation time (ms) of a uuidv7 key. */
export function keyTime(key: string): number {
  return Number.parseInt(key.slice(0, 8) + key.slice(9, 13), 16);
}

export class LocalBlobStore implements BlobStore {
  private readonly dirs = new Set<string>();

  constructor(readonly root: string) {}

  /** Where a blob's bytes are; appId and key are UUIDs (checked), never anything a script chose. */
  blobPath(appId: string, key: string): string {
    if (!isUuid(appId) || !isUuid(key)) throw new Error(`invalid blob reference ${appId}/${key}`);
    return path.join(this.root, appId, key.slice(-2), key);
  }

  get tempDir(): string {
    return path.join(this.root, TMP);
  }

  async write(appId: string, bytes: Uint8Array): Promise<StoredBlob> {
    const key = uuidv7();
    const final = this.blobPath(appId, key);
    const etag = createHash("md5").update(bytes).digest("hex");
    const tmp = path.join(this.tempDir, `${appId}.${key}`);
    try {
      const fh = await this.inDir(this.tempDir, () => open(tmp, "wx", 0o600));
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.renameInto(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    return { key, size: bytes.byteLength, etag };
  }

  async read(appId: string, key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.blobPath(appId, key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  async remove(appId: string, key: string): Promise<void> {
    await rm(this.blobPath(appId, key), { force: true });
  }

  async sweepTemp(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of await entries(this.tempDir)) {
      const file = path.join(this.tempDir, name);
      try {
        if ((await stat(file)).mtimeMs < cutoff) {
          await rm(file, { force: true });
          removed++;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
    return removed;
  }

  async *scan(before: Date, batchSize: number): AsyncIterable<BlobRef[]> {
    const cutoff = before.getTime();
    let batch: BlobRef[] = [];
    // Names that are not ours (not UUIDs) are left alone: the sweep only ever removes blobs it wrote.
    for (const appId of (await entries(this.root)).filter(isUuid)) {
      for (const shard of await entries(path.join(this.root, appId))) {
        for (const key of await entries(path.join(this.root, appId, shard))) {
          if (!isUuid(key) || key.slice(-2) !== shard || keyTime(key) >= cutoff) continue;
          batch.push({ appId, key });
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  private async renameInto(tmp: string, final: string): Promise<void> {
    const dir = path.dirname(final);
    await this.inDir(dir, () => rename(tmp, final));
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Runs `f`, which creates an entry in `dir`; makes the directory first (once, or again if it went away). */
  private async inDir<T>(dir: string, f: () => Promise<T>): Promise<T> {
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      this.dirs.add(dir);
    }
    try {
      return await f();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      this.dirs.delete(dir);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      this.dirs.add(dir);
      return f();
    }
  }
}

/** A directory's entry names; none when it does not exist. */
async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}
