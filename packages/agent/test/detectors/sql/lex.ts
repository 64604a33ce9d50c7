// Helpers that print tokens compactly, so lexer tests compare whole token lists in one assertion.
import { type SqlDialect, tokenizeSql } from "../../../src/detectors/sql";

/** A token as `[kind, text]`, with a third element `"unterminated"` when the lexer flagged it. */
export type TokenTuple = [string, string] | [string, string, "unterminated"];

/** Tokenizes `query` and returns every token except whitespace as a tuple. */
export function lex(query: string, dialect: SqlDialect): TokenTuple[] {
  return tokenizeSql(query, dialect)
    .filter((token) => token.kind !== "whitespace")
    .map((token): TokenTuple => {
      const text = query.slice(token.start, token.end);
      return token.unterminated ? [token.kind, text, "unterminated"] : [token.kind, text];
    });
}

/** Returns the text between the delimiters of the only non-whitespace token of `query`. */
export function contentOf(query: string, dialect: SqlDialect): string {
  const tokens = tokenizeSql(query, dialect).filter((token) => token.kind !== "whitespace");
  const [token] = tokens;
  if (tokens.length !== 1 || token === undefined) {
    throw new Error(`expected one token in ${JSON.stringify(query)}, got ${tokens.length}`);
  }
  return query.slice(token.contentStart, token.contentEnd);
}
