// MySQL and MariaDB lexer, with the default sql_mode: `"…"` is a string (no ANSI_QUOTES) and backslash
// escapes apply (no NO_BACKSLASH_ESCAPES). The rules follow the MySQL 8.4 reference manual, chapters
// "Literal Values" and "Comments", and MariaDB's "Comment Syntax" page for `/*M!…*/`.
import {
  codeSet,
  isBinaryDigit,
  isDigit,
  isHexDigit,
  isSqlWhitespace,
  isLineFeed,
  isWordPart,
  isWordStart,
  skipWhile,
} from "./chars";
import {
  type QuoteRules,
  buildOperatorTable,
  matchOperator,
  scanBlockComment,
  scanDecimal,
  scanLineComment,
  scanPrefixedInteger,
  scanQuoted,
  scanWhitespace,
} from "./scan";
import { collectTokens, type TokenBuffer } from "./token-buffer";

const SINGLE_QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const BACKTICK = 0x60;
const HASH = 0x23;
const DOLLAR = 0x24;
const QUESTION_MARK = 0x3f;
const DOT = 0x2e;
const UNDERSCORE = 0x5f;
// Prefix letters in lower case. `code | 0x20` folds an ASCII upper-case letter onto them.
const LOWER_B = 0x62;
const LOWER_N = 0x6e;
const LOWER_X = 0x78;

// NOTE: under sql_mode NO_BACKSLASH_ESCAPES the server does not treat `\` as an escape, so `'\'` closes there.
// The lexer cannot see the session's sql_mode and assumes the default.
const stringQuotes: QuoteRules = { backslash: true, doubling: true, nulEndsInput: false };
const identifierQuotes: QuoteRules = { backslash: false, doubling: true, nulEndsInput: false };
// Hex and bit literals hold only digits, so the first quote ends them.
const bitStringQuotes: QuoteRules = { backslash: false, doubling: false, nulEndsInput: false };

// `@` starts user and system variables (`@id`, `@@version`); it is kept as an operator of its own.
// prettier-ignore
const operators = buildOperatorTable([
  "<=>", "->>", "<=", ">=", "<>", "!=", "||", "&&", "<<", ">>", ":=", "->",
  "+", "-", "*", "/", "%", "=", "<", ">", "!", "~", "^", "&", "|", "@",
]);
const punctuationCodes = codeSet("(),;.{}:");

/** Splits a MySQL or MariaDB query into tokens. */
export function lexMysql(query: string): TokenBuffer {
  // Index of the open token of the executable comment that the lexer is inside, or -1.
  let executableOpen = -1;

  const out = collectTokens(query, (text, start, buffer) => {
    readToken(text, start, executableOpen >= 0, buffer);

    const index = buffer.count - 1;
    const kind = buffer.kind(index);
    if (kind === "executable-comment-open") executableOpen = index;
    else if (kind === "executable-comment-close") executableOpen = -1;
    else if (executableOpen >= 0) buffer.markInExecutableComment(index);
  });

  if (executableOpen >= 0) out.markUnterminated(executableOpen);
  return out;
}

