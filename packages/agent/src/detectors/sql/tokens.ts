/**
 * Kind of a lexical token.
 *
 * - `word`: a bare keyword or identifier. SQL keywords depend on context, so the lexer does not tell them apart.
 * - `string`: any string literal, including prefixed (`E'…'`, `N'…'`, `_utf8'…'`), bit, hex, blob and
 *   PostgreSQL dollar-quoted literals.
 * - `quoted-identifier`: `"…"`, MySQL and SQLite `` `…` ``, SQLite `[…]`.
 * - `parameter`: a placeholder such as `$1`, `?`, `?2`, `:name`, `@name`.
 * - `executable-comment-open` / `executable-comment-close`: the `/*!50000` and `*\/` around a MySQL or MariaDB
 *   executable comment. The text between them is lexed as code.
 * - `unknown`: a character that starts no token in the dialect, such as a stray backslash or a NUL.
 */
export type SqlTokenKind =
  | "whitespace"
  | "comment"
  | "string"
  | "number"
  | "word"
  | "quoted-identifier"
  | "parameter"
  | "operator"
  | "punctuation"
  | "executable-comment-open"
  | "executable-comment-close"
  | "unknown";

/** One token of a query. Offsets are UTF-16 code units, `start` inclusive and `end` exclusive. */
export interface SqlToken {
  readonly kind: SqlTokenKind;
  readonly start: number;
  readonly end: number;
  /**
   * Offsets of the content between the delimiters of a string, quoted identifier or comment: after `'`, `E'`,
   * `_utf8'`, `$tag$`, `--` or `/*`, and before the closing delimiter if there is one. For other kinds they
   * equal `start` and `end`.
   */
  readonly contentStart: number;
  readonly contentEnd: number;
  /**
   * Set on a string, quoted identifier, block comment or executable comment that the input never closes.
   * In SQLite a NUL ends the statement text, so a literal that contains one is unterminated there.
   */
  readonly unterminated?: true;
  /** Set on tokens between a MySQL executable comment's open and close tokens. */
  readonly inExecutableComment?: true;
}
