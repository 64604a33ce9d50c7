// SQLite lexer. It follows the SQLite 3.46 documentation ("SQL Language Expressions", "SQLite Keywords") and the
// behaviour of its tokenizer, which stops at the first NUL: text after a NUL is never parsed.
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
import { makeDelimitedToken, makeToken, type SqlToken } from "./tokens";

const SINGLE_QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const BACKTICK = 0x60;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUESTION_MARK = 0x3f;
const DOT = 0x2e;
const NUL = 0x00;

const doublingQuotes: QuoteRules = { backslash: false, doubling: true, nulEndsInput: true };
// `[…]` identifiers and `X'…'` blobs have no escape for their closing character.
const plainQuotes: QuoteRules = { backslash: false, doubling: false, nulEndsInput: true };

// prettier-ignore
const operators = [
  "->>", "||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->",
  "+", "-", "*", "/", "%", "=", "<", ">", "&", "|", "~",
];
const punctuationCodes = codeSet("(),;.");
// `:name`, `@name` and `$name` parameters.
const namedParameterCodes = codeSet(":@$");

/** Appends the SQLite token that starts at `start`. */
export function readSqliteToken(text: string, start: number, tokens: SqlToken[]): void {
  tokens.push(readToken(text, start));
}

function readToken(text: string, start: number): SqlToken {
  const code = text.charCodeAt(start);

  const whitespaceEnd = scanWhitespace(text, start);
  if (whitespaceEnd > start) return makeToken("whitespace", start, whitespaceEnd);

  if (text.startsWith("--", start)) {
    const end = scanLineComment(text, start, (next) => next === 0x0a || next === NUL);
    return makeDelimitedToken("comment", start, 2, { end, terminated: true }, 0);
  }
  if (text.startsWith("/*", start)) {
    const scan = scanBlockComment(text, start + 2, false, true);
    return makeDelimitedToken("comment", start, 2, scan, 2);
  }

  if (code === SINGLE_QUOTE)
    return readQuoted(text, start, 1, "string", SINGLE_QUOTE, doublingQuotes);
  if (code === DOUBLE_QUOTE || code === BACKTICK) {
    return readQuoted(text, start, 1, "quoted-identifier", code, doublingQuotes);
  }
  if (code === OPEN_BRACKET) {
    return readQuoted(text, start, 1, "quoted-identifier", CLOSE_BRACKET, plainQuotes);
  }
  if ((code === 0x58 || code === 0x78) && text.charCodeAt(start + 1) === SINGLE_QUOTE) {
    return readQuoted(text, start, 2, "string", SINGLE_QUOTE, plainQuotes);
  }

  if (isDigit(code) || (code === DOT && isDigit(text.charCodeAt(start + 1)))) {
    const hexEnd = scanPrefixedInteger(text, start, "x", isHexDigit, true);
    return makeToken("number", start, hexEnd > 0 ? hexEnd : scanDecimal(text, start, true));
  }
  if (code === QUESTION_MARK)
    return makeToken("parameter", start, skipWhile(text, start + 1, isDigit));
  if (namedParameterCodes.has(code)) return readNamedParameter(text, start);
  if (isWordStart(code)) return makeToken("word", start, skipWhile(text, start, isWordPart));

  const operatorLength = matchOperator(text, start, operators);
  if (operatorLength > 0) return makeToken("operator", start, start + operatorLength);
  if (punctuationCodes.has(code)) return makeToken("punctuation", start, start + 1);
  return makeToken("unknown", start, start + 1);
}

/** Reads a quoted token whose opening character is at `start + prefixLength - 1`. */
function readQuoted(
  text: string,
  start: number,
  prefixLength: number,
  kind: "string" | "quoted-identifier",
  closeQuote: number,
  rules: QuoteRules,
): SqlToken {
  const scan = scanQuoted(text, start + prefixLength, closeQuote, rules);
  return makeDelimitedToken(kind, start, prefixLength, scan, 1);
}

/**
 * Reads `:name`, `@name` or `$name`. Tcl-style names may contain `::`, as in `$ns::var`.
 * A sigil without a name is an unknown token, which SQLite rejects.
 */
function readNamedParameter(text: string, start: number): SqlToken {
  let end = start + 1;
  while (end < text.length) {
    if (isWordPart(text.charCodeAt(end))) end++;
    else if (end > start + 1 && text.startsWith("::", end) && isWordPart(text.charCodeAt(end + 2)))
      end += 2;
    else break;
  }
  return makeToken(
    end > start + 1 ? "parameter" : "unknown",
    start,
    end > start + 1 ? end : start + 1,
  );
}
