import type { ShellLexResult, ShellToken, ShellTokenKind } from "./tokens";

/** Reason that an occurrence of a user input changes a shell command. */
export type ShellFindingReason =
  /** Adds `;`, `&&`, `|`, `&`, a newline or a parenthesis. */
  | "command-separator"
  /** Adds `$(...)` or backquotes. */
  | "command-substitution"
  /** Adds `$NAME`, `${...}` or `$((...))`. */
  | "parameter-expansion"
  /** Adds an unquoted `*`, `?`, `[`, `{` or a leading `~`. */
  | "glob"
  /** Adds unquoted blanks, so the shell splits one argument into several. */
  | "word-split"
  | "redirection"
  /** Starts a comment that hides the rest of the line. */
  | "comment"
  /** Closes or opens a quote whose partner lies outside the input. */
  | "breaks-quote"
  /** Leaves a quote, substitution or backslash open at the end of the command. */
  | "unterminated-quote"
  /** Ends with a backslash that escapes the character after the input. */
  | "trailing-backslash"
  /** Names the program that the shell runs. */
  | "command-position";

const reasonByKind: Partial<Record<ShellTokenKind, ShellFindingReason>> = {
  blank: "word-split",
  newline: "command-separator",
  operator: "command-separator",
  comment: "comment",
  redirect: "redirection",
  parameter: "parameter-expansion",
  arithmetic: "parameter-expansion",
  "substitution-open": "command-substitution",
  "substitution-close": "command-substitution",
  backtick: "command-substitution",
  pattern: "glob",
};

/**
 * Judges occurrences of user inputs in one tokenized command. An occurrence is safe when it adds no
 * token but literal text, escapes and quotes to one word, every quote it contains has its partner inside
 * it too, and it does not name the program.
 */
export class ShellOccurrenceJudge {
  private readonly tokens: readonly ShellToken[];
  private tables: SkipTables | undefined;

  constructor(
    private readonly command: string,
    private readonly lexed: ShellLexResult,
  ) {
    this.tokens = lexed.tokens;
  }

  /** Returns why the occurrence at [start, end) changes the command, or undefined when it does not. */
  judge(start: number, end: number): ShellFindingReason | undefined {
    const first = this.tokenIndexAt(start);
    const token = this.tokens[first];
    if (token === undefined) return undefined;

    const structural =
      token.end >= end
        ? this.judgeInsideToken(token, start, end)
        : this.judgeSpan(first, start, end);
    if (structural !== undefined) return structural;

    return this.namesProgram(token, start, end) ? "command-position" : undefined;
  }

  /**
   * Judges a single-character input such as a lone quote. An app's own quotes and backslashes match it all
   * the time, so only an occurrence that leaves a quote, substitution or escape open is reported.
   */
  judgeSingleCharacter(offset: number): ShellFindingReason | undefined {
    const token = this.tokens[this.tokenIndexAt(offset)];
    if (token === undefined || token.terminated) return undefined;

    const opensToken = token.start === offset;
    return opensToken ? "unterminated-quote" : undefined;
  }

  /** Judges an occurrence that lies inside one token. */
  private judgeInsideToken(
    token: ShellToken,
    start: number,
    end: number,
  ): ShellFindingReason | undefined {
    switch (token.kind) {
      case "text":
        return undefined;
      case "blank":
        // Blanks inside the app's own blanks: the input is whitespace that the command already had.
        return undefined;
      case "single-quoted":
        if (!token.terminated) return start > token.start ? undefined : "unterminated-quote";
        return this.judgeSingleQuotes(token, start, end);
      case "escape":
        // Safe when the app wrote the backslash, or when the input contains both it and the escaped character.
        if (start > token.start || end >= token.end)
          return token.terminated ? undefined : "trailing-backslash";
        return "trailing-backslash";
      case "comment":
        return start > token.start ? undefined : "comment";
      case "parameter":
        // Part of a variable name that the app wrote, such as `HOME` in `$HOME`.
        return start > token.start ? undefined : "parameter-expansion";
      case "double-quote":
        return token.terminated ? "breaks-quote" : "unterminated-quote";
      default:
        return reasonByKind[token.kind] ?? "breaks-quote";
    }
  }

  /**
   * Judges an occurrence that spans several tokens, starting with `tokens[first]`. Only the first and last
   * tokens can be cut by the occurrence. Between them literal text, escapes and single-quoted strings are
   * safe whole, and double quotes pair up among themselves unless a substitution separates them, so only
   * the first and last double quote can have a partner outside. Each occurrence is judged in constant time
   * after one linear pass, so a long input repeated through the command stays linear.
   */
  private judgeSpan(first: number, start: number, end: number): ShellFindingReason | undefined {
    const last = this.tokenIndexAt(end - 1);
    const index = this.skipTables();

    const firstReason = this.judgeSpannedToken(this.tokens[first] as ShellToken, start, end);
    if (firstReason !== undefined) return firstReason;
    const lastReason = this.judgeSpannedToken(this.tokens[last] as ShellToken, start, end);
    if (lastReason !== undefined) return lastReason;

    const structural = index.nextStructural[first + 1] ?? last;
    if (structural < last)
      return this.judgeSpannedToken(this.tokens[structural] as ShellToken, start, end);

    const firstQuote = this.tokens[index.nextDoubleQuote[first] ?? -1];
    if (firstQuote !== undefined && firstQuote.start < end) {
      const reason = this.judgeDoubleQuote(firstQuote, start, end);
      if (reason !== undefined) return reason;
    }
    const lastQuote = this.tokens[index.previousDoubleQuote[last] ?? -1];
    if (lastQuote !== undefined && lastQuote.start >= start) {
      return this.judgeDoubleQuote(lastQuote, start, end);
    }
    return undefined;
  }

