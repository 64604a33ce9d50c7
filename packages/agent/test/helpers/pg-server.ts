import { randomBytes } from "node:crypto";
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";

import pg from "pg";

import type { StatementLog } from "./sql-call-forms";
import { vulnerableCorpusRoutes, type CorpusRoute } from "./sql-corpus";
import { postgresqlOracles } from "./sql-oracle";

/** The local test server: trust authentication, superuser `postgres`, database `test`. */
export const adminConnection = {
  host: "127.0.0.1",
  port: 5432,
  user: "postgres",
  database: "test",
};

/** Directory where the Debian packaging writes the server's stderr log (`logging_collector` off). */
const serverLogDir = process.env.RAMPART_PG_LOG_DIR ?? "/var/log/postgresql";

/**
 * Returns `rampart_<prefix>_<12 hex digits>_t`, a name no concurrent test file uses. The fixed start keeps
 * role names clear of PostgreSQL's reserved `pg_` prefix and makes leftovers easy to find. The fixed end
 * keeps the quoted name's tail from equalling a corpus payload such as `1"`, which the detector would
 * rightly report as a quote it cannot tell from a break-out.
 */
export function uniqueName(prefix: string): string {
  return `rampart_${prefix}_${randomBytes(6).toString("hex")}_t`;
}

/** Runs statements as the superuser on a fresh connection. */
export async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client(adminConnection);
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/** A table of rows for a fixture app, and a login role that may only read it. */
export interface FixtureDatabase {
  readonly table: string;
  readonly role: string;
  /** Environment for a fixture app: libpq variables (read by pg, postgres and the knex fixture) and TABLE. */
  readonly env: Record<string, string>;
  /** The server log, which records the role's statements when `logStatements` was set. */
  readonly statements: StatementLog;
  drop(): Promise<void>;
}

/** Names of the rows that every fixture table holds, ids 1 to 4. */
export const fixtureNames = ["alice", "bob", "O'Brien", "carol"] as const;

/**
 * Creates a table and a role with SELECT on it only and a 200 ms statement timeout, so that no payload
 * an app runs can change data, and time-based payloads end quickly. With `logStatements`, the server
 * logs every statement of the role's sessions (`log_statement = 'all'`); the corpus suites leave it
 * off, because they send thousands of statements.
 */
export async function createFixtureDatabase(
  prefix: string,
  options: { logStatements?: boolean } = {},
): Promise<FixtureDatabase> {
  const table = uniqueName(`${prefix}_items`);
  const role = uniqueName(`${prefix}_reader`);

  await adminQuery(`CREATE TABLE ${table} (id integer PRIMARY KEY, name text NOT NULL)`);
  await adminQuery(
    `INSERT INTO ${table} (id, name) SELECT ordinality, name FROM unnest($1::text[]) WITH ORDINALITY AS t(name)`,
    [fixtureNames],
  );
  await adminQuery(`CREATE ROLE ${role} LOGIN`);
  await adminQuery(`GRANT SELECT ON ${table} TO ${role}`);
  await adminQuery(`ALTER ROLE ${role} SET statement_timeout = '200ms'`);
  if (options.logStatements === true) {
    await adminQuery(`ALTER ROLE ${role} SET log_statement = 'all'`);
  }

  return {
    table,
    role,
    env: { PGHOST: "127.0.0.1", PGPORT: "5432", PGUSER: role, PGDATABASE: "test", TABLE: table },
    statements: serverLog,
    drop: async () => {
      // Sessions of the role may outlive a stopped app for a moment; end them before dropping the role.
      await adminQuery(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
        [role],
      );
      await adminQuery(`DROP TABLE IF EXISTS ${table}`);
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    },
  };
}

/** Returns the server log file written to most recently. */
function currentLogFile(): string {
  const files = readdirSync(serverLogDir)
    .filter((name) => name.endsWith(".log"))
    .map((name) => path.join(serverLogDir, name));
  const newest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (newest === undefined)
    throw new Error(`no PostgreSQL log file found in ${serverLogDir}; set RAMPART_PG_LOG_DIR`);
  return newest;
}

/** Reads what the server logs from now on; the caller turns statement logging on for a role. */
export class ServerLogReader {
  private readonly file = currentLogFile();
  private readonly start = statSync(this.file).size;

  /** Returns the log text written since this reader was created. */
  readSinceStart(): string {
    const end = statSync(this.file).size;
    if (end <= this.start) return "";

    const buffer = Buffer.alloc(end - this.start);
    const descriptor = openSync(this.file, "r");
    try {
      readSync(descriptor, buffer, 0, buffer.length, this.start);
    } finally {
      closeSync(descriptor);
    }
    return buffer.toString("utf8");
  }

  /** Waits until the log contains `text`, for up to `timeoutMs`; returns whether it appeared. */
  async waitFor(text: string, timeoutMs = 3_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() <= deadline) {
      if (this.readSinceStart().includes(text)) return true;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return false;
  }
}

/** The server log as a StatementLog: `record` returns what the server logged while `send` ran. */
const serverLog: StatementLog = {
  record: async (send, control) => {
    const reader = new ServerLogReader();
    await send();
    await reader.waitFor(control);
    return reader.readSinceStart();
  },
};

/** The vulnerable routes that every PostgreSQL corpus app (pg, postgres) serves. */
export const postgresqlCorpusRoutes: readonly CorpusRoute[] =
  vulnerableCorpusRoutes(postgresqlOracles);

/** The routes that bind or escape their input correctly: nothing sent to them may be flagged. */
export const postgresqlSafeRoutes: readonly CorpusRoute[] = [
  { path: "/param", param: "name", oracle: () => true },
  { path: "/escaped", param: "name", oracle: () => true },
  { path: "/escaped-identifier", param: "column", oracle: () => true },
];
