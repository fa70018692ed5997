/** Time-ordered identifiers (UUIDv7, RFC 9562) so primary keys sort by creation time. */
import { randomBytes } from "node:crypto";

let lastMs = 0;
let counter = 0;

// Random bytes drawn 4 KiB at a time: one randomBytes() call per id showed up at ~2 % of the
// CPU of a busy data plane (an id per execution); a pool is what crypto.randomUUID() does too.
const POOL_BYTES = 4096;
let pool = randomBytes(POOL_BYTES);
let poolOffset = 0;

function sixteenRandomBytes(): Buffer {
  if (poolOffset + 16 > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  // Each 16-byte window is handed out once, so the caller may write into it.
  const bytes = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  return bytes;
}

/** A new UUIDv7 string; monotonic within one process even when called many times in one millisecond. */
export function uuidv7(now = Date.now()): string {
  const bytes = sixteenRandomBytes();
  let ms = now;
  if (ms <= lastMs) {
    // Same (or earlier) millisecond: bump a 12-bit counter in rand_a to keep order.
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = 0;
  }
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((counter >>> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `s` is a canonical UUID string (any version). */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
