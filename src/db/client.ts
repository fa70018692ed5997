/**
 * Opens the database PiCloud runs on: embedded PGlite (default, one process) or
 * a PostgreSQL server (DATABASE_URL, several processes). Both give the same
 * drizzle API, so no area knows which one it talks to.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { PGLITE_CONF } from "./pglite-settings.js";
import * as schema from "./schema.js";

export type Schema = typeof schema;
/** The drizzle database every area receives; transactions have the same shape. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle (`db.transaction(async (tx) => …)`). */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Either a database or an open transaction: functions that may join the caller's transaction take this. */
export type DbOrTx = Db | Tx;

export type DatabaseTarget =
  | { kind: "pglite"; dataDir: string }
  | { kind: "pglite-memory"; loadDataDir?: Blob | File }
  | { kind: "postgres"; url: string; max?: number };

/** LISTEN/NOTIFY, available on both drivers: used to wake other processes. */
export interface Notifier {
  notify(channel: string, payload: string): Promise<void>;
  /** Subscribes; returns the unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
}

export interface Database {
  readonly kind: "pglite" | "postgres";
  readonly db: Db;
  readonly notifier: Notifier;
  /** Throws when the database cannot answer a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The underlying client, for tests and migrations only. */
  readonly raw: PGlite | postgres.Sql;
  /** The connection URL (PostgreSQL only). */
  readonly url?: string;
}

/** Opens a database; the caller runs migrations (see migrate.ts). */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === "postgres") return openPostgres(target.url, target.max ?? 10);
  if (target.kind === "pglite") await initPgliteDataDir(target.dataDir);
  const client =
    target.kind === "pglite"
      ? new PGlite(target.dataDir, { postgresqlconf: PGLITE_CONF })
      : new PGlite({
          postgresqlconf: PGLITE_CONF,
          ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}),
        });
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    kind: "pglite",
    db,
    raw: client,
    notifier: {
      async notify(channel, payload) {
        await client.query("select pg_notify($1, $2)", [channel, payload]);
      },
      async listen(channel, onPayload) {
        const unsub = await client.listen(channel, onPayload);
        return async () => unsub();
      },
    },
    async ping() {
      await client.query("select 1");
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

/**
 * Runs initdb for a new data directory in a child process (see pglite-initdb.ts);
 * from TypeScript sources (tests) the compiled helper is absent and PGlite's own
 * in-process initdb runs instead.
 */
async function initPgliteDataDir(dataDir: string): Promise<void> {
  if (existsSync(path.join(dataDir, "PG_VERSION"))) return;
  mkdirSync(dataDir, { recursive: true });
  const helper = fileURLToPath(new URL("./pglite-initdb.js", import.meta.url));
  if (!existsSync(helper)) return;
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [helper, dataDir], (err, _stdout, stderr) =>
      err
        ? reject(new Error(`creating the embedded database in ${dataDir} failed: ${stderr || err.message}`))
        : resolve(),
    );
  });
}

function openPostgres(url: string, max: number): Database {
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    // Tables are created by migrations; keep timestamps as Date and jsonb parsed.
    connection: { application_name: "picloud" },
  });
  const db = drizzlePostgres(sql, { schema }) as unknown as Db;
  return {
    kind: "postgres",
    db,
    raw: sql,
    url,
    notifier: {
      async notify(channel, payload) {
        await sql`select pg_notify(${channel}, ${payload})`;
      },
      async listen(channel, onPayload) {
        const sub = await sql.listen(channel, (p) => onPayload(p));
        return () => sub.unlisten();
      },
    },
    async ping() {
      await sql`select 1`;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
