/** Values for jsonb columns. */
import { sql } from "drizzle-orm";

/** A JSON value for a jsonb column: JSON `null` must be the jsonb null, not SQL NULL (which drizzle would send). */
export function jsonbValue(value: unknown): unknown {
  return value === null ? sql`'null'::jsonb` : value;
}
