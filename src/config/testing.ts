/** Settings the test suite reads: which PostgreSQL server (if any) to test against, besides PGlite. */
export function testDatabaseUrl(env: Record<string, string | undefined> = process.env): string | undefined {
  return env.TEST_DATABASE_URL || undefined;
}

/** True in CI (CI=true): a PostgreSQL server is then required, not optional. */
export function inCi(env: Record<string, string | undefined> = process.env): boolean {
  return env.CI === "true" || env.CI === "1";
}
