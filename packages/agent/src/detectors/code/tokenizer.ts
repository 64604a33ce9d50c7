import {
  isDecimalDigit,
  isHexDigit,
  isIdentifierPart,
  isIdentifierStart,
  isLineTerminator,
  isWhitespace,
} from "./chars";
import { keywordsBeforeExpression, TokenKind, TokenList, unterminatedFlag } from "./tokens";

const longPunctuators = new Set([
  ">>>=",
  "...",
  "===",
  "!==",
  "**=",
  "<<=",
  ">>=",
  ">>>",
  "&&=",
  "||=",
  "??=",
  "=>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "??",
  "?.",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "**",
  "<<",
  ">>",
]);

const singlePunctuators = "{}()[];,<>+-*/%&|^!~?:=.@";

/**
 * Splits JavaScript source text into tokens in one pass. It never throws: text that is not valid
 * JavaScript still yields tokens, with `invalid` for stray characters and the unterminated flag on
 * literals and comments that the text ends inside.
 *
 * Template literals are split at `${` and at the `}` that closes the substitution, so the code
 * inside a substitution is tokenized like any other code. A `/` starts a regular expression
 * when the previous token cannot end an expression (an operator, `(`, `return`).
 * NOTE: that heuristic reads `}` as the end of a block, so in the rare division right after an
 * object literal (`x = {} / 2`) the `/` starts a regular expression.
 *
 * Annex B comments (`<!--`, and `-->` at the start of a line) are comments, as in scripts that
 * `eval`, `Function` and `vm.Script` compile. Time and memory are linear in the text length.
 */
export function tokenize(text: string): TokenList {
  return new Tokenizer(text).run();
}

class Tokenizer {
  private readonly tokens = new TokenList();
  private position = 0;
  /** Open `{` count inside each enclosing template substitution, innermost last. */
  private readonly braceDepths: number[] = [];
  private previousKind = 0;
  private previousStart = 0;
  private previousEnd = 0;
  /** True when only whitespace and comments precede the position on its line. */
  private atLineStart = true;

  constructor(private readonly text: string) {}

  run(): TokenList {
    const length = this.text.length;
    while (this.position < length) {
      const code = this.text.charCodeAt(this.position);
      if (isWhitespace(code)) {
        this.position++;
        continue;
      }
      if (isLineTerminator(code)) {
        this.position++;
        this.atLineStart = true;
        continue;
      }
      this.scanToken(code);
    }
    return this.tokens;
  }

  private scanToken(code: number): void {
    const start = this.position;
    const next = this.text.charCodeAt(start + 1);

    if (code === 0x2f /* / */) {
      if (next === 0x2f) return this.scanLineComment(start);
      if (next === 0x2a /* * */) return this.scanBlockComment(start);
      if (this.regexAllowed()) return this.scanRegex(start);
    }
    if (this.startsAnnexBComment(code, start)) return this.scanLineComment(start);
    if (code === 0x22 || code === 0x27) return this.scanString(start, code);
    if (code === 0x60 /* ` */) return this.scanTemplate(start, false);
    if (code === 0x7d /* } */ && this.closesSubstitution()) return this.scanTemplate(start, true);
    if (isDecimalDigit(code) || (code === 0x2e && isDecimalDigit(next)))
      return this.scanNumber(start);
    if (code === 0x23 /* # */) return this.scanHash(start, next);

    const codePoint = this.text.codePointAt(start) ?? code;
    if (isIdentifierStart(codePoint) || this.startsUnicodeEscape(start))
      return this.scanIdentifier(start, TokenKind.identifier);

    this.scanPunctuatorOrInvalid(start, codePoint);
  }

  private emit(kind: TokenKind, start: number, end: number, flags = 0): void {
    this.tokens.push(kind, start, end, flags);
    this.position = end;

    const isComment = kind === TokenKind.lineComment || kind === TokenKind.blockComment;
    if (isComment) return;

    this.previousKind = kind;
    this.previousStart = start;
    this.previousEnd = end;
    this.atLineStart = false;
  }

  private previousText(): string {
    return this.text.slice(this.previousStart, this.previousEnd);
  }

