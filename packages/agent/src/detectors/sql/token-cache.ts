import type { SqlDialect } from "./dialect";
import { lexSql } from "./lexer";
import type { TokenBuffer } from "./token-buffer";

/** Maximum length of a query whose tokens are kept, in characters. */
const maxCachedQueryLength = 4096;

/** Most queries whose tokens are kept; the least recently used is dropped first. */
const maxCachedQueries = 256;

const caches: Record<SqlDialect, Map<string, TokenBuffer>> = {
  postgresql: new Map(),
  mysql: new Map(),
  sqlite: new Map(),
};

/**
 * Returns the tokens of a query, lexing each distinct short query text once. Apps run the same
 * parameterized texts over and over, and an input that merely occurs in them (a table name that is
 * also a path segment) would otherwise cost a full lexing per call. The cache holds only lexer
 * output for a given text, so it cannot change a verdict. Token buffers are not mutated after lexing.
 */
export function cachedTokens(query: string, dialect: SqlDialect): TokenBuffer {
  if (query.length > maxCachedQueryLength) return lexSql(query, dialect);

  const cache = caches[dialect];
  const cached = cache.get(query);
  if (cached !== undefined) {
    // Re-inserting moves the entry to the end, so the first entry is always the least recently used.
    cache.delete(query);
    cache.set(query, cached);
    return cached;
  }

  const tokens = lexSql(query, dialect);
  if (cache.size >= maxCachedQueries) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(query, tokens);
  return tokens;
}