  /** Builds the skip tables on first use: most commands never need them. */
  private skipTables(): SkipTables {
    this.tables ??= buildSkipTables(this.tokens);
    return this.tables;
  }

  private judgeSpannedToken(
    token: ShellToken,
    start: number,
    end: number,
  ): ShellFindingReason | undefined {
    switch (token.kind) {
      case "text":
        return undefined;
      case "escape":
        // The app's backslash before the input is fine; the input's backslash before the app's text is not.
        if (token.end > end) return "trailing-backslash";
        return token.terminated ? undefined : "unterminated-quote";
      case "single-quoted":
        return this.judgeSingleQuotes(token, start, end);
      case "double-quote":
        return this.judgeDoubleQuote(token, start, end);
      default:
        return reasonByKind[token.kind] ?? "breaks-quote";
    }
  }

  /** A single-quoted token must lie wholly inside the occurrence, except for quotes of an app's `'\''` escape. */
  private judgeSingleQuotes(
    token: ShellToken,
    start: number,
    end: number,
  ): ShellFindingReason | undefined {
    if (!token.terminated) return "unterminated-quote";

    const openInside = token.start >= start;
    const closeInside = token.end <= end;
    if (openInside && closeInside) return undefined;

    const openExplained = !openInside || this.isEscapeReopen(token.start);
    const closeExplained = !closeInside || this.isEscapeClose(token.end - 1);
    return openExplained && closeExplained ? undefined : "breaks-quote";
  }

  private judgeDoubleQuote(
    token: ShellToken,
    start: number,
    end: number,
  ): ShellFindingReason | undefined {
    const partner = this.tokens[token.partner];
    if (partner === undefined) return "unterminated-quote";
    return partner.start >= start && partner.end <= end ? undefined : "breaks-quote";
  }

  /**
   * True when the single quote at `offset` closes a quoted string right before an escaped quote and a
   * reopening quote (`'\''` or `'"'"'`), the way shell-escaping functions write a quote inside quotes.
   * A user input ending with a quote then matches the app's closing quote.
   */
  private isEscapeClose(offset: number): boolean {
    const command = this.command;
    return command.startsWith("'\\''", offset) || command.startsWith(`'"'"'`, offset);
  }

  /** True when the single quote at `offset` reopens a quoted string after an escaped quote. */
  private isEscapeReopen(offset: number): boolean {
    const command = this.command;
    return command.startsWith("'\\''", offset - 3) || command.startsWith(`'"'"'`, offset - 4);
  }

  /**
   * True when the occurrence covers the whole first word of a simple command (quotes aside), or starts it
   * with a path. Two-character inputs and longer only: a single letter matching a program is coincidence.
   */
  private namesProgram(token: ShellToken, start: number, end: number): boolean {
    const word = this.lexed.words[token.word];
    if (word === undefined || word.role !== "command" || end - start < 2) return false;

    const contentStart = word.start + (this.isQuote(word.start) ? 1 : 0);
    const contentEnd = word.end - (word.end - 1 > word.start && this.isQuote(word.end - 1) ? 1 : 0);
    if (start <= contentStart && end >= contentEnd) return true;

    const slash = this.command.indexOf("/", start);
    return start <= contentStart && slash >= 0 && slash < end;
  }

  private isQuote(offset: number): boolean {
    const char = this.command[offset];
    return char === "'" || char === '"';
  }

  /** Index of the token that contains `offset` (binary search; tokens are sorted and contiguous). */
  private tokenIndexAt(offset: number): number {
    let low = 0;
    let high = this.tokens.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.tokens[middle] as ShellToken).start <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

/** Per-token indexes that let a span be judged without visiting every token inside it. */
interface SkipTables {
  /** For each token, the index of the first token at or after it that is not literal text, an escape or a quote. */
  readonly nextStructural: Int32Array;
  /** For each token, the index of the first double quote at or after it, -1 when none follows. */
  readonly nextDoubleQuote: Int32Array;
  /** For each token, the index of the last double quote at or before it, -1 when none precedes. */
  readonly previousDoubleQuote: Int32Array;
}

function isLiteralOrQuote(token: ShellToken): boolean {
  const kind = token.kind;
  return (
    kind === "text" || kind === "escape" || kind === "single-quoted" || kind === "double-quote"
  );
}

function buildSkipTables(tokens: readonly ShellToken[]): SkipTables {
  const count = tokens.length;
  const nextStructural = new Int32Array(count + 1);
  const nextDoubleQuote = new Int32Array(count + 1);
  const previousDoubleQuote = new Int32Array(count);

  nextStructural[count] = count;
  nextDoubleQuote[count] = -1;
  for (let index = count - 1; index >= 0; index--) {
    const token = tokens[index] as ShellToken;
    nextStructural[index] = isLiteralOrQuote(token) ? (nextStructural[index + 1] as number) : index;
    nextDoubleQuote[index] =
      token.kind === "double-quote" ? index : (nextDoubleQuote[index + 1] as number);
  }

  let previous = -1;
  for (let index = 0; index < count; index++) {
    if ((tokens[index] as ShellToken).kind === "double-quote") previous = index;
    previousDoubleQuote[index] = previous;
  }
  return { nextStructural, nextDoubleQuote, previousDoubleQuote };
}
