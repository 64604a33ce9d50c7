// PostgreSQL lexer. It follows the server's scanner (src/backend/parser/scan.l) with
// standard_conforming_strings on, the default since PostgreSQL 9.1.
import { codeSet, isDigit, isHexDigit, isWordPart, isWordStart, skipWhile } from "./chars";
import {
  type QuoteRules,
  scanBlockComment,
  scanDecimal,
  scanLineComment,
  scanPrefixedInteger,
  scanQuoted,
  scanWhitespace,
} from "./scan";
import { makeDelimitedToken, makeToken, type SqlToken } from "./tokens";

const SINGLE_QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const DOLLAR = 0x24;

// NOTE: with standard_conforming_strings off, `'…'` takes backslash escapes too, so `'\'` no longer closes.
// This lexer assumes the default and cannot see the session setting.
const standardQuotes: QuoteRules = { backslash: false, doubling: true, nulEndsInput: false };
const escapeQuotes: QuoteRules = { backslash: true, doubling: true, nulEndsInput: false };
// Bit and hex strings hold only digits, so the first quote ends them.
const bitStringQuotes: QuoteRules = { backslash: false, doubling: false, nulEndsInput: false };

// Characters that PostgreSQL operators are made of.
const operatorCodes = codeSet("+-*/<>=~!@#%^&|`?");
// An operator that contains one of these may end in `+` or `-`.
const signSuffixCodes = codeSet("~!@#%^&|`?");
const punctuationCodes = codeSet("(),;[].:");
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;

/** Appends the PostgreSQL token that starts at `start`, or an operator and the signs that follow it. */
export function readPostgresqlToken(text: string, start: number, tokens: SqlToken[]): void {
  const code = text.charCodeAt(start);
  const isOperator =
    operatorCodes.has(code) && !text.startsWith("--", start) && !text.startsWith("/*", start);

  if (isOperator) pushOperator(text, start, tokens);
  else tokens.push(readToken(text, start, code));
}

function readToken(text: string, start: number, code: number): SqlToken {
  const whitespaceEnd = scanWhitespace(text, start);
  if (whitespaceEnd > start) return makeToken("whitespace", start, whitespaceEnd);

  if (text.startsWith("--", start)) return readLineComment(text, start);
  if (text.startsWith("/*", start)) return readBlockComment(text, start);
  if (code === SINGLE_QUOTE) return readQuoted(text, start, 1, "string", standardQuotes);
  if (code === DOUBLE_QUOTE) return readQuoted(text, start, 1, "quoted-identifier", standardQuotes);
  if (code === DOLLAR) return readDollar(text, start);
  if (isWordStart(code)) return readPrefixedOrWord(text, start);
  if (isDigit(code) || (code === DOT && isDigit(text.charCodeAt(start + 1)))) {
    return readNumber(text, start);
  }
  if (text.startsWith("::", start) || text.startsWith(":=", start)) {
    return makeToken("operator", start, start + 2);
  }
  if (punctuationCodes.has(code)) return makeToken("punctuation", start, start + 1);
  return makeToken("unknown", start, start + 1);
}

function readLineComment(text: string, start: number): SqlToken {
  const end = scanLineComment(text, start + 2, (code) => code === 0x0a || code === 0x0d);
  return makeDelimitedToken("comment", start, 2, { end, terminated: true }, 0);
}

function readBlockComment(text: string, start: number): SqlToken {
  const scan = scanBlockComment(text, start + 2, true, false);
  return makeDelimitedToken("comment", start, 2, scan, 2);
}

/** Reads a quoted token whose opening quote is at `start + prefixLength - 1`. */
function readQuoted(
  text: string,
  start: number,
  prefixLength: number,
  kind: "string" | "quoted-identifier",
  rules: QuoteRules,
): SqlToken {
  const openQuote = text.charCodeAt(start + prefixLength - 1);
  const scan = scanQuoted(text, start + prefixLength, openQuote, rules);
  return makeDelimitedToken(kind, start, prefixLength, scan, 1);
}

