// Independent oracles for the SQL corpus suites. Each one states, with the dialect's own lexical rules
// written as regular expressions, when a payload placed at one position of a query stays a single token
// there. A payload for which the oracle returns false changes the statement's structure and must be
// blocked. The oracles share no code with the agent's detector, so a wrong lexer in the detector shows
// up as a test failure.

/** Returns true when the payload, put into the position by string concatenation, stays one token. */
export type TokenOracle = (payload: string) => boolean;

/** The positions a fixture app puts input into, with the oracle for each. */
export interface SqlOracles {
  /** Inside `'…'`, including LIKE patterns and each quoted item of an IN list. */
  readonly stringLiteral: TokenOracle;
  /** Inside the dialect's identifier quotes: `"…"`, or MySQL's `` `…` ``. */
  readonly quotedIdentifier: TokenOracle;
  /**
   * A bare position at the end of the query, such as `WHERE id = <input>` or `ORDER BY <input>`. The
   * payload stays there when it is one whole token: a number, a word, a complete literal or quoted
   * identifier, or a comment.
   */
  readonly bareToken: TokenOracle;
}

/**
 * Returns true for one character other than a quote or a backslash. Such a character opens, closes and
 * escapes nothing, so on its own it cannot carry an injection (`id = =` is only a syntax error). The
 * agent does not judge such inputs, because characters like `,` or `1` occur all over application SQL.
 */
function isInertCharacter(payload: string): boolean {
  return payload.length === 1 && !"'\"`\\".includes(payload);
}

/** Builds a bare-position oracle from the dialect's whitespace and its whole-token patterns. */
function bareTokenOracle(whitespace: RegExp, tokens: readonly RegExp[]): TokenOracle {
  return (payload) => {
    if (isInertCharacter(payload)) return true;
    const trimmed = payload.replace(whitespace, "");
    return tokens.some((token) => token.test(trimmed));
  };
}

// Decimal literal with optional fraction and exponent, the form all three dialects share. A leading sign
// is unary minus or plus applied to the number, which keeps it a single value.
const signedDecimal = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

// Every non-ASCII character may appear in a bare identifier in PostgreSQL (any byte >= 0x80), MySQL
// (U+0080 to U+FFFF) and SQLite (any byte >= 0x80).
const bareWord = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*$/;

// A PostgreSQL block comment without nested openers (PostgreSQL nests them, MySQL and SQLite do not), and
// a line comment that runs to the end of the payload, which is also the end of the query in the fixtures.
const blockComment = /^\/\*(?:(?!\/\*|\*\/)[\s\S])*\*\/$/;
const dashComment = /^--[^\n\r]*$/;

/**
 * PostgreSQL 15 with `standard_conforming_strings = on` (the default since 9.1): a backslash is an
 * ordinary character in `'…'`, and a quote is escaped only by doubling it. `E'…'` strings also take
 * backslash escapes. PostgreSQL 15 has no hex integer literals (16 added them) and rejects a number
 * followed directly by letters.
 */
export const postgresqlOracles: SqlOracles = {
  stringLiteral: (payload) => /^(?:[^']|'')*$/.test(payload),
  quotedIdentifier: (payload) => payload !== "" && /^(?:[^"]|"")*$/.test(payload),
  bareToken: bareTokenOracle(/^[ \t\n\r\f]+|[ \t\n\r\f]+$/g, [
    signedDecimal,
    bareWord,
    /^[BbNnXx]?'(?:[^']|'')*'$/,
    /^[Ee]'(?:[^'\\]|''|\\[\s\S])*'$/,
    // `""` is an empty quoted identifier: one token, which PostgreSQL rejects.
    /^"(?:[^"]|"")*"$/,
    // A dollar-quoted string ends at the first repeat of its opening tag.
    /^(\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$)(?:(?!\1)[\s\S])*\1$/,
    blockComment,
    dashComment,
  ]),
};

/**
 * MySQL and MariaDB in the default SQL mode (no NO_BACKSLASH_ESCAPES, no ANSI_QUOTES): a backslash escapes
 * the next character inside both `'…'` and `"…"`, so a trailing backslash escapes the closing quote.
 * `-- ` needs a space or control character after the dashes, and `#` starts a comment too.
 */
export const mysqlOracles: SqlOracles & {
  /** Inside `"…"`, a string literal unless ANSI_QUOTES is set. */
  readonly doubleQuotedLiteral: TokenOracle;
} = {
  stringLiteral: (payload) => /^(?:[^'\\]|''|\\[\s\S])*$/.test(payload),
  doubleQuotedLiteral: (payload) => /^(?:[^"\\]|""|\\[\s\S])*$/.test(payload),
  quotedIdentifier: (payload) => payload !== "" && /^(?:[^`]|``)*$/.test(payload),
  bareToken: bareTokenOracle(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, [
    signedDecimal,
    /^0x[0-9a-fA-F]+$|^0b[01]+$/,
    bareWord,
    /^(?:_[A-Za-z0-9]+|[NnXxBb])?'(?:[^'\\]|''|\\[\s\S])*'$/,
    /^"(?:[^"\\]|""|\\[\s\S])*"$/,
    // `` `` `` is an empty quoted identifier: one token, which MariaDB 10.11 rejects as an unknown column.
    /^`(?:[^`]|``)*`$/,
    // A MySQL executable comment `/*!…*/` runs its body as SQL, so it is no comment here.
    /^\/\*(?!!)(?:(?!\*\/)[\s\S])*\*\/$/,
    /^--(?:[ \t\n\v\f\r][^\n\r]*)?$/,
    /^#[^\n\r]*$/,
  ]),
};

/**
 * SQLite 3: `'…'` with doubled quotes only (no backslash escapes), `"…"`, `` `…` `` and `[…]` identifiers.
 * The tokenizer stops at a NUL character, so a NUL inside quotes leaves the token unterminated
 * (SQLite 3.4x reports `unrecognized token: "'a"` for `SELECT 'a<NUL>b'`). A NUL on its own is inert
 * like any other single character: it can only cut the statement short into a syntax error.
 */
export const sqliteOracles: SqlOracles = {
  stringLiteral: (payload) => isInertCharacter(payload) || /^(?:[^'\0]|'')*$/.test(payload),
  quotedIdentifier: (payload) =>
    isInertCharacter(payload) || (payload !== "" && /^(?:[^"\0]|"")*$/.test(payload)),
  bareToken: bareTokenOracle(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, [
    signedDecimal,
    /^0x[0-9a-fA-F]+$/,
    bareWord,
    /^[Xx]?'(?:[^'\0]|'')*'$/,
    /^"(?:[^"\0]|"")*"$/,
    /^`(?:[^`\0]|``)*`$/,
    /^\[[^\]\0]*\]$/,
    /^\/\*(?:(?!\*\/)[\s\S])*\*\/$/,
    dashComment,
  ]),
};
