import type { Finding, UserInput } from "../types";
import type { SqlDialect } from "./dialect";
import { OccurrenceJudge } from "./judge";
import { cachedTokens } from "./token-cache";
import { visitOccurrences } from "./occurrences";

// One-character inputs that can open, close or escape a token. Other single characters, such as `,`, `1` or
// `(`, occur all over application-written SQL and cannot change structure on their own.
const judgedSingleCharacters = new Set(["'", '"', "`", "\\"]);

/**
 * Returns the first occurrence of a user input that changes the structure of `query`, or undefined.
 *
 * Every occurrence of every input is judged, ignoring the whitespace around it. An occurrence is safe when:
 * - it lies inside one number, placeholder or bare word, such as `DESC` or a column name;
 * - it lies between the delimiters of one complete literal, quoted identifier or comment;
 * - it is one whole token of those kinds;
 * - it consists only of the closing quote of the complete literal around it, as `''` does;
 * - it is a value list such as `1, -2, 'a'`, a qualified name such as `users.name`, or sort terms such as `price DESC`.
 *
 * The query is tokenized at most once, and only when some input occurs in it. Empty inputs are skipped, and
 * so are single characters other than quotes, backticks and backslashes.
 *
 * NOTE: an input that the application escaped is not found, so it is judged safe. That is right for a
 * correctly escaped `O'Brien`, but misses escaping that is wrong for the dialect, such as doubling quotes
 * without escaping backslashes for MySQL (`\'` becomes `\''`, which closes the literal).
 */
export function detectSqlInjection(
  query: string,
  dialect: SqlDialect,
  inputs: Iterable<UserInput>,
): Finding | undefined {
  let judge: OccurrenceJudge | undefined;

  for (const input of inputs) {
    const value = input.value;
    if (!isJudgedValue(value)) continue;

    const firstOffset = query.indexOf(value);
    if (firstOffset < 0) continue;

    judge ??= new OccurrenceJudge(query, cachedTokens(query, dialect), dialect);
    const finding = findChangingOccurrence(judge, query, input, firstOffset);
    if (finding !== undefined) return finding;
  }
  return undefined;
}

/**
 * Letters, digits and underscores only. Such an input cannot hold a quote, operator, separator or
 * comment delimiter, so every occurrence lies inside one word, number, literal, identifier or
 * comment, which the rules below always judge safe. Skipping them saves the search through the
 * query for the most common inputs, and bounds what a request padded with such values can cost.
 */
const wordOnly = /^\w+$/;

function isJudgedValue(value: string): boolean {
  if (value.length === 0) return false;
  if (value.length === 1) return judgedSingleCharacters.has(value);
  return !wordOnly.test(value);
}

function findChangingOccurrence(
  judge: OccurrenceJudge,
  query: string,
  input: UserInput,
  firstOffset: number,
): Finding | undefined {
  let finding: Finding | undefined;
  visitOccurrences(query, input.value, firstOffset, (offset) => {
    const reason = judge.judge(offset, offset + input.value.length);
    if (reason !== undefined) finding = { input, offset, reason };
    return finding !== undefined;
  });
  return finding;
}
