import { isPostgresUrl, type Database } from "./database";
import { migrate } from "./migrations";
import { PostgresDatabase } from "./postgres";
import { SqliteDatabase } from "./sqlite";

/** Opens the database that `location` names (a SQLite path or a PostgreSQL URL) and migrates it. */
export async function openDatabase(location: string): Promise<Database> {
  const db = isPostgresUrl(location)
    ? new PostgresDatabase(location)
    : new SqliteDatabase(location);
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}
