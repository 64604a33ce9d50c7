/** Kinds of JavaScript tokens. Whitespace and line terminators produce no token. */
export const TokenKind = {
  identifier: 1,
  /** `#name` of a class member. */
  privateName: 2,
  number: 3,
  string: 4,
  /** A template literal without substitutions: `` `text` ``. */
  template: 5,
  /** `` `text${ ``: the part of a template literal before its first substitution. */
  templateHead: 6,
  /** `}text${`: the part between two substitutions. */
  templateMiddle: 7,
  /** `` }text` ``: the part after the last substitution. */
  templateTail: 8,
  regex: 9,
  punctuator: 10,
  lineComment: 11,
  blockComment: 12,
  /** A character that starts no JavaScript token, such as `×` or a lone `\`. */
  invalid: 13,
} as const;

export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/**
 * Keywords that an expression follows: after them `/` starts a regular expression, and `(` or
 * `[` opens a group rather than a call or a property access.
 */
export const keywordsBeforeExpression = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

/** Flag of a string, template part, regex or block comment that the text ends before closing. */
export const unterminatedFlag = 1;

/** One token as a plain object, for tests and debugging; the detector reads `TokenList` directly. */
export interface Token {
  readonly kind: TokenKind;
  /** Offset of the first UTF-16 code unit. */
  readonly start: number;
  /** Offset just past the last code unit. */
  readonly end: number;
  readonly unterminated: boolean;
}

const initialCapacity = 64;

/**
 * Tokens stored in typed arrays, so that tokenizing a megabyte of text allocates a few arrays
 * instead of one object per token.
 */
export class TokenList {
  count = 0;
  private kinds = new Uint8Array(initialCapacity);
  private flags = new Uint8Array(initialCapacity);
  private starts = new Int32Array(initialCapacity);
  private ends = new Int32Array(initialCapacity);

  push(kind: TokenKind, start: number, end: number, flags = 0): void {
    if (this.count === this.kinds.length) this.grow();

    this.kinds[this.count] = kind;
    this.flags[this.count] = flags;
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }

  kind(index: number): TokenKind {
    return this.kinds[index] as TokenKind;
  }

  start(index: number): number {
    return this.starts[index] ?? 0;
  }

  end(index: number): number {
    return this.ends[index] ?? 0;
  }

  isUnterminated(index: number): boolean {
    return ((this.flags[index] ?? 0) & unterminatedFlag) !== 0;
  }

  /** Returns the index of the first token that ends after `offset`, or `count` when there is none. */
  firstEndingAfter(offset: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.ends[middle] ?? 0) > offset) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  toArray(): Token[] {
    const tokens: Token[] = [];
    for (let index = 0; index < this.count; index++) {
      tokens.push({
        kind: this.kind(index),
        start: this.start(index),
        end: this.end(index),
        unterminated: this.isUnterminated(index),
      });
    }
    return tokens;
  }

  private grow(): void {
    const capacity = this.kinds.length * 2;
    this.kinds = copyInto(new Uint8Array(capacity), this.kinds);
    this.flags = copyInto(new Uint8Array(capacity), this.flags);
    this.starts = copyInto(new Int32Array(capacity), this.starts);
    this.ends = copyInto(new Int32Array(capacity), this.ends);
  }
}

function copyInto<T extends Uint8Array | Int32Array>(target: T, source: T): T {
  target.set(source);
  return target;
}
