import type { SqlDialect } from "./dialect";
import { lexMysql } from "./mysql";
import { readPostgresqlToken } from "./postgresql";
import { readSqliteToken } from "./sqlite";
import { collectTokens, type TokenBuffer } from "./token-buffer";
import type { SqlToken } from "./tokens";

/**
 * Splits a query into tokens that cover it exactly and in order, in time linear in the query length.
 * It never throws on any query text. Unterminated strings, quoted identifiers and comments become tokens
 * flagged `unterminated`.
 */
export function tokenizeSql(query: string, dialect: SqlDialect): SqlToken[] {
  return lexSql(query, dialect).toTokens();
}

/** Splits a query into tokens like `tokenizeSql`, into a compact buffer for the detector. */
export function lexSql(query: string, dialect: SqlDialect): TokenBuffer {
  switch (dialect) {
    case "postgresql":
      return collectTokens(query, readPostgresqlToken);
    case "mysql":
      return lexMysql(query);
    case "sqlite":
      return collectTokens(query, readSqliteToken);
    default:
      // Reachable only from JavaScript callers that bypass the type.
      throw new TypeError(
        `unsupported SQL dialect ${String(dialect)}; expected postgresql, mysql or sqlite`,
      );
  }
}
