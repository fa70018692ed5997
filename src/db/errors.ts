/** Recognizes database errors that are the caller's fault (unique violations) so they map to 409, not 500. */

interface PgErrorLike {
  code?: string;
  constraint?: string;
  constraint_name?: string;
}

function pgCause(err: unknown): PgErrorLike | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === "object"; i++) {
    const code = (e as PgErrorLike).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return e as PgErrorLike;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The violated unique constraint's name when `err` is a unique violation (23505), else undefined. */
export function uniqueViolation(err: unknown): string | undefined {
  const pg = pgCause(err);
  if (pg?.code !== "23505") return undefined;
  return pg.constraint ?? pg.constraint_name ?? "unique";
}

/** True for a foreign-key violation (23503): the referenced row vanished concurrently. */
export function foreignKeyViolation(err: unknown): boolean {
  return pgCause(err)?.code === "23503";
}
