import { isSqlWhitespace } from "./chars";
import { tokenIndexAt } from "./token-search";
import type { SqlToken } from "./tokens";
import { ValueListIndex } from "./value-list";

/**
 * Why an occurrence of a user input changes the structure of a query.
 *
 * - `unterminated-token`: it touches a string, identifier, comment or executable comment that the query never
 *   closes.
 * - `spans-tokens`: it covers parts of several tokens and is not a value list such as `1,2,3`.
 * - `quote-delimiter`: it contains the opening or the closing quote of a literal or quoted identifier but not
 *   the whole token, so it closed a literal that the application opened, or the reverse.
 * - `comment-delimiter`: it contains a comment's opening or closing delimiter without being the whole comment,
 *   so it comments out, or ends, text that the application wrote.
 * - `executable-comment`: it touches a MySQL `/*!…*\/` delimiter, or covers several tokens inside one.
 * - `non-value-token`: it is, or lies inside, one operator, punctuation mark or unknown character, or it is
 *   part of a parameter placeholder.
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
  private valueLists: ValueListIndex | undefined;

  constructor(
    private readonly query: string,
    private readonly tokens: readonly SqlToken[],
  ) {}

  /**
   * Returns why the occurrence from `start` to `end` (exclusive) changes the query's structure, or undefined
   * when it stays inside one number or bare word, inside the content of one literal, quoted identifier or
   * comment, is one whole token of those kinds or one placeholder, or is a value list.
   * Surrounding whitespace is ignored because it only separates tokens.
   */
  judge(start: number, end: number): SqlFindingReason | undefined {
    let first = start;
    let last = end;
    while (first < last && isSqlWhitespace(this.query.charCodeAt(first))) first++;
    while (last > first && isSqlWhitespace(this.query.charCodeAt(last - 1))) last--;
    if (first === last) return undefined;

    const firstIndex = tokenIndexAt(this.tokens, first);
    const lastIndex = tokenIndexAt(this.tokens, last - 1);
    if (firstIndex === lastIndex) return this.judgeInsideToken(firstIndex, first, last);
    return this.judgeAcrossTokens(firstIndex, lastIndex, first, last);
  }

  private judgeInsideToken(
    index: number,
    start: number,
    end: number,
  ): SqlFindingReason | undefined {
    const token = this.tokens[index];
    if (token === undefined) return undefined;
    if (token.unterminated) return "unterminated-token";

    const isWholeToken = start === token.start && end === token.end;
    const isInContent = start >= token.contentStart && end <= token.contentEnd;
    switch (token.kind) {
      case "number":
      case "word":
      case "whitespace":
        return undefined;
      case "string":
      case "quoted-identifier":
        if (isWholeToken || isInContent || this.isOnlyClosingQuotes(token, start, end))
          return undefined;
        return "quote-delimiter";
      case "comment":
        return isWholeToken || isInContent ? undefined : "comment-delimiter";
      case "parameter":
        // An input equal to a placeholder such as `$1` also matches the application's own placeholders.
        return isWholeToken ? undefined : "non-value-token";
      case "executable-comment-open":
      case "executable-comment-close":
        return "executable-comment";
      default:
        return "non-value-token";
    }
  }

  /**
   * Returns whether start to end holds nothing but the token's closing quote character. Such an input, as
   * `'` or `''`, matches the delimiters of every literal in the query and of its own escaped form, and while
   * the token stays complete the input has moved no boundary.
   * Only occurrences that include a delimiter get here, and only a few of those fit one token, so the
   * scans add up to linear time.
   */
  private isOnlyClosingQuotes(token: SqlToken, start: number, end: number): boolean {
    const quote = this.query.charCodeAt(token.end - 1);
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
    const isAligned =
      start === this.tokens[firstIndex]?.start && end === this.tokens[lastIndex]?.end;
    this.valueLists ??= new ValueListIndex(this.query, this.tokens);
    if (isAligned && this.valueLists.isValueList(firstIndex, lastIndex)) return undefined;

    // This scan runs once per finding, so it does not add to the cost of judging many safe occurrences.
    const covered = this.tokens.slice(firstIndex, lastIndex + 1);
    if (covered.some((token) => token.unterminated)) return "unterminated-token";
    if (covered.some(isExecutableCommentPart)) return "executable-comment";
    return "spans-tokens";
  }
}

function isExecutableCommentPart(token: SqlToken): boolean {
  return (
    token.inExecutableComment === true ||
    token.kind === "executable-comment-open" ||
    token.kind === "executable-comment-close"
  );
}
