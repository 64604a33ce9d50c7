// MySQL and MariaDB lexer, with the default sql_mode: `"…"` is a string (no ANSI_QUOTES) and backslash
// escapes apply (no NO_BACKSLASH_ESCAPES). The rules follow the MySQL 8.4 reference manual, chapters
// "Literal Values" and "Comments", and MariaDB's "Comment Syntax" page for `/*M!…*/`.
import { codeSet, isDigit, isHexDigit, isWordPart, isWordStart, skipWhile } from "./chars";
import {
  type QuoteRules,
  matchOperator,
  scanBlockComment,
  scanDecimal,
  scanLineComment,
  scanPrefixedInteger,
  scanQuoted,
  scanWhitespace,
} from "./scan";
import { collectTokens, makeDelimitedToken, makeToken, type SqlToken } from "./tokens";

const SINGLE_QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const BACKTICK = 0x60;
const DOT = 0x2e;
const UNDERSCORE = 0x5f;

// NOTE: under sql_mode NO_BACKSLASH_ESCAPES the server does not treat `\` as an escape, so `'\'` closes there.
// The lexer cannot see the session's sql_mode and assumes the default.
const stringQuotes: QuoteRules = { backslash: true, doubling: true, nulEndsInput: false };
const identifierQuotes: QuoteRules = { backslash: false, doubling: true, nulEndsInput: false };
// Hex and bit literals hold only digits, so the first quote ends them.
const bitStringQuotes: QuoteRules = { backslash: false, doubling: false, nulEndsInput: false };

// `@` starts user and system variables (`@id`, `@@version`); it is kept as an operator of its own.
// prettier-ignore
const operators = [
  "<=>", "->>", "<=", ">=", "<>", "!=", "||", "&&", "<<", ">>", ":=", "->",
  "+", "-", "*", "/", "%", "=", "<", ">", "!", "~", "^", "&", "|", "@",
];
const punctuationCodes = codeSet("(),;.{}:");

/** Splits a MySQL or MariaDB query into tokens. */
export function tokenizeMysql(query: string): SqlToken[] {
  // Index of the open token of the executable comment that the lexer is inside, or -1.
  let executableOpen = -1;

  const tokens = collectTokens(query, (text, start, output) => {
    const token = readToken(text, start, executableOpen >= 0);

    if (token.kind === "executable-comment-open") executableOpen = output.length;
    if (token.kind === "executable-comment-close") executableOpen = -1;

    const inside = executableOpen >= 0 && token.kind !== "executable-comment-open";
    output.push(inside ? { ...token, inExecutableComment: true } : token);
  });

  const open = tokens[executableOpen];
  if (open !== undefined) tokens[executableOpen] = { ...open, unterminated: true };
  return tokens;
}

/** Reads the token at `start`. Inside an executable comment, `*\/` closes it and `/*` opens an ordinary comment. */
function readToken(text: string, start: number, inExecutableComment: boolean): SqlToken {
  const code = text.charCodeAt(start);

  const whitespaceEnd = scanWhitespace(text, start);
  if (whitespaceEnd > start) return makeToken("whitespace", start, whitespaceEnd);

  if (inExecutableComment && text.startsWith("*/", start)) {
    return makeToken("executable-comment-close", start, start + 2);
  }
  if (text.startsWith("/*", start)) return readBlockComment(text, start, inExecutableComment);
  if (code === 0x23 || isDashDashComment(text, start)) {
    const end = scanLineComment(text, start, (next) => next === 0x0a);
    return makeDelimitedToken(
      "comment",
      start,
      code === 0x23 ? 1 : 2,
      { end, terminated: true },
      0,
    );
  }

  if (code === SINGLE_QUOTE || code === DOUBLE_QUOTE) return readQuoted(text, start, 1, "string");
  if (code === BACKTICK) return readQuoted(text, start, 1, "quoted-identifier");
  if (code === 0x3f) return makeToken("parameter", start, start + 1);
  if (isDigit(code) || (code === DOT && isDigit(text.charCodeAt(start + 1)))) {
    return readNumber(text, start);
  }
  if (isWordStart(code) || code === 0x24) return readPrefixedOrWord(text, start);

  const operatorLength = matchOperator(text, start, operators);
  if (operatorLength > 0) return makeToken("operator", start, start + operatorLength);
  if (punctuationCodes.has(code)) return makeToken("punctuation", start, start + 1);
  return makeToken("unknown", start, start + 1);
}

