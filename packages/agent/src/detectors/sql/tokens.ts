import type { ScanResult } from "./scan";

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
  /** Set on a string, quoted identifier, block comment or executable comment that reaches the end of input unclosed. */
  readonly unterminated?: true;
  /** Set on tokens between a MySQL executable comment's open and close tokens. */
  readonly inExecutableComment?: true;
}

/**
 * Appends the token, or tokens, that start at `start` to `tokens`. A reader appends more than one token only
 * where reading them together keeps the lexer linear, and the first one must start at `start`.
 */
export type TokenReader = (text: string, start: number, tokens: SqlToken[]) => void;

/** Returns a token without delimiters, whose content is the whole token. */
export function makeToken(kind: SqlTokenKind, start: number, end: number): SqlToken {
  return { kind, start, end, contentStart: start, contentEnd: end };
}

/**
 * Returns a string, quoted identifier or comment token that opens with `openerLength` code units at `start`
 * and ends where `scan` ended. When the scan found the closing delimiter, its last `closerLength` code units
 * are that delimiter.
 */
export function makeDelimitedToken(
  kind: SqlTokenKind,
  start: number,
  openerLength: number,
  scan: ScanResult,
  closerLength: number,
): SqlToken {
  const contentStart = Math.min(start + openerLength, scan.end);
  if (!scan.terminated) {
    return { kind, start, end: scan.end, contentStart, contentEnd: scan.end, unterminated: true };
  }
  return { kind, start, end: scan.end, contentStart, contentEnd: scan.end - closerLength };
}

/** Splits `text` into consecutive tokens with `read`, so their offsets cover the text exactly and in order. */
export function collectTokens(text: string, read: TokenReader): SqlToken[] {
  const tokens: SqlToken[] = [];
  let offset = 0;
  while (offset < text.length) {
    const count = tokens.length;
    read(text, offset, tokens);

    // Every reader advances by construction. This guard only keeps a reader bug from hanging the
    // application's query call in an endless loop.
    const last = tokens[tokens.length - 1];
    if (tokens.length === count || last === undefined || last.end <= offset) {
      tokens.length = count;
      tokens.push(makeToken("unknown", offset, offset + 1));
    }

    offset = tokens[tokens.length - 1]?.end ?? text.length;
  }
  return tokens;
}
