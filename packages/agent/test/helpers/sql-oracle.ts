// Independent oracles for the SQL corpus suites. Each one states, in a few lines of the dialect's own
// lexical rules, when a payload placed at one position of a query stays a single token there. A payload
// for which the oracle returns false changes the statement's structure and must be blocked. The oracles
// share no code with the agent's detector, so a wrong lexer in the detector shows up as a test failure.

/** Returns true when the payload, put into the position by string concatenation, stays one token. */
export type TokenOracle = (payload: string) => boolean;

/** The positions a fixture app puts input into, with the oracle for each. */
export interface SqlOracles {
  /** Inside `'…'`, including LIKE patterns and each quoted item of an IN list. */
  readonly stringLiteral: TokenOracle;
  /** Bare, as in `WHERE id = <input>`. */
  readonly numeric: TokenOracle;
  /** Inside the dialect's identifier quotes: `"…"`, or MySQL's `` `…` ``. */
  readonly quotedIdentifier: TokenOracle;
  /** Bare identifier, as in `ORDER BY <input>`. */
  readonly bareIdentifier: TokenOracle;
}

// Decimal literal with optional fraction and exponent, the form all three dialects share. Signs are not
// part of a numeric token in any of them (`-1` is unary minus applied to `1`).
const decimalLiteral = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

// Every non-ASCII character may appear in a bare identifier in PostgreSQL (any byte >= 0x80), MySQL
// (U+0080 to U+FFFF) and SQLite (any byte >= 0x80).
const bareWord = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*$/;

/**
 * PostgreSQL 15 with `standard_conforming_strings = on` (the default since 9.1): a backslash is an ordinary
 * character in `'…'`, and a quote is escaped only by doubling it. PostgreSQL 15 has no hex or binary
 * integer literals (16 added them) and rejects a number followed directly by letters.
 */
export const postgresqlOracles: SqlOracles = {
  stringLiteral: (payload) => /^(?:[^']|'')*$/.test(payload),
  numeric: (payload) => decimalLiteral.test(payload),
  quotedIdentifier: (payload) => payload !== "" && /^(?:[^"]|"")*$/.test(payload),
  bareIdentifier: (payload) => bareWord.test(payload),
};

/**
 * MySQL and MariaDB in the default SQL mode (no NO_BACKSLASH_ESCAPES, no ANSI_QUOTES): a backslash escapes
 * the next character inside both `'…'` and `"…"`, so a trailing backslash escapes the closing quote.
 */
export const mysqlOracles: SqlOracles & {
  /** Inside `"…"`, a string literal unless ANSI_QUOTES is set. */
  readonly doubleQuotedLiteral: TokenOracle;
} = {
  stringLiteral: (payload) => /^(?:[^'\\]|''|\\[\s\S])*$/.test(payload),
  doubleQuotedLiteral: (payload) => /^(?:[^"\\]|""|\\[\s\S])*$/.test(payload),
  // MySQL also reads 0x41 and 0b101 as single literals.
  numeric: (payload) => decimalLiteral.test(payload) || /^0x[0-9a-fA-F]+$|^0b[01]+$/.test(payload),
  quotedIdentifier: (payload) => payload !== "" && /^(?:[^`]|``)*$/.test(payload),
  // NOTE: MySQL also accepts identifiers that start with a digit (`1abc`). They are left out on purpose, so
  // `id = 1abc` counts as leaving the number position, because the value becomes a column reference.
  bareIdentifier: (payload) => bareWord.test(payload),
};

/** SQLite 3: `'…'` with doubled quotes only (no backslash escapes), `"…"` identifiers, 0x hex integers. */
export const sqliteOracles: SqlOracles = {
  stringLiteral: (payload) => /^(?:[^']|'')*$/.test(payload),
  numeric: (payload) => decimalLiteral.test(payload) || /^0x[0-9a-fA-F]+$/.test(payload),
  quotedIdentifier: (payload) => payload !== "" && /^(?:[^"]|"")*$/.test(payload),
  bareIdentifier: (payload) => bareWord.test(payload),
};