  /** Decides between a regular expression and a division from the token before `/`. */
  private regexAllowed(): boolean {
    switch (this.previousKind) {
      case 0:
      case TokenKind.templateHead:
      case TokenKind.templateMiddle:
        return true;
      case TokenKind.punctuator: {
        const previous = this.previousText();
        return previous !== ")" && previous !== "]" && previous !== "++" && previous !== "--";
      }
      case TokenKind.identifier:
        return keywordsBeforeExpression.has(this.previousText());
      default:
        return false;
    }
  }

  private startsAnnexBComment(code: number, start: number): boolean {
    if (code === 0x3c /* < */) return this.text.startsWith("<!--", start);
    if (code === 0x2d /* - */) return this.atLineStart && this.text.startsWith("-->", start);
    return false;
  }

  private startsUnicodeEscape(start: number): boolean {
    return this.text.charCodeAt(start) === 0x5c && this.text.charCodeAt(start + 1) === 0x75;
  }

  private closesSubstitution(): boolean {
    const depth = this.braceDepths.length;
    return depth > 0 && this.braceDepths[depth - 1] === 0;
  }

  private scanLineComment(start: number): void {
    let end = start + 2;
    while (end < this.text.length && !isLineTerminator(this.text.charCodeAt(end))) end++;
    this.emit(TokenKind.lineComment, start, end);
  }

  private scanBlockComment(start: number): void {
    const close = this.text.indexOf("*/", start + 2);
    const end = close < 0 ? this.text.length : close + 2;

    for (let index = start + 2; index < end; index++) {
      if (isLineTerminator(this.text.charCodeAt(index))) {
        this.atLineStart = true;
        break;
      }
    }
    this.emit(TokenKind.blockComment, start, end, close < 0 ? unterminatedFlag : 0);
  }

  /** Scans a `'` or `"` string. An unescaped `\n` or `\r` ends it unterminated; U+2028 and U+2029 do not. */
  private scanString(start: number, quote: number): void {
    const length = this.text.length;
    let index = start + 1;
    while (index < length) {
      const code = this.text.charCodeAt(index);
      if (code === quote) return this.emit(TokenKind.string, start, index + 1);
      if (code === 0x0a || code === 0x0d) break;
      index += code === 0x5c ? this.escapeLength(index) : 1;
    }
    this.emit(TokenKind.string, start, Math.min(index, length), unterminatedFlag);
  }

  /** Length of the escape sequence at `index` (a `\`), counting `\` CR LF as one line continuation. */
  private escapeLength(index: number): number {
    const next = this.text.charCodeAt(index + 1);
    if (next === 0x0d && this.text.charCodeAt(index + 2) === 0x0a) return 3;
    return 2;
  }

  /**
   * Scans from `` ` `` (or from the `}` that closes a substitution) to the next `` ` `` or `${`.
   * On `${` the tokenizer enters the substitution and comes back at its closing `}`.
   */
  private scanTemplate(start: number, resumes: boolean): void {
    if (resumes) this.braceDepths.pop();

    const length = this.text.length;
    let index = start + 1;
    while (index < length) {
      const code = this.text.charCodeAt(index);
      if (code === 0x60) {
        const kind = resumes ? TokenKind.templateTail : TokenKind.template;
        return this.emit(kind, start, index + 1);
      }
      if (code === 0x24 && this.text.charCodeAt(index + 1) === 0x7b) {
        this.braceDepths.push(0);
        const kind = resumes ? TokenKind.templateMiddle : TokenKind.templateHead;
        return this.emit(kind, start, index + 2);
      }
      index += code === 0x5c ? this.escapeLength(index) : 1;
    }
    const kind = resumes ? TokenKind.templateTail : TokenKind.template;
    this.emit(kind, start, Math.min(index, length), unterminatedFlag);
  }

  /** Scans `/body/flags`; `/` inside a class (`[/]`) or escaped does not close it, a line terminator does. */
  private scanRegex(start: number): void {
    const length = this.text.length;
    let inClass = false;
    let index = start + 1;
    while (index < length) {
      const code = this.text.charCodeAt(index);
      if (isLineTerminator(code)) break;
      if (code === 0x5c) {
        if (isLineTerminator(this.text.charCodeAt(index + 1))) {
          index++;
          break;
        }
        index += 2;
        continue;
      }
      if (code === 0x5b) inClass = true;
      else if (code === 0x5d) inClass = false;
      else if (code === 0x2f && !inClass) {
        return this.emit(TokenKind.regex, start, this.skipIdentifierParts(index + 1));
      }
      index++;
    }
    this.emit(TokenKind.regex, start, Math.min(index, length), unterminatedFlag);
  }

