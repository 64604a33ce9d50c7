import { createHash } from "node:crypto";

import pg from "pg";

import { numberPlaceholders, type Database, type Row, type SqlValue } from "./database";

/** Runs statements on one client or on the pool. */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** Number of the advisory lock that stands for `name`, the same in every replica. */
function lockKey(name: string): string {
  return BigInt.asIntN(
    64,
    createHash("sha256").update(`rampart:${name}`).digest().readBigInt64BE(0),
  ).toString();
}

class PostgresSession implements Database {
  readonly dialect = "postgres" as const;

  constructor(
    protected readonly target: Queryable,
    private readonly pool: pg.Pool,
  ) {}

  async all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const result = await this.target.query(numberPlaceholders(sql), [...params]);
    return result.rows as T[];
  }

  async get<T extends Row = Row>(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.target.query(numberPlaceholders(sql), [...params]);
    return result.rowCount ?? 0;
  }

  async transaction<T>(work: (db: Database) => Promise<T>): Promise<T> {
    if (this.target !== this.pool) return work(this);

    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(new PostgresSession(client as Queryable, this.pool));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  withLock<T>(name: string, work: (db: Database) => Promise<T>): Promise<T> {
    // A transaction-scoped advisory lock: released by COMMIT or ROLLBACK, even when the replica dies.
    return this.transaction(async (db) => {
      await db.run("SELECT pg_advisory_xact_lock(?::bigint)", [lockKey(name)]);
      return work(db);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** PostgreSQL through a pg pool, for fleets and for several control-plane replicas. */
export class PostgresDatabase extends PostgresSession {
  constructor(url: string) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle client that loses its connection emits on the pool; without a listener that ends the process.
    pool.on("error", () => undefined);
    super(pool as unknown as Queryable, pool);
  }
}

// BIGINT columns come back as strings by default; times and counters here fit in a double.
pg.types.setTypeParser(20, (value) => Number(value));
