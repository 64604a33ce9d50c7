import type { SqlDialect } from "./dialect";
import { tokenizeMysql } from "./mysql";
import { readPostgresqlToken } from "./postgresql";
import { readSqliteToken } from "./sqlite";
import { collectTokens, type SqlToken } from "./tokens";

/**
 * Splits a query into tokens that cover it exactly and in order. Runs in time linear in the query length and
 * never throws: unterminated strings, quoted identifiers and comments become tokens flagged `unterminated`.
 */
export function tokenizeSql(query: string, dialect: SqlDialect): SqlToken[] {
  switch (dialect) {
    case "postgresql":
      return collectTokens(query, readPostgresqlToken);
    case "mysql":
      return tokenizeMysql(query);
    case "sqlite":
      return collectTokens(query, readSqliteToken);
    default:
      // Reachable only from JavaScript callers that bypass the type.
      throw new TypeError(
        `unsupported SQL dialect ${String(dialect)}; expected postgresql, mysql or sqlite`,
      );
  }
}