  /** Scans decimal, hex, octal, binary and legacy octal numbers with `_` separators and a BigInt `n`. */
  private scanNumber(start: number): void {
    const text = this.text;
    let index = start;
    const second = text.charCodeAt(start + 1) | 0x20;
    const prefixed =
      text.charCodeAt(start) === 0x30 && (second === 0x78 || second === 0x6f || second === 0x62);

    if (prefixed) {
      index = this.skipWhile(start + 2, (code) => isHexDigit(code) || code === 0x5f);
    } else {
      index = this.skipDecimalDigits(index);
      if (text.charCodeAt(index) === 0x2e) index = this.skipDecimalDigits(index + 1);
      index = this.skipExponent(index);
    }
    if (text.charCodeAt(index) === 0x6e /* n */) index++;
    this.emit(TokenKind.number, start, index);
  }

  private skipDecimalDigits(from: number): number {
    return this.skipWhile(from, (code) => isDecimalDigit(code) || code === 0x5f);
  }

  private skipExponent(from: number): number {
    if ((this.text.charCodeAt(from) | 0x20) !== 0x65 /* e */) return from;

    let index = from + 1;
    const sign = this.text.charCodeAt(index);
    if (sign === 0x2b || sign === 0x2d) index++;
    if (!isDecimalDigit(this.text.charCodeAt(index))) return from;
    return this.skipDecimalDigits(index);
  }

  private skipWhile(from: number, accept: (code: number) => boolean): number {
    let index = from;
    while (index < this.text.length && accept(this.text.charCodeAt(index))) index++;
    return index;
  }

  /** `#!` at offset 0 is a hashbang comment, `#name` a private name, any other `#` invalid. */
  private scanHash(start: number, next: number): void {
    if (start === 0 && next === 0x21) return this.scanLineComment(start);

    const codePoint = this.text.codePointAt(start + 1) ?? 0;
    if (isIdentifierStart(codePoint) || this.startsUnicodeEscape(start + 1))
      return this.scanIdentifier(start, TokenKind.privateName, start + 1);
    this.emit(TokenKind.invalid, start, start + 1);
  }

  private scanIdentifier(start: number, kind: TokenKind, from = start): void {
    this.emit(kind, start, this.skipIdentifierParts(from));
  }

  /** Skips identifier characters and `\u` escapes (`\u0041`, `\u{41}`) from `from`. */
  private skipIdentifierParts(from: number): number {
    const length = this.text.length;
    let index = from;
    while (index < length) {
      if (this.startsUnicodeEscape(index)) {
        index = this.skipUnicodeEscape(index + 2);
        continue;
      }
      const codePoint = this.text.codePointAt(index) ?? 0;
      if (!isIdentifierPart(codePoint)) break;
      index += codePoint > 0xffff ? 2 : 1;
    }
    return index;
  }

  private skipUnicodeEscape(from: number): number {
    if (this.text.charCodeAt(from) === 0x7b /* { */) {
      const end = this.skipWhile(from + 1, isHexDigit);
      return this.text.charCodeAt(end) === 0x7d ? end + 1 : end;
    }
    return Math.min(this.skipWhile(from, isHexDigit), from + 4);
  }

  private scanPunctuatorOrInvalid(start: number, codePoint: number): void {
    for (const size of [4, 3, 2]) {
      const candidate = this.text.slice(start, start + size);
      if (candidate.length === size && longPunctuators.has(candidate)) {
        if (candidate === "?." && isDecimalDigit(this.text.charCodeAt(start + 2))) break;
        return this.emit(TokenKind.punctuator, start, start + size);
      }
    }

    const code = this.text.charCodeAt(start);
    if (singlePunctuators.includes(this.text[start] ?? "")) {
      this.trackBraces(code);
      return this.emit(TokenKind.punctuator, start, start + 1);
    }
    this.emit(TokenKind.invalid, start, start + (codePoint > 0xffff ? 2 : 1));
  }

  private trackBraces(code: number): void {
    const depth = this.braceDepths.length;
    if (depth === 0) return;

    const top = this.braceDepths[depth - 1] ?? 0;
    if (code === 0x7b) this.braceDepths[depth - 1] = top + 1;
    else if (code === 0x7d) this.braceDepths[depth - 1] = top - 1;
  }
}
