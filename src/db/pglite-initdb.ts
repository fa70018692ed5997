/**
 * Creates a new embedded database directory (initdb) and exits. Run as a child
 * process on first start: initdb grows the WASM heap to ~700 MiB, and a heap
 * never shrinks, so doing it in a throwaway process keeps the daemon's own
 * memory at the level of a restart (~170 MiB).
 *
 *   node dist/src/db/pglite-initdb.js <dataDir>
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLITE_CONF } from "./pglite-settings.js";

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write("usage: pglite-initdb <dataDir>\n");
  process.exit(2);
}
const db = new PGlite(dataDir, { postgresqlconf: PGLITE_CONF });
await db.waitReady;
await db.close();
