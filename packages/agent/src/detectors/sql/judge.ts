import { isSqlWhitespace } from "./chars";
import type { SqlDialect } from "./dialect";
import { EscapeUnits } from "./escape-units";
import type { TokenBuffer } from "./token-buffer";
import { tokenIndexAt } from "./token-search";
import { qualifiedNameGrammar } from "./qualified-name";
import { sortTermsGrammar } from "./sort-terms";
import { type RunMatcher, TokenRunIndex } from "./token-runs";
import { valueListGrammar } from "./value-list";

/**
 * Reason code of a finding: the way an occurrence of a user input changes the structure of a query.
 *
 * - `unterminated-token`: it touches a string, identifier, comment or executable comment that the query never
 *   closes.
 * - `spans-tokens`: it covers parts of several tokens and is neither a value list such as `1,2,3`, a
 *   qualified name such as `users.name`, nor sort terms such as `price DESC`.
 * - `quote-delimiter`: it contains the opening or the closing quote of a literal or quoted identifier but not
 *   the whole token, so it closed a literal that the application opened, or the reverse.
 * - `comment-delimiter`: it contains a comment's opening or closing delimiter without being the whole comment,
 *   so it comments out, or ends, text that the application wrote.
 * - `executable-comment`: it touches a MySQL `/*!…*\/` delimiter, or covers several tokens inside one.
 * - `non-value-token`: it is, or lies inside, one operator, punctuation mark or unknown character.
 */
export type SqlFindingReason =
  | "unterminated-token"
  | "spans-tokens"
  | "quote-delimiter"
  | "comment-delimiter"
  | "executable-comment"
  | "non-value-token";

/** Judges occurrences of user inputs in one tokenized query. */
export class OccurrenceJudge {
  // Built on the first occurrence that spans tokens, because most queries never need them.
  private valueLists: RunMatcher | undefined;
  private qualifiedNames: RunMatcher | undefined;
  private sortTerms: RunMatcher | undefined;
  // Content of the last token found to contain a safe occurrence. Every later occurrence inside it is safe
  // too, so long runs of overlapping occurrences, such as `''` in a literal of quotes, cost O(1) each.
  private safeStart = 0;
  private safeEnd = -1;
  private safeToken = -1;
  private readonly escapeUnits: EscapeUnits;

  constructor(
    private readonly query: string,
    private readonly tokens: TokenBuffer,
    dialect: SqlDialect,
  ) {
    this.escapeUnits = new EscapeUnits(query, tokens, dialect);
  }

  /**
   * Returns the reason why the occurrence from `start` to `end` (exclusive) changes the query's structure,
   * or undefined when it is safe. The rules are listed on `detectSqlInjection`.
   * Surrounding whitespace is ignored because it only separates tokens.
   */
  judge(start: number, end: number): SqlFindingReason | undefined {
    if (start >= this.safeStart && end <= this.safeEnd)
      return this.judgeEscapeEdges(this.safeToken, end);

    let first = start;
    let last = end;
    while (first < last && isSqlWhitespace(this.query.charCodeAt(first))) first++;
    while (last > first && isSqlWhitespace(this.query.charCodeAt(last - 1))) last--;
    if (first === last) return undefined;

    const firstIndex = tokenIndexAt(this.tokens, first);
    const lastIndex = tokenIndexAt(this.tokens, last - 1);
    if (firstIndex === lastIndex) return this.judgeInsideToken(firstIndex, first, last, start, end);
    return this.judgeAcrossTokens(firstIndex, lastIndex, first, last);
  }

