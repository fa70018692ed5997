/**
 * vitest globalSetup: builds the migrated templates once for the whole run and
 * hands their locations to the test files (`inject("pgliteTemplate")`, …).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { inCi, testDatabaseUrl } from "../config/testing.js";
import { buildPgliteTemplate, dropLeftoverTestDatabases, ensurePostgresTemplate } from "./templates.js";

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresServer: string | null;
    postgresTemplate: string | null;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "picloud-test-"));
  const file = path.join(dir, "pglite-template.tar");
  writeFileSync(file, Buffer.from(await (await buildPgliteTemplate()).arrayBuffer()));
  project.provide("pgliteTemplate", file);

  const server = testDatabaseUrl() ?? null;
  if (!server && inCi())
    throw new Error(
      "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL half of the suite would be skipped",
    );
  project.provide("postgresServer", server);
  if (server) await dropLeftoverTestDatabases(server);
  project.provide("postgresTemplate", server ? await ensurePostgresTemplate(server) : null);
  if (!server) {
    process.stderr.write(
      "\n[picloud tests] TEST_DATABASE_URL is not set: PostgreSQL variants are skipped; PGlite only.\n\n",
    );
  }
  return () => rmSync(dir, { recursive: true, force: true });
}
