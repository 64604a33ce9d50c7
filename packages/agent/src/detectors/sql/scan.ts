// Scanners for constructs that several dialects share. Each one reads forward from an offset and returns
// where the construct ends, so a lexer stays a single left-to-right pass over the query.
import { isDigit, isSqlWhitespace, skipWhile } from "./chars";

const NUL = 0x00;
const BACKSLASH = 0x5c;
const STAR = 0x2a;
const SLASH = 0x2f;
const DOT = 0x2e;
const UNDERSCORE = 0x5f;

/** End offset of a scanned construct, and whether its closing delimiter was found before the end of input. */
export interface ScanResult {
  readonly end: number;
  readonly terminated: boolean;
}

/** Escape rules of a quoted string or identifier for its closing quote. */
export interface QuoteRules {
  /** `\` makes the next code unit part of the content (MySQL strings, PostgreSQL `E'…'`). */
  readonly backslash: boolean;
  /** Two closing quotes in a row stand for one quote inside the content. */
  readonly doubling: boolean;
  /** A NUL code unit ends the statement text, as in SQLite, so the construct is unterminated there. */
  readonly nulEndsInput: boolean;
}

/** Scans quoted content from `from`, the offset after the opening quote, up to and including `closeQuote`. */
export function scanQuoted(
  text: string,
  from: number,
  closeQuote: number,
  rules: QuoteRules,
): ScanResult {
  let index = from;
  while (index < text.length) {
    const code = text.charCodeAt(index);

    if (code === NUL && rules.nulEndsInput) return { end: index, terminated: false };

    if (code === BACKSLASH && rules.backslash) {
      index += 2;
      continue;
    }

    if (code === closeQuote) {
      if (rules.doubling && text.charCodeAt(index + 1) === closeQuote) {
        index += 2;
        continue;
      }
      return { end: index + 1, terminated: true };
    }

    index++;
  }

  // A backslash as the last code unit steps past the end, so clamp.
  return { end: text.length, terminated: false };
}

/**
 * Scans a block comment body from `from`, the offset after its `/*`, up to and including the closing `*\/`.
 * With `nested`, each inner `/*` needs its own `*\/`, as in PostgreSQL.
 */
export function scanBlockComment(
  text: string,
  from: number,
  nested: boolean,
  nulEndsInput: boolean,
): ScanResult {
  let depth = 1;
  let index = from;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);

    if (code === NUL && nulEndsInput) return { end: index, terminated: false };

    if (code === STAR && next === SLASH) {
      depth--;
      index += 2;
      if (depth === 0) return { end: index, terminated: true };
      continue;
    }

    if (nested && code === SLASH && next === STAR) {
      depth++;
      index += 2;
      continue;
    }

    index++;
  }
  return { end: text.length, terminated: false };
}

/** Returns the offset of the first code unit at or after `from` that ends a line comment, or the input length. */
export function scanLineComment(
  text: string,
  from: number,
  endsComment: (code: number) => boolean,
): number {
  let index = from;
  while (index < text.length && !endsComment(text.charCodeAt(index))) index++;
  return index;
}

export function scanWhitespace(text: string, from: number): number {
  return skipWhile(text, from, isSqlWhitespace);
}

/**
 * Scans a run of digits that match `isDigitOfBase`. With `underscores`, a single `_` may separate two digits,
 * as PostgreSQL 16 and SQLite 3.46 allow. Returns `from` when no digit is there.
 */
export function scanDigits(
  text: string,
  from: number,
  isDigitOfBase: (code: number) => boolean,
  underscores: boolean,
): number {
  let index = from;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (isDigitOfBase(code)) {
      index++;
      continue;
    }

    const separatesDigits =
      underscores &&
      code === UNDERSCORE &&
      index > from &&
      isDigitOfBase(text.charCodeAt(index + 1));
    if (!separatesDigits) break;
    index++;
  }
  return index;
}

/**
 * Scans a decimal number at `from`: digits, an optional fraction and an optional exponent, as in `12`, `1.5`,
 * `.5`, `3.` and `1e-3`. The caller checks that a digit, or a dot and a digit, is at `from`.
 */
export function scanDecimal(text: string, from: number, underscores: boolean): number {
  let index = scanDigits(text, from, isDigit, underscores);

  // `1..5` is an integer followed by `..`, so a dot followed by a dot ends the number.
  if (text.charCodeAt(index) === DOT && text.charCodeAt(index + 1) !== DOT) {
    index = scanDigits(text, index + 1, isDigit, underscores);
  }

  return scanExponent(text, index, underscores);
}

function scanExponent(text: string, from: number, underscores: boolean): number {
  const marker = text.charCodeAt(from);
  if (marker !== 0x45 && marker !== 0x65) return from;

  let digitsStart = from + 1;
  const sign = text.charCodeAt(digitsStart);
  if (sign === 0x2b || sign === 0x2d) digitsStart++;

  // Without digits the `e` belongs to the next token, as in `1end`.
  const end = scanDigits(text, digitsStart, isDigit, underscores);
  return end > digitsStart ? end : from;
}

/**
 * Scans an integer with a two-character radix prefix such as `0x1F`. Returns -1 when `text[from]` is not `0`,
 * the prefix letter differs, or no digit follows the prefix.
 */
export function scanPrefixedInteger(
  text: string,
  from: number,
  prefixLetter: string,
  isDigitOfBase: (code: number) => boolean,
  underscores: boolean,
): number {
  if (text.charCodeAt(from) !== 0x30) return -1;
  if (text[from + 1]?.toLowerCase() !== prefixLetter) return -1;

  const end = scanDigits(text, from + 2, isDigitOfBase, underscores);
  return end > from + 2 ? end : -1;
}

/** Operators grouped by their first code unit, longest first, for `matchOperator`. */
export type OperatorTable = ReadonlyMap<number, readonly string[]>;

export function buildOperatorTable(operators: readonly string[]): OperatorTable {
  const table = new Map<number, string[]>();
  for (const operator of [...operators].sort((a, b) => b.length - a.length)) {
    const code = operator.charCodeAt(0);
    table.set(code, [...(table.get(code) ?? []), operator]);
  }
  return table;
}

/** Returns the length of the longest operator in `table` that starts at `from`, or 0. */
export function matchOperator(text: string, from: number, table: OperatorTable): number {
  const candidates = table.get(text.charCodeAt(from)) ?? [];
  for (const operator of candidates) {
    if (text.startsWith(operator, from)) return operator.length;
  }
  return 0;
}
