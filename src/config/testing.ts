/** Settings the test suite reads: which PostgreSQL server (if any) to test against, besides PGlite. */
export function testDatabaseUrl(env: Record<string, string | undefined> = process.env): string | undefined {
  return env.TEST_DATABASE_URL || undefined;
}

/** True in CI (CI=true): a PostgreSQL server is then required, not optional. */
export function inCi(env: Record<string, string | undefined> = process.env): boolean {
  return env.CI === "true" || env.CI === "1";
}

/**
 * The environment a test starts a child process (daemon, CLI) with: only what it needs to find
 * programs (PATH) and a home directory, so the developer's own PICLOUD_* settings never leak in.
 */
export function childProcessEnv(
  home?: string,
  env: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const base: Record<string, string> = { PATH: env.PATH ?? "" };
  // With a fallback home given, the child always gets one (the user's, else the fallback).
  return home === undefined ? base : { ...base, HOME: env.HOME ?? home };
}
