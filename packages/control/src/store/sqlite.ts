import { mkdirSync } from "node:fs";
import path from "node:path";

import BetterSqlite3 from "better-sqlite3";

import type { Database, Row, SqlValue } from "./database";

/** SQLite through better-sqlite3. Calls are synchronous underneath; the interface is async for PostgreSQL's sake. */
export class SqliteDatabase implements Database {
  readonly dialect = "sqlite" as const;
  private readonly db: BetterSqlite3.Database;
  private depth = 0;

  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new BetterSqlite3(file);
    // WAL lets the dashboard read while events are written; the busy timeout covers a second
    // process (a CLI) opening the same file.
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = ON");
  }

  async all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.db.prepare(sql).all(...params) as T[];
  }

  async get<T extends Row = Row>(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<T | undefined> {
    return this.db.prepare(sql).get(...params) as T | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.db.prepare(sql).run(...params).changes;
  }

  async transaction<T>(work: (db: Database) => Promise<T>): Promise<T> {
    // Nested calls join the outer transaction: SQLite has no nested BEGIN.
    if (this.depth > 0) return work(this);

    this.db.exec("BEGIN IMMEDIATE");
    this.depth += 1;
    try {
      const result = await work(this);
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    } finally {
      this.depth -= 1;
    }
  }

  withLock<T>(_name: string, work: (db: Database) => Promise<T>): Promise<T> {
    return this.transaction(work);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
