/**
 * PostgreSQL settings for the embedded database. PGlite's defaults (128 MiB of
 * shared buffers) suit a laptop; on a Pi the smaller buffers below halve the
 * resident memory of a restarted daemon (measured: 314 → 165 MiB) and PiCloud's
 * working set fits in them. See bench/RESULTS.md, "Start-up and memory".
 */
export const PGLITE_CONF = [
  "shared_buffers=16MB",
  "work_mem=2MB",
  "maintenance_work_mem=16MB",
  "temp_buffers=2MB",
  "wal_buffers=1MB",
];
