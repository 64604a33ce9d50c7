/** A row as the database returns it: column name to value. */
export type Row = Record<string, unknown>;

/** A value bound to a `?` placeholder. Booleans are stored as 0 and 1, objects as JSON text by the caller. */
export type SqlValue = string | number | bigint | null;

/**
 * The few operations the control plane needs from SQLite and PostgreSQL. Statements are written
 * once with `?` placeholders and portable types (TEXT, BIGINT for times in milliseconds since the
 * epoch, INTEGER for counters and flags); the PostgreSQL side numbers the placeholders.
 */
export interface Database {
  readonly dialect: "sqlite" | "postgres";
  /** Runs a statement that returns rows. */
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement that returns at most one row. */
  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs `work` in one transaction, committed when it resolves and rolled back when it throws. */
  transaction<T>(work: (db: Database) => Promise<T>): Promise<T>;
  /**
   * Runs `work` while holding a lock that every replica sharing the database respects (migrations,
   * rollout decisions). SQLite has one writer process, so there the lock is the transaction.
   */
  withLock<T>(name: string, work: (db: Database) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Numbers `?` placeholders as PostgreSQL's `$1`, `$2`, ... outside string literals. */
export function numberPlaceholders(sql: string): string {
  let index = 0;
  let inString = false;
  let out = "";
  for (const char of sql) {
    if (char === "'") inString = !inString;
    if (char === "?" && !inString) {
      index += 1;
      out += `$${index}`;
    } else {
      out += char;
    }
  }
  return out;
}

/** True when the database argument names PostgreSQL rather than a SQLite file. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}
