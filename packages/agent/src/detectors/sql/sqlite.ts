// SQLite lexer. It follows the SQLite 3.46 documentation ("SQL Language Expressions", "SQLite Keywords") and the
// behaviour of its tokenizer, which stops at the first NUL: text after a NUL is never parsed.
import {
  codeSet,
  isDigit,
  isHexDigit,
  isSqlWhitespace,
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
import type { TokenBuffer } from "./token-buffer";

const SINGLE_QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const BACKTICK = 0x60;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUESTION_MARK = 0x3f;
const DOT = 0x2e;
const NUL = 0x00;
// `code | 0x20` folds an ASCII upper-case letter onto its lower case.
const LOWER_X = 0x78;

const doublingQuotes: QuoteRules = { backslash: false, doubling: true, nulEndsInput: true };
// `[…]` identifiers and `X'…'` blobs have no escape for their closing character.
const plainQuotes: QuoteRules = { backslash: false, doubling: false, nulEndsInput: true };

// prettier-ignore
const operators = buildOperatorTable([
  "->>", "||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->",
  "+", "-", "*", "/", "%", "=", "<", ">", "&", "|", "~",
]);
const punctuationCodes = codeSet("(),;.");
// `:name`, `@name` and `$name` parameters.
const namedParameterCodes = codeSet(":@$");

/** Appends the SQLite token that starts at `start`. */
export function readSqliteToken(text: string, start: number, out: TokenBuffer): void {
  const code = text.charCodeAt(start);

  if (isSqlWhitespace(code)) return out.push("whitespace", start, scanWhitespace(text, start));

  if (text.startsWith("--", start)) {
    const end = scanLineComment(text, start, isLineFeedOrNul);
    return out.pushDelimited("comment", start, 2, { end, terminated: true }, 0);
  }
  if (text.startsWith("/*", start)) {
    return out.pushDelimited(
      "comment",
      start,
      2,
      scanBlockComment(text, start + 2, false, true),
      2,
    );
  }

  if (code === SINGLE_QUOTE) {
    return readQuoted(text, start, 1, "string", SINGLE_QUOTE, doublingQuotes, out);
  }
  if (code === DOUBLE_QUOTE || code === BACKTICK) {
    return readQuoted(text, start, 1, "quoted-identifier", code, doublingQuotes, out);
  }
  if (code === OPEN_BRACKET) {
    return readQuoted(text, start, 1, "quoted-identifier", CLOSE_BRACKET, plainQuotes, out);
  }
  if ((code | 0x20) === LOWER_X && text.charCodeAt(start + 1) === SINGLE_QUOTE) {
    return readQuoted(text, start, 2, "string", SINGLE_QUOTE, plainQuotes, out);
  }

  if (isDigit(code) || (code === DOT && isDigit(text.charCodeAt(start + 1)))) {
    const hexEnd = scanPrefixedInteger(text, start, "x", isHexDigit, true);
    return out.push("number", start, hexEnd > 0 ? hexEnd : scanDecimal(text, start, true));
  }
  if (code === QUESTION_MARK) {
    return out.push("parameter", start, skipWhile(text, start + 1, isDigit));
  }
  if (namedParameterCodes.has(code)) return readNamedParameter(text, start, out);
  if (isWordStart(code)) return out.push("word", start, skipWhile(text, start, isWordPart));
  if (punctuationCodes.has(code)) return out.push("punctuation", start, start + 1);

  const operatorLength = matchOperator(text, start, operators);
  out.push(operatorLength > 0 ? "operator" : "unknown", start, start + Math.max(operatorLength, 1));
}

function isLineFeedOrNul(code: number): boolean {
  return code === 0x0a || code === NUL;
}

/** Reads a quoted token whose opening character is at `start + prefixLength - 1`. */
function readQuoted(
  text: string,
  start: number,
  prefixLength: number,
  kind: "string" | "quoted-identifier",
  closeQuote: number,
  rules: QuoteRules,
  out: TokenBuffer,
): void {
  out.pushDelimited(
    kind,
    start,
    prefixLength,
    scanQuoted(text, start + prefixLength, closeQuote, rules),
    1,
  );
}

/**
 * Reads `:name`, `@name` or `$name`. Tcl-style names may contain `::`, as in `$ns::var`.
 * A sigil without a name is an unknown token, which SQLite rejects.
 */
function readNamedParameter(text: string, start: number, out: TokenBuffer): void {
  let end = start + 1;
  while (end < text.length) {
    if (isWordPart(text.charCodeAt(end))) end++;
    else if (end > start + 1 && text.startsWith("::", end) && isWordPart(text.charCodeAt(end + 2)))
      end += 2;
    else break;
  }

  if (end > start + 1) out.push("parameter", start, end);
  else out.push("unknown", start, start + 1);
}
