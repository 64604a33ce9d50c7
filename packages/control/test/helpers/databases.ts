import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import pg from "pg";

/** PostgreSQL server that the tests use; the machine's own, with trust authentication. */
export const postgresServerUrl =
  process.env.RAMPART_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A database for one test file, removed afterwards. */
export interface TestDatabase {
  readonly kind: "sqlite" | "postgres";
  readonly location: string;
  drop(): Promise<void>;
}

export async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), "rampart-control-"));
  return {
    kind: "sqlite",
    location: path.join(dir, "control.db"),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Creates an empty PostgreSQL database with a unique name on the test server. */
export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `rampart_control_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: postgresServerUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }

  const url = new URL(postgresServerUrl);
  url.pathname = `/${name}`;
  return {
    kind: "postgres",
    location: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: postgresServerUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Both kinds, for suites that run once per database. */
export const databaseKinds = [
  { kind: "sqlite", create: createSqliteDatabase },
  { kind: "postgres", create: createPostgresDatabase },
] as const;
