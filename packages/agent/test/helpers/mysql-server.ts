import { randomBytes } from "node:crypto";

import mysql from "mysql2/promise";

import type { StatementLog } from "./sql-call-forms";
import { vulnerableCorpusRoutes, type CorpusRoute } from "./sql-corpus";
import { mysqlOracles, type TokenOracle } from "./sql-oracle";

/** The local MariaDB test server: user root without a password over TCP. */
export const adminSettings = { host: "127.0.0.1", port: 3306, user: "root" };

/** Names of the rows of every fixture table `items`, ids 1 to 4. */
export const fixtureNames = ["alice", "bob", "O'Brien", "carol"] as const;

/** Runs statements as root on a fresh connection; `values` fill `?` placeholders. */
export async function adminQuery(sql: string, values: unknown[] = []): Promise<unknown> {
  const connection = await mysql.createConnection(adminSettings);
  try {
    const [rows] = await connection.query(sql, values);
    return rows;
  } finally {
    await connection.end();
  }
}

/** A database of its own for one describe block, and a user that may only read it. */
export interface FixtureDatabase {
  readonly database: string;
  readonly user: string;
  /** Environment for a fixture app: DB_HOST, DB_PORT, DB_USER, DB_NAME. */
  readonly env: Record<string, string>;
  /** The general query log, turned on for each recording. */
  readonly statements: StatementLog;
  drop(): Promise<void>;
}

/**
 * Creates a database `rampart_<prefix>_<hex>` holding `items (id, name)` and a user of the same name
 * with SELECT on it and a 0.1 s `max_statement_time`. No payload an app runs can then change the rows
 * or write files, and time-based payloads end quickly. The user may also INSERT into `notes`,
 * which only batch-insert routes use. Each describe block gets its own database, so that test files
 * can run two at a time against the one server.
 */
export async function createFixtureDatabase(prefix: string): Promise<FixtureDatabase> {
  // The fixed `_t` end keeps a quoted name's tail from equalling a corpus payload such as `1\``.
  const name = `rampart_${prefix}_${randomBytes(5).toString("hex")}_t`;

  await adminQuery(`CREATE DATABASE ${name}`);
  await adminQuery(`CREATE TABLE ${name}.items (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL)`);
  await adminQuery(`INSERT INTO ${name}.items (id, name) VALUES ?`, [
    fixtureNames.map((itemName, index) => [index + 1, itemName]),
  ]);
  await adminQuery(
    `CREATE TABLE ${name}.notes (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(40), name VARCHAR(200))`,
  );
  await adminQuery(`CREATE USER '${name}'@'%' WITH MAX_STATEMENT_TIME 0.1`);
  await adminQuery(`GRANT SELECT ON ${name}.* TO '${name}'@'%'`);
  await adminQuery(`GRANT INSERT ON ${name}.notes TO '${name}'@'%'`);

  return {
    database: name,
    user: name,
    env: {
      DB_HOST: adminSettings.host,
      DB_PORT: String(adminSettings.port),
      DB_USER: name,
      DB_NAME: name,
    },
    statements: generalQueryLog,
    drop: async () => {
      await adminQuery(`DROP USER IF EXISTS '${name}'@'%'`);
      await adminQuery(`DROP DATABASE IF EXISTS ${name}`);
    },
  };
}

/**
 * Returns the statements that the server received and that contain `text`, read from the general
 * query log. Turns the log on (to the mysql.general_log table) while `action` runs, then restores the
 * previous settings. A client that does not take the lock below may switch the log off meanwhile, so
 * callers also look for a statement that must be there and repeat when it is missing.
 */
export async function loggedStatements(
  action: () => Promise<void>,
  text: string,
): Promise<string[]> {
  // Test files that record at the same time take turns. Otherwise one file could save the log setting
  // that the other just turned on as the one to restore, and leave the log on. Ending the session
  // releases the lock.
  const lock = await mysql.createConnection(adminSettings);
  try {
    const [rows] = await lock.query("SELECT GET_LOCK('rampart_general_log', 60) AS acquired");
    const acquired = (rows as Array<{ acquired: number | null }>)[0]?.acquired;
    if (acquired !== 1) {
      throw new Error("timed out after 60 s waiting for the lock rampart_general_log");
    }
    return await loggedStatementsLocked(action, text);
  } finally {
    await lock.end();
  }
}

async function loggedStatementsLocked(
  action: () => Promise<void>,
  text: string,
): Promise<string[]> {
  const [settings] = (await adminQuery(
    "SELECT @@GLOBAL.general_log AS enabled, @@GLOBAL.log_output AS output",
  )) as Array<{
    enabled: number;
    output: string;
  }>;
  const started = new Date();

  await adminQuery("SET GLOBAL log_output = 'TABLE', general_log = 1");
  try {
    await action();
  } finally {
    await adminQuery("SET GLOBAL general_log = ?, log_output = ?", [
      settings?.enabled ?? 0,
      settings?.output ?? "FILE",
    ]);
  }

  const rows = (await adminQuery(
    "SELECT CONVERT(argument USING utf8mb4) AS statement FROM mysql.general_log WHERE event_time >= ? AND argument LIKE ?",
    [started, `%${text}%`],
  )) as Array<{ statement: string }>;
  return rows.map((row) => row.statement);
}

/**
 * The general query log as a StatementLog: `record` turns the log on while `send` runs and returns the
 * logged statements that contain `rampart_`, which every marker and fixture name starts with.
 */
export const generalQueryLog: StatementLog = {
  record: async (send) => (await loggedStatements(send, "rampart_")).join("\n"),
};

/**
 * Inside `'%…%'`. The route's own `%` follows the payload, so a trailing backslash escapes that `%`
 * (MySQL keeps `\%` as two characters for LIKE) and the closing quote still ends the literal.
 */
const likePattern: TokenOracle = (payload) => mysqlOracles.stringLiteral(`%${payload}%`);

/**
 * The vulnerable routes of every MySQL-family corpus app: those of every corpus app, and /string-dq,
 * which puts its input into `"…"`.
 */
export const mysqlCorpusRoutes: readonly CorpusRoute[] = [
  ...vulnerableCorpusRoutes(mysqlOracles, likePattern),
  { path: "/string-dq", param: "name", oracle: mysqlOracles.doubleQuotedLiteral },
];

/** Routes that bind or escape their input with the driver's own functions: nothing sent there may be flagged. */
export const mysqlSafeRoutes: readonly CorpusRoute[] = [
  { path: "/param", param: "name", oracle: () => true },
  { path: "/escaped", param: "name", oracle: () => true },
];