  /** Judges the trimmed range `start` to `end`, which lies in one token. The input occupies `inputStart` to `inputEnd`. */
  private judgeInsideToken(
    index: number,
    start: number,
    end: number,
    inputStart: number,
    inputEnd: number,
  ): SqlFindingReason | undefined {
    const tokens = this.tokens;
    if (tokens.isUnterminated(index)) return "unterminated-token";

    const kind = tokens.kind(index);
    // A line comment runs to the end of the line, so it may hold whitespace that the trimmed range lost.
    const isWholeToken = inputStart <= tokens.start(index) && inputEnd >= tokens.end(index);
    const isInContent = start >= tokens.contentStart(index) && end <= tokens.contentEnd(index);
    const hasSafeContent =
      kind === "number" ||
      kind === "word" ||
      kind === "parameter" ||
      kind === "string" ||
      kind === "quoted-identifier" ||
      kind === "comment";
    if (hasSafeContent && isInContent) {
      this.safeStart = tokens.contentStart(index);
      this.safeEnd = tokens.contentEnd(index);
      this.safeToken = index;
      return this.judgeEscapeEdges(index, inputEnd);
    }

    switch (kind) {
      case "number":
      case "word":
      case "parameter":
      case "whitespace":
        // Placeholders are included because a short input such as `12` or `name` also occurs inside the
        // application's own `$12` or `:name`.
        return undefined;
      case "string":
      case "quoted-identifier":
        if (isWholeToken || this.isOnlyClosingQuotes(index, inputStart, inputEnd)) return undefined;
        return "quote-delimiter";
      case "comment":
        return isWholeToken ? undefined : "comment-delimiter";
      case "executable-comment-open":
      case "executable-comment-close":
        return "executable-comment";
      default:
        return "non-value-token";
    }
  }

  /**
   * Returns `unterminated-token` when the input ends inside an escape unit of a literal and the query
   * ends unterminated: the input's trailing quote or backslash swallowed the app's closing quote, so
   * the literal ran on and the query no longer parses. A correctly escaped input also ends inside a
   * unit (`abc'` becomes `'abc'''`), but leaves the query complete, so it stays safe.
   */
  private judgeEscapeEdges(index: number, end: number): SqlFindingReason | undefined {
    const kind = this.tokens.kind(index);
    if (kind !== "string" && kind !== "quoted-identifier") return undefined;

    const lastToken = this.tokens.count - 1;
    if (lastToken < 0 || !this.tokens.isUnterminated(lastToken)) return undefined;
    return this.escapeUnits.splitsUnit(index, end) ? "unterminated-token" : undefined;
  }

  /**
   * Returns whether the input from `start` to `end` contains nothing but the token's closing quote character.
   * Such an input, as `'` or `''`, matches the delimiters of every literal in the query and of its own
   * escaped form, and while the token stays complete the input has moved no boundary. The untrimmed range is
   * checked because `' ` followed by the application's closing quote does move one.
   * Only occurrences that include a delimiter get here, and only a few of those fit one token, so the
   * scans add up to linear time.
   */
  private isOnlyClosingQuotes(index: number, start: number, end: number): boolean {
    const quote = this.query.charCodeAt(this.tokens.end(index) - 1);
    for (let offset = start; offset < end; offset++) {
      if (this.query.charCodeAt(offset) !== quote) return false;
    }
    return true;
  }

  private judgeAcrossTokens(
    firstIndex: number,
    lastIndex: number,
    start: number,
    end: number,
  ): SqlFindingReason | undefined {
    const tokens = this.tokens;
    const isAligned = start === tokens.start(firstIndex) && end === tokens.end(lastIndex);
    if (isAligned && this.isSafeRun(firstIndex, lastIndex)) return undefined;

    // These scans run once per finding, so they do not add to the cost of judging many safe occurrences.
    if (someToken(firstIndex, lastIndex, (index) => tokens.isUnterminated(index))) {
      return "unterminated-token";
    }
    if (someToken(firstIndex, lastIndex, (index) => isExecutableCommentPart(tokens, index))) {
      return "executable-comment";
    }
    return "spans-tokens";
  }

  private isSafeRun(firstIndex: number, lastIndex: number): boolean {
    this.valueLists ??= new TokenRunIndex(this.query, this.tokens, valueListGrammar);
    if (this.valueLists.matches(firstIndex, lastIndex)) return true;

    this.qualifiedNames ??= new TokenRunIndex(this.query, this.tokens, qualifiedNameGrammar);
    if (this.qualifiedNames.matches(firstIndex, lastIndex)) return true;

    this.sortTerms ??= new TokenRunIndex(this.query, this.tokens, sortTermsGrammar);
    return this.sortTerms.matches(firstIndex, lastIndex);
  }
}

function someToken(first: number, last: number, test: (index: number) => boolean): boolean {
  for (let index = first; index <= last; index++) {
    if (test(index)) return true;
  }
  return false;
}

function isExecutableCommentPart(tokens: TokenBuffer, index: number): boolean {
  const kind = tokens.kind(index);
  return (
    tokens.isInExecutableComment(index) ||
    kind === "executable-comment-open" ||
    kind === "executable-comment-close"
  );
}
