import type { SqlDialect } from "./dialect";
import type { TokenBuffer } from "./token-buffer";

const backslash = 0x5c;
const singleQuote = 0x27;
const doubleQuote = 0x22;
const backtick = 0x60;

/**
 * Two-character escape units (`''`, `""`, ``` `` ```, and `\x` where backslashes escape) inside the
 * content of complete literals and quoted identifiers. An input whose end cuts such a unit in two
 * has paired its quote or backslash with a character after it: either the app's escaping added that
 * character, or the input swallowed the app's closing quote (`abc'` placed in `'abc'' AND b = 'x'`).
 * The judge distinguishes the two by whether the query still parses.
 */
export class EscapeUnits {
  // Per token index: for each content offset, 1 when that character is the second half of a unit.
  private readonly secondHalves = new Map<number, Uint8Array | null>();

  constructor(
    private readonly query: string,
    private readonly tokens: TokenBuffer,
    private readonly dialect: SqlDialect,
  ) {}

  /** Returns whether an escape unit of token `index` starts before `boundary` and ends after it. */
  splitsUnit(index: number, boundary: number): boolean {
    const contentStart = this.tokens.contentStart(index);
    if (boundary <= contentStart || boundary >= this.tokens.contentEnd(index)) return false;

    const halves = this.unitsOf(index);
    return halves !== null && halves[boundary - contentStart] === 1;
  }

  private unitsOf(index: number): Uint8Array | null {
    let halves = this.secondHalves.get(index);
    if (halves === undefined) {
      halves = this.scan(index);
      this.secondHalves.set(index, halves);
    }
    return halves;
  }

  private scan(index: number): Uint8Array | null {
    const tokens = this.tokens;
    const quote = this.query.charCodeAt(tokens.end(index) - 1);
    const doubling = quote === singleQuote || quote === doubleQuote || quote === backtick;
    const escapes = this.usesBackslashEscapes(index);
    if (!doubling && !escapes) return null;

    const start = tokens.contentStart(index);
    const end = tokens.contentEnd(index);
    const halves = new Uint8Array(end - start);
    for (let offset = start; offset < end; offset++) {
      const code = this.query.charCodeAt(offset);
      const pairs =
        (escapes && code === backslash) ||
        (doubling && code === quote && this.query.charCodeAt(offset + 1) === quote);
      if (pairs && offset + 1 < end) {
        halves[offset + 1 - start] = 1;
        offset++;
      }
    }
    return halves;
  }

  /** MySQL and MariaDB strings, and PostgreSQL `E'…'` strings, treat a backslash as an escape. */
  private usesBackslashEscapes(index: number): boolean {
    if (this.tokens.kind(index) !== "string") return false;
    if (this.dialect === "mysql") return true;

    const first = this.query[this.tokens.start(index)];
    return this.dialect === "postgresql" && (first === "E" || first === "e");
  }
}
