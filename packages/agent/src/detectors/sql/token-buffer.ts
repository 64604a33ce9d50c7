import type { ScanResult } from "./scan";
import type { SqlToken, SqlTokenKind } from "./tokens";

const UNTERMINATED = 1;
const IN_EXECUTABLE_COMMENT = 2;

/**
 * Tokens stored column by column in typed arrays. The detector reads tokens from here because a query of
 * 1 MB can hold a million tokens, and one object per token made garbage collection the main cost of judging it.
 */
export class TokenBuffer {
  private size = 0;
  private kinds: SqlTokenKind[] = [];
  private starts: Int32Array;
  private ends: Int32Array;
  private contentStarts: Int32Array;
  private contentEnds: Int32Array;
  private flags: Uint8Array;

  constructor(initialCapacity = 16) {
    this.starts = new Int32Array(initialCapacity);
    this.ends = new Int32Array(initialCapacity);
    this.contentStarts = new Int32Array(initialCapacity);
    this.contentEnds = new Int32Array(initialCapacity);
    this.flags = new Uint8Array(initialCapacity);
  }

  /** Number of tokens. */
  get count(): number {
    return this.size;
  }

  /** Appends a token without delimiters, whose content is the whole token. */
  push(kind: SqlTokenKind, start: number, end: number): void {
    this.append(kind, start, end, start, end, 0);
  }

  /**
   * Appends a string, quoted identifier or comment that opens with `openerLength` code units at `start` and
   * ends where `scan` ended. When the scan found the closing delimiter, its last `closerLength` code units are
   * that delimiter. Otherwise the token is flagged unterminated.
   */
  pushDelimited(
    kind: SqlTokenKind,
    start: number,
    openerLength: number,
    scan: ScanResult,
    closerLength: number,
  ): void {
    const contentStart = Math.min(start + openerLength, scan.end);
    if (scan.terminated) {
      this.append(kind, start, scan.end, contentStart, scan.end - closerLength, 0);
    } else {
      this.append(kind, start, scan.end, contentStart, scan.end, UNTERMINATED);
    }
  }

  /** Removes the tokens from index `count` on. */
  truncate(count: number): void {
    this.size = Math.min(this.size, count);
    this.kinds.length = this.size;
  }

  markUnterminated(index: number): void {
    this.setFlag(index, UNTERMINATED);
  }

  markInExecutableComment(index: number): void {
    this.setFlag(index, IN_EXECUTABLE_COMMENT);
  }

  kind(index: number): SqlTokenKind {
    return this.kinds[index] ?? "unknown";
  }

  start(index: number): number {
    return this.starts[index] ?? 0;
  }

  end(index: number): number {
    return this.ends[index] ?? 0;
  }

  contentStart(index: number): number {
    return this.contentStarts[index] ?? 0;
  }

  contentEnd(index: number): number {
    return this.contentEnds[index] ?? 0;
  }

  isUnterminated(index: number): boolean {
    return ((this.flags[index] ?? 0) & UNTERMINATED) !== 0;
  }

  isInExecutableComment(index: number): boolean {
    return ((this.flags[index] ?? 0) & IN_EXECUTABLE_COMMENT) !== 0;
  }

  /** Returns the end of the last token, or 0 when there is none. */
  lastEnd(): number {
    return this.count === 0 ? 0 : this.end(this.count - 1);
  }

  /** Returns one object per token, the form that `tokenizeSql` exposes. */
  toTokens(): SqlToken[] {
    const tokens: SqlToken[] = [];
    for (let index = 0; index < this.count; index++) {
      const token: SqlToken = {
        kind: this.kind(index),
        start: this.start(index),
        end: this.end(index),
        contentStart: this.contentStart(index),
        contentEnd: this.contentEnd(index),
      };
      tokens.push(this.flags[index] === 0 ? token : this.withFlags(token, index));
    }
    return tokens;
  }

  private withFlags(token: SqlToken, index: number): SqlToken {
    const unterminated = this.isUnterminated(index) ? { unterminated: true as const } : {};
    const inExecutableComment = this.isInExecutableComment(index)
      ? { inExecutableComment: true as const }
      : {};
    return { ...token, ...unterminated, ...inExecutableComment };
  }

  private append(
    kind: SqlTokenKind,
    start: number,
    end: number,
    contentStart: number,
    contentEnd: number,
    flags: number,
  ): void {
    if (this.size === this.starts.length) this.grow();

    const index = this.size;
    this.kinds[index] = kind;
    this.starts[index] = start;
    this.ends[index] = end;
    this.contentStarts[index] = contentStart;
    this.contentEnds[index] = contentEnd;
    this.flags[index] = flags;
    this.size++;
  }

  private setFlag(index: number, flag: number): void {
    if (index < 0 || index >= this.count) return;
    this.flags[index] = (this.flags[index] ?? 0) | flag;
  }

  private grow(): void {
    const capacity = this.starts.length * 2;
    this.starts = copyInto(new Int32Array(capacity), this.starts);
    this.ends = copyInto(new Int32Array(capacity), this.ends);
    this.contentStarts = copyInto(new Int32Array(capacity), this.contentStarts);
    this.contentEnds = copyInto(new Int32Array(capacity), this.contentEnds);
    this.flags = copyInto(new Uint8Array(capacity), this.flags);
  }
}

function copyInto<T extends Int32Array | Uint8Array>(target: T, source: T): T {
  target.set(source);
  return target;
}

/**
 * Appends the token, or tokens, that start at `start` to `out`. A reader appends more than one token only
 * where reading them together keeps the lexer linear, and the first one must start at `start`.
 */
export type TokenReader = (text: string, start: number, out: TokenBuffer) => void;

/** Splits `text` into consecutive tokens with `read`, so their offsets cover the text exactly and in order. */
export function collectTokens(text: string, read: TokenReader): TokenBuffer {
  const out = new TokenBuffer();
  let offset = 0;
  while (offset < text.length) {
    const count = out.count;
    read(text, offset, out);

    // Every reader advances by construction. This guard only keeps a reader bug from hanging the
    // application's query call in an endless loop.
    if (out.count === count || out.lastEnd() <= offset) {
      out.truncate(count);
      out.push("unknown", offset, offset + 1);
    }

    offset = out.lastEnd();
  }
  return out;
}