/** Reads `$1`, a dollar-quoted string `$$…$$` or `$tag$…$tag$`, or a lone `$`, which the server rejects. */
function readDollar(text: string, start: number): SqlToken {
  if (isDigit(text.charCodeAt(start + 1))) {
    return makeToken("parameter", start, skipWhile(text, start + 1, isDigit));
  }

  // A tag is an identifier without `$`: `$$`, `$body$`, `$_1$`.
  let tagEnd = start + 1;
  if (isWordStart(text.charCodeAt(tagEnd))) {
    tagEnd = skipWhile(text, tagEnd, (code) => code !== DOLLAR && isWordPart(code));
  }
  if (text.charCodeAt(tagEnd) !== DOLLAR) return makeToken("unknown", start, start + 1);

  const delimiter = text.slice(start, tagEnd + 1);
  const close = text.indexOf(delimiter, tagEnd + 1);
  const scan =
    close < 0
      ? { end: text.length, terminated: false }
      : { end: close + delimiter.length, terminated: true };
  return makeDelimitedToken("string", start, delimiter.length, scan, delimiter.length);
}

/** Reads `E'…'`, `B'…'`, `X'…'`, `N'…'`, `U&'…'`, `U&"…"`, or else a bare word. */
function readPrefixedOrWord(text: string, start: number): SqlToken {
  const letter = (text[start] ?? "").toUpperCase();
  const next = text.charCodeAt(start + 1);

  if (next === SINGLE_QUOTE) {
    if (letter === "E") return readQuoted(text, start, 2, "string", escapeQuotes);
    if (letter === "B" || letter === "X")
      return readQuoted(text, start, 2, "string", bitStringQuotes);
    if (letter === "N") return readQuoted(text, start, 2, "string", standardQuotes);
  }

  if (letter === "U" && text[start + 1] === "&") {
    const quote = text.charCodeAt(start + 2);
    if (quote === SINGLE_QUOTE) return readQuoted(text, start, 3, "string", standardQuotes);
    if (quote === DOUBLE_QUOTE)
      return readQuoted(text, start, 3, "quoted-identifier", standardQuotes);
  }

  return makeToken("word", start, skipWhile(text, start, isWordPart));
}

/**
 * Reads a number: decimal forms and the `0x`, `0o` and `0b` integers of PostgreSQL 16.
 * NOTE: before PostgreSQL 16 `0x1F` lexes as `0` followed by the word `x1F`, an alias in a select list.
 * Letters right after a number start the next token here. PostgreSQL 16 rejects them as trailing junk.
 */
function readNumber(text: string, start: number): SqlToken {
  const isOctalDigit = (code: number) => code >= 0x30 && code <= 0x37;
  const isBinaryDigit = (code: number) => code === 0x30 || code === 0x31;
  const prefixed = Math.max(
    scanPrefixedInteger(text, start, "x", isHexDigit, true),
    scanPrefixedInteger(text, start, "o", isOctalDigit, true),
    scanPrefixedInteger(text, start, "b", isBinaryDigit, true),
  );
  const end = prefixed > 0 ? prefixed : scanDecimal(text, start, true);
  return makeToken("number", start, end);
}

/**
 * Appends the operator at `start`. PostgreSQL ends an operator before `--` or `/*`, and drops trailing `+` and
 * `-` unless the operator contains one of `~!@#%^&|`?`, so `=-1` is `=` then `-` and `1`. Each dropped sign is
 * an operator of its own, and appending them here keeps a long run such as `=+++…` linear.
 */
function pushOperator(text: string, start: number, tokens: SqlToken[]): void {
  let runEnd = start + 1;
  let allowsSignSuffix = signSuffixCodes.has(text.charCodeAt(start));
  while (runEnd < text.length && operatorCodes.has(text.charCodeAt(runEnd))) {
    if (text.startsWith("--", runEnd) || text.startsWith("/*", runEnd)) break;
    if (signSuffixCodes.has(text.charCodeAt(runEnd))) allowsSignSuffix = true;
    runEnd++;
  }

  let end = runEnd;
  if (!allowsSignSuffix) {
    while (end - start > 1 && isSign(text.charCodeAt(end - 1))) end--;
  }

  tokens.push(makeToken("operator", start, end));
  for (let offset = end; offset < runEnd; offset++) {
    tokens.push(makeToken("operator", offset, offset + 1));
  }
}

function isSign(code: number): boolean {
  return code === PLUS || code === MINUS;
}