/** `--` starts a comment only before whitespace, a control character or the end of input, so `1--1` is `1 - -1`. */
function isDashDashComment(text: string, start: number): boolean {
  if (!text.startsWith("--", start)) return false;

  const next = text.charCodeAt(start + 2);
  return Number.isNaN(next) || next <= 0x20 || next === 0x7f;
}

/**
 * Reads `/*…*\/`, or the open token of an executable comment: `/*!`, `/*!50000`, `/*M!` or `/*M!100100`.
 * The server lexes an executable comment's content as code when its version is at least the given one.
 * This lexer treats it as code for every version, which is the stricter reading.
 */
function readBlockComment(text: string, start: number, inExecutableComment: boolean): SqlToken {
  const markerLength = text.startsWith("/*!", start) ? 3 : text.startsWith("/*M!", start) ? 4 : 0;
  if (markerLength > 0 && !inExecutableComment) {
    const versionDigits = markerLength === 3 ? 5 : 6;
    const versionEnd = Math.min(
      skipWhile(text, start + markerLength, isDigit),
      start + markerLength + versionDigits,
    );
    return makeToken("executable-comment-open", start, versionEnd);
  }

  // MySQL does not nest comments, so the first `*/` ends this one, also inside an executable comment.
  const scan = scanBlockComment(text, start + 2, false, false);
  return makeDelimitedToken("comment", start, 2, scan, 2);
}

/** Reads a quoted token whose opening quote is at `start + prefixLength - 1`. */
function readQuoted(
  text: string,
  start: number,
  prefixLength: number,
  kind: "string" | "quoted-identifier",
  rules: QuoteRules = kind === "string" ? stringQuotes : identifierQuotes,
): SqlToken {
  const openQuote = text.charCodeAt(start + prefixLength - 1);
  const scan = scanQuoted(text, start + prefixLength, openQuote, rules);
  return makeDelimitedToken(kind, start, prefixLength, scan, 1);
}

/**
 * Reads `0x1F`, `0b101` or a decimal number. MySQL identifiers may start with digits, so digits followed by
 * identifier characters, as in `1abc` or `0x1G`, form one word. Numbers with a dot or exponent sign do not.
 */
function readNumber(text: string, start: number): SqlToken {
  const isBinaryDigit = (code: number) => code === 0x30 || code === 0x31;
  const prefixed = Math.max(
    scanPrefixedInteger(text, start, "x", isHexDigit, false),
    scanPrefixedInteger(text, start, "b", isBinaryDigit, false),
  );
  const end = prefixed > 0 ? prefixed : scanDecimal(text, start, false);

  const hasSymbol = /[.+-]/.test(text.slice(start, end));
  if (!hasSymbol && isWordPart(text.charCodeAt(end))) {
    return makeToken("word", start, skipWhile(text, end, isWordPart));
  }
  return makeToken("number", start, end);
}

/** Reads `X'…'`, `B'…'`, `N'…'`, an introducer such as `_utf8mb4'…'`, or else a bare word. */
function readPrefixedOrWord(text: string, start: number): SqlToken {
  const letter = (text[start] ?? "").toUpperCase();
  if (text.charCodeAt(start + 1) === SINGLE_QUOTE) {
    if (letter === "X" || letter === "B")
      return readQuoted(text, start, 2, "string", bitStringQuotes);
    if (letter === "N") return readQuoted(text, start, 2, "string");
  }

  const end = skipWhile(text, start, isWordPart);
  const quote = text.charCodeAt(end);
  const isIntroducer =
    text.charCodeAt(start) === UNDERSCORE && (quote === SINGLE_QUOTE || quote === DOUBLE_QUOTE);
  if (isIntroducer) return readQuoted(text, start, end - start + 1, "string");

  return makeToken("word", start, end);
}