/** Reads the token at `start`. Inside an executable comment, `*\/` closes it and `/*` opens an ordinary comment. */
function readToken(
  text: string,
  start: number,
  inExecutableComment: boolean,
  out: TokenBuffer,
): void {
  const code = text.charCodeAt(start);

  if (isSqlWhitespace(code)) return out.push("whitespace", start, scanWhitespace(text, start));

  if (inExecutableComment && text.startsWith("*/", start)) {
    return out.push("executable-comment-close", start, start + 2);
  }
  if (text.startsWith("/*", start)) return readBlockComment(text, start, inExecutableComment, out);
  if (code === HASH || isDashDashComment(text, start)) {
    const end = scanLineComment(text, start, isLineFeed);
    return out.pushDelimited("comment", start, code === HASH ? 1 : 2, { end, terminated: true }, 0);
  }

  if (code === SINGLE_QUOTE || code === DOUBLE_QUOTE) {
    return readQuoted(text, start, 1, "string", out);
  }
  if (code === BACKTICK) return readQuoted(text, start, 1, "quoted-identifier", out);
  if (code === QUESTION_MARK) return out.push("parameter", start, start + 1);
  if (isDigit(code) || (code === DOT && isDigit(text.charCodeAt(start + 1)))) {
    return readNumber(text, start, out);
  }
  if (isWordStart(code) || code === DOLLAR) return readPrefixedOrWord(text, start, out);
  if (punctuationCodes.has(code) && !text.startsWith(":=", start)) {
    return out.push("punctuation", start, start + 1);
  }

  const operatorLength = matchOperator(text, start, operators);
  out.push(operatorLength > 0 ? "operator" : "unknown", start, start + Math.max(operatorLength, 1));
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
function readBlockComment(
  text: string,
  start: number,
  inExecutableComment: boolean,
  out: TokenBuffer,
): void {
  const markerLength = text.startsWith("/*!", start) ? 3 : text.startsWith("/*M!", start) ? 4 : 0;
  if (markerLength > 0 && !inExecutableComment) {
    const versionStart = start + markerLength;
    const maxVersionDigits = markerLength === 3 ? 5 : 6;
    const versionEnd = Math.min(
      skipWhile(text, versionStart, isDigit),
      versionStart + maxVersionDigits,
    );
    return out.push("executable-comment-open", start, versionEnd);
  }

  // MySQL does not nest comments, so the first `*/` ends this one, also inside an executable comment.
  out.pushDelimited("comment", start, 2, scanBlockComment(text, start + 2, false, false), 2);
}

/** Reads a quoted token whose opening quote is at `start + prefixLength - 1`. */
function readQuoted(
  text: string,
  start: number,
  prefixLength: number,
  kind: "string" | "quoted-identifier",
  out: TokenBuffer,
  rules: QuoteRules = kind === "string" ? stringQuotes : identifierQuotes,
): void {
  const openQuote = text.charCodeAt(start + prefixLength - 1);
  out.pushDelimited(
    kind,
    start,
    prefixLength,
    scanQuoted(text, start + prefixLength, openQuote, rules),
    1,
  );
}

/**
 * Reads `0x1F`, `0b101` or a decimal number. MySQL identifiers may start with digits, so digits followed by
 * identifier characters, as in `1abc` or `0x1G`, form one word. Numbers with a dot or exponent sign do not.
 */
function readNumber(text: string, start: number, out: TokenBuffer): void {
  let end = -1;
  if (text.charCodeAt(start) === 0x30) {
    end = Math.max(
      scanPrefixedInteger(text, start, "x", isHexDigit, false),
      scanPrefixedInteger(text, start, "b", isBinaryDigit, false),
    );
  }
  if (end < 0) end = scanDecimal(text, start, false);

  const continuesAsWord =
    isWordPart(text.charCodeAt(end)) && skipWhile(text, start, isWordPart) >= end;
  if (continuesAsWord) return out.push("word", start, skipWhile(text, end, isWordPart));
  out.push("number", start, end);
}

/** Reads `X'…'`, `B'…'`, `N'…'`, an introducer such as `_utf8mb4'…'`, or else a bare word. */
function readPrefixedOrWord(text: string, start: number, out: TokenBuffer): void {
  const letter = text.charCodeAt(start) | 0x20;
  if (text.charCodeAt(start + 1) === SINGLE_QUOTE) {
    if (letter === LOWER_X || letter === LOWER_B) {
      return readQuoted(text, start, 2, "string", out, bitStringQuotes);
    }
    if (letter === LOWER_N) return readQuoted(text, start, 2, "string", out);
  }

  const end = skipWhile(text, start, isWordPart);
  const quote = text.charCodeAt(end);
  const isIntroducer =
    text.charCodeAt(start) === UNDERSCORE && (quote === SINGLE_QUOTE || quote === DOUBLE_QUOTE);
  if (isIntroducer) return readQuoted(text, start, end - start + 1, "string", out);

  out.push("word", start, end);
}
