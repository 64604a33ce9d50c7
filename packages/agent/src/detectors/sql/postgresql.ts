// PostgreSQL lexer. It follows the server's scanner (src/backend/parser/scan.l in the PostgreSQL 16 sources)
// with standard_conforming_strings on, the default since PostgreSQL 9.1.
import {
  codeSet,
  isBinaryDigit,
  isDigit,
  isHexDigit,
  isSqlWhitespace,
  isLineBreak,
  isOctalDigit,
  isWordPart,
  isWordStart,
  skipWhile,
} from "./chars";
import {
  type QuoteRules,
  type ScanResult,
  scanBlockComment,
  scanDecimal,
  scanLineComment,
  scanPrefixedInteger,
  scanQuoted,
  scanWhitespace,
} from "./scan";
import type { TokenBuffer } from "./token-buffer";

const SINGLE_QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const DOLLAR = 0x24;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
// Prefix letters in lower case. `code | 0x20` folds an ASCII upper-case letter onto them.
const LOWER_B = 0x62;
const LOWER_E = 0x65;
const LOWER_N = 0x6e;
const LOWER_U = 0x75;
const LOWER_X = 0x78;

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

/** Appends the PostgreSQL token that starts at `start`, or an operator and the signs split off it. */
export function readPostgresqlToken(text: string, start: number, out: TokenBuffer): void {
  const code = text.charCodeAt(start);

  if (isSqlWhitespace(code)) return out.push("whitespace", start, scanWhitespace(text, start));

  if (text.startsWith("--", start)) return readLineComment(text, start, out);
  if (text.startsWith("/*", start)) return readBlockComment(text, start, out);
  if (operatorCodes.has(code)) return pushOperator(text, start, out);
  if (code === SINGLE_QUOTE) return readQuoted(text, start, 1, "string", standardQuotes, out);
  if (code === DOUBLE_QUOTE) {
    return readQuoted(text, start, 1, "quoted-identifier", standardQuotes, out);
  }
  if (code === DOLLAR) return readDollar(text, start, out);
  if (isWordStart(code)) return readPrefixedOrWord(text, start, out);
  if (isDigit(code) || (code === DOT && isDigit(text.charCodeAt(start + 1)))) {
    return readNumber(text, start, out);
  }
  if (text.startsWith("::", start) || text.startsWith(":=", start)) {
    return out.push("operator", start, start + 2);
  }
  if (punctuationCodes.has(code)) return out.push("punctuation", start, start + 1);
  out.push("unknown", start, start + 1);
}

function readLineComment(text: string, start: number, out: TokenBuffer): void {
  const end = scanLineComment(text, start + 2, isLineBreak);
  out.pushDelimited("comment", start, 2, { end, terminated: true }, 0);
}

function readBlockComment(text: string, start: number, out: TokenBuffer): void {
  out.pushDelimited("comment", start, 2, scanBlockComment(text, start + 2, true, false), 2);
}

/** Reads a quoted token whose opening quote is at `start + prefixLength - 1`. */
function readQuoted(
  text: string,
  start: number,
  prefixLength: number,
  kind: "string" | "quoted-identifier",
  rules: QuoteRules,
  out: TokenBuffer,
): void {
  const openQuote = text.charCodeAt(start + prefixLength - 1);
  const scan = scanQuoted(text, start + prefixLength, openQuote, rules);
  out.pushDelimited(kind, start, prefixLength, scan, 1);
}

/** Reads `$1`, a dollar-quoted string `$$…$$` or `$tag$…$tag$`, or a lone `$`, which the server rejects. */
function readDollar(text: string, start: number, out: TokenBuffer): void {
  if (isDigit(text.charCodeAt(start + 1))) {
    return out.push("parameter", start, skipWhile(text, start + 1, isDigit));
  }

  // A tag is an identifier without `$`: `$$`, `$body$`, `$_1$`.
  let tagEnd = start + 1;
  if (isWordStart(text.charCodeAt(tagEnd))) {
    tagEnd = skipWhile(text, tagEnd, isDollarTagPart);
  }
  if (text.charCodeAt(tagEnd) !== DOLLAR) return out.push("unknown", start, start + 1);

  const delimiter = text.slice(start, tagEnd + 1);
  const close = text.indexOf(delimiter, tagEnd + 1);
  const scan: ScanResult =
    close < 0
      ? { end: text.length, terminated: false }
      : { end: close + delimiter.length, terminated: true };
  out.pushDelimited("string", start, delimiter.length, scan, delimiter.length);
}

function isDollarTagPart(code: number): boolean {
  return code !== DOLLAR && isWordPart(code);
}

/** Reads `E'…'`, `B'…'`, `X'…'`, `N'…'`, `U&'…'`, `U&"…"`, or else a bare word. */
function readPrefixedOrWord(text: string, start: number, out: TokenBuffer): void {
  const letter = text.charCodeAt(start) | 0x20;
  const next = text.charCodeAt(start + 1);

  if (next === SINGLE_QUOTE) {
    if (letter === LOWER_E) return readQuoted(text, start, 2, "string", escapeQuotes, out);
    if (letter === LOWER_B || letter === LOWER_X) {
      return readQuoted(text, start, 2, "string", bitStringQuotes, out);
    }
    if (letter === LOWER_N) return readQuoted(text, start, 2, "string", standardQuotes, out);
  }

  if (letter === LOWER_U && text[start + 1] === "&") {
    const quote = text.charCodeAt(start + 2);
    if (quote === SINGLE_QUOTE) return readQuoted(text, start, 3, "string", standardQuotes, out);
    if (quote === DOUBLE_QUOTE) {
      return readQuoted(text, start, 3, "quoted-identifier", standardQuotes, out);
    }
  }

  out.push("word", start, skipWhile(text, start, isWordPart));
}

/**
 * Reads a number: decimal forms and the `0x`, `0o` and `0b` integers of PostgreSQL 16.
 * NOTE: before PostgreSQL 16 `0x1F` lexes as `0` followed by the word `x1F`, an alias in a select list.
 * Letters right after a number start the next token here. PostgreSQL 16 rejects them as trailing junk.
 */
function readNumber(text: string, start: number, out: TokenBuffer): void {
  let end = -1;
  if (text.charCodeAt(start) === 0x30) {
    end = Math.max(
      scanPrefixedInteger(text, start, "x", isHexDigit, true),
      scanPrefixedInteger(text, start, "o", isOctalDigit, true),
      scanPrefixedInteger(text, start, "b", isBinaryDigit, true),
    );
  }
  out.push("number", start, end > 0 ? end : scanDecimal(text, start, true));
}

/**
 * Appends the operator at `start`. PostgreSQL ends an operator before `--` or `/*`, and drops trailing `+` and
 * `-` unless the operator contains one of `~!@#%^&|`?`, so `=-1` is `=` then `-` and `1`. Each dropped sign is
 * an operator of its own, and appending them here keeps a long run such as `=+++…` linear.
 */
function pushOperator(text: string, start: number, out: TokenBuffer): void {
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

  out.push("operator", start, end);
  for (let offset = end; offset < runEnd; offset++) out.push("operator", offset, offset + 1);
}

function isSign(code: number): boolean {
  return code === PLUS || code === MINUS;
}
