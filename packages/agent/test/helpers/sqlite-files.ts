import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import Database from "better-sqlite3";

import type { StatementLog } from "./sql-call-forms";
import { vulnerableCorpusRoutes, type CorpusRoute } from "./sql-corpus";
import { sqliteOracles } from "./sql-oracle";

/** Names of the rows of every fixture table `items`, ids 1 to 4. */
export const fixtureNames = ["alice", "bob", "O'Brien", "carol"] as const;

/** A SQLite database file in a temporary directory of its own, with the file an app traces into. */
export interface FixtureFile {
  readonly file: string;
  /** Where the app appends each statement that SQLite runs (sqlite3's 'trace' event, better-sqlite3's `verbose`). */
  readonly traceFile: string;
  /** Environment for a fixture app: SQLITE_FILE and TRACE_FILE. */
  readonly env: Record<string, string>;
  /** The trace file as a StatementLog. */
  readonly statements: StatementLog;
  drop(): void;
}

/** Creates `items (id, name)` with the fixture rows, and `notes` for routes that insert. */
export function createFixtureFile(): FixtureFile {
  const directory = mkdtempSync(path.join(tmpdir(), "rampart-sqlite-"));
  const file = path.join(directory, "fixture.db");
  const traceFile = path.join(directory, "trace.log");

  const database = new Database(file);
  try {
    database.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
    database.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, label TEXT, name TEXT)");
    const insert = database.prepare("INSERT INTO items (id, name) VALUES (?, ?)");
    fixtureNames.forEach((name, index) => insert.run(index + 1, name));
  } finally {
    database.close();
  }

  return {
    file,
    traceFile,
    env: { SQLITE_FILE: file, TRACE_FILE: traceFile },
    statements: {
      record: async (send, control) => {
        await send();
        return traceAfter(traceFile, control);
      },
    },
    drop: () => rmSync(directory, { recursive: true, force: true }),
  };
}

function tracedStatements(traceFile: string): string {
  try {
    return readFileSync(traceFile, "utf8");
  } catch {
    return "";
  }
}

/**
 * Returns the app's trace of the statements SQLite ran, once it contains `control` or 2 s have
 * passed. sqlite3 emits 'trace' from its worker thread, so a line may land just after the response.
 */
async function traceAfter(traceFile: string, control: string): Promise<string> {
  const deadline = Date.now() + 2_000;
  let trace = tracedStatements(traceFile);
  while (!trace.includes(control) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    trace = tracedStatements(traceFile);
  }
  return trace;
}

/** The vulnerable routes of the SQLite corpus apps. */
export const sqliteCorpusRoutes: readonly CorpusRoute[] = vulnerableCorpusRoutes(sqliteOracles);

/** Routes that bind the input or quote it by SQLite's rule (quotes doubled): nothing sent there may be flagged. */
export const sqliteSafeRoutes: readonly CorpusRoute[] = [
  { path: "/param", param: "name", oracle: () => true },
  { path: "/escaped", param: "name", oracle: () => true },
];
