/**
 * Where file bytes live, behind an interface so a store shared by several
 * processes (an S3-compatible bucket, a network file system) can replace the
 * local one. The store never sees a script's path: the caller keeps metadata
 * (path → key) in the database, and each write gets a fresh key, so a write
 * never overwrites bytes a reader may still be reading.
 */

export interface StoredBlob {
  /** A new, unique key chosen by the store (time-ordered: its age is readable from it). */
  key: string;
  size: number;
  /** A content hash (hex), the same for the same bytes. */
  etag: string;
}

export interface BlobRef {
  appId: string;
  key: string;
}

export interface BlobStore {
  /**
   * Stores the bytes atomically and durably: when this resolves the blob is
   * complete under its key, and an interrupted write leaves only a temp file
   * (removed by `sweepTemp`), never a partial blob.
   */
  write(appId: string, bytes: Uint8Array): Promise<StoredBlob>;
  /** The bytes, or null when no blob has that key (e.g. removed by a concurrent overwrite). */
  read(appId: string, key: string): Promise<Uint8Array | null>;
  /** Removes a blob; removing a missing one is not an error. */
  remove(appId: string, key: string): Promise<void>;
  /** Removes temp files of writes that started more than `olderThanMs` ago (they were interrupted); returns how many. */
  sweepTemp(olderThanMs: number): Promise<number>;
  /**
   * Every blob written before `before`, in batches. The caller decides which
   * are orphans (no metadata row refers to them) and removes those.
   */
  scan(before: Date, batchSize: number): AsyncIterable<BlobRef[]>;
}
