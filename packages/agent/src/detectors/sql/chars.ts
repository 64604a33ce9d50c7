// Character classes shared by the dialect lexers. All take a UTF-16 code unit, or NaN past the end of input,
// for which every test returns false.

/** Space, tab, line feed, vertical tab, form feed and carriage return: the whitespace of all three dialects. */
export function isSqlWhitespace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

export function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

export function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

export function isOctalDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x37;
}

export function isBinaryDigit(code: number): boolean {
  return code === 0x30 || code === 0x31;
}

/** Line feed, which ends `--` and `#` comments in MySQL and SQLite. */
export function isLineFeed(code: number): boolean {
  return code === 0x0a;
}

/** Line feed or carriage return, which end `--` comments in PostgreSQL. */
export function isLineBreak(code: number): boolean {
  return code === 0x0a || code === 0x0d;
}

export function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/**
 * Returns whether the code unit can start a bare identifier: a letter, `_`, or any non-ASCII unit.
 * All three dialects accept every non-ASCII character in identifiers, so surrogate pairs stay inside words.
 */
export function isWordStart(code: number): boolean {
  return isAsciiLetter(code) || code === 0x5f || code >= 0x80;
}

/** Returns whether the code unit can continue a bare identifier, which adds digits and `$` to the start set. */
export function isWordPart(code: number): boolean {
  return isWordStart(code) || isDigit(code) || code === 0x24;
}

/** Returns the offset of the first code unit at or after `from` that fails `test`. */
export function skipWhile(text: string, from: number, test: (code: number) => boolean): number {
  let index = from;
  while (index < text.length && test(text.charCodeAt(index))) index++;
  return index;
}

/** Returns the set of UTF-16 code units in `chars`, for membership tests that reject NaN. */
export function codeSet(chars: string): ReadonlySet<number> {
  return new Set([...chars].map((char) => char.charCodeAt(0)));
}
