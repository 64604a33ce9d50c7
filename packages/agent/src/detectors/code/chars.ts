// Character classes of ECMAScript 2024 source text, by UTF-16 code unit or code point.

const identifierStartPattern = /[\p{ID_Start}$_]/u;
const identifierPartPattern = /[\p{ID_Continue}$\u200c\u200d]/u;

export function isDecimalDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

export function isHexDigit(code: number): boolean {
  return isDecimalDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** True for `\n`, `\r`, U+2028 and U+2029, which end a line comment and a single-line literal. */
export function isLineTerminator(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029;
}

/** True for the WhiteSpace production: tab, vertical tab, form feed, space, NBSP, BOM and Unicode `Zs`. */
export function isWhitespace(code: number): boolean {
  if (code === 0x20 || code === 0x09 || code === 0x0b || code === 0x0c) return true;
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0xfeff ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** True when the code point can start an identifier (`ID_Start`, `$`, `_`); `\` escapes are handled apart. */
export function isIdentifierStart(codePoint: number): boolean {
  if (codePoint < 0x80) return isAsciiLetter(codePoint) || codePoint === 0x24 || codePoint === 0x5f;
  return identifierStartPattern.test(String.fromCodePoint(codePoint));
}

/** True when the code point can continue an identifier (`ID_Continue`, `$`, ZWNJ, ZWJ). */
export function isIdentifierPart(codePoint: number): boolean {
  if (codePoint < 0x80) {
    return (
      isAsciiLetter(codePoint) ||
      isDecimalDigit(codePoint) ||
      codePoint === 0x24 ||
      codePoint === 0x5f
    );
  }
  return identifierPartPattern.test(String.fromCodePoint(codePoint));
}
