/**
 * A minimal JavaScript tokenizer for the code strings that MongoDB runs on the server (`$where`,
 * `$function`, `$accumulator`). It returns token boundaries only, which is all that the injection
 * check needs: whether a user string covers more than one token.
 *
 * Strings, template chunks, comments, regular expression literals, numbers, identifiers and runs
 * of operator characters are one token each. Brackets, `;`, `,` and `.` are one token per
 * character. Whitespace is no token.
 */

/** Token boundaries as a flat list: start of token 0, end of token 0, start of token 1, and so on. */
export type TokenBounds = number[];

const operatorCharacters = new Set("=!<>&|+-*%^~?:");
const singleCharacters = new Set("()[]{};,.@#\\");

function isIdentifierCode(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x24 ||
    code === 0x5f ||
    code >= 0x80
  );
}

function isWhitespace(code: number): boolean {
  return (
    code === 0x20 ||
    code === 0x09 ||
    code === 0x0a ||
    code === 0x0d ||
    code === 0x0b ||
    code === 0x0c ||
    code === 0xa0 ||
    code === 0xfeff ||
    code === 0x2028 ||
    code === 0x2029
  );
}

/** Returns the end of a quoted string starting at `start`; an unterminated string ends at its line end or the text end. */
function scanQuoted(code: string, start: number, quote: number): number {
  let index = start + 1;
  while (index < code.length) {
    const current = code.charCodeAt(index);
    if (current === 0x5c)
      index += 2; // `\`
    else if (current === quote) return index + 1;
    else if (current === 0x0a || current === 0x0d) return index;
    else index++;
  }
  return code.length;
}

/** Returns the end of a regular expression literal, including its flags. */
function scanRegularExpression(code: string, start: number): number {
  let index = start + 1;
  let inClass = false;
  while (index < code.length) {
    const current = code.charCodeAt(index);
    if (current === 0x0a || current === 0x0d) return index;
    if (current === 0x5c) {
      index += 2;
      continue;
    }
    if (current === 0x5b) inClass = true;
    else if (current === 0x5d) inClass = false;
    else if (current === 0x2f && !inClass) {
      index++;
      while (index < code.length && isIdentifierCode(code.charCodeAt(index))) index++;
      return index;
    }
    index++;
  }
  return code.length;
}

/**
 * Returns the end of a template chunk that starts at `start` (just after a backtick or the `}` of
 * a substitution), and whether the chunk ends at a `${` that opens a substitution.
 */
function scanTemplateChunk(
  code: string,
  start: number,
): { end: number; opensSubstitution: boolean } {
  let index = start;
  while (index < code.length) {
    const current = code.charCodeAt(index);
    if (current === 0x5c) index += 2;
    else if (current === 0x60) return { end: index + 1, opensSubstitution: false };
    else if (current === 0x24 && code.charCodeAt(index + 1) === 0x7b) {
      return { end: index + 2, opensSubstitution: true };
    } else index++;
  }
  return { end: code.length, opensSubstitution: false };
}

/** Returns whether a `/` starts a regular expression, which it does unless it follows a value: an identifier, number, string, `)` or `]`. */
function slashStartsRegularExpression(
  code: string,
  previousEnd: number,
  previousKind: number,
): boolean {
  if (previousKind === kindValue) return false;
  if (previousKind !== kindPunctuator) return true;

  const previous = code.charCodeAt(previousEnd - 1);
  return previous !== 0x29 && previous !== 0x5d; // `)` or `]`
}

const kindNone = 0;
const kindValue = 1;
const kindOperator = 2;
const kindPunctuator = 3;
const kindKeyword = 4;

/** Keywords after which a `/` starts a regular expression (`return /x/.test(s)`). */
const keywordsBeforeExpression = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "instanceof",
  "yield",
  "await",
]);

/** Splits JavaScript source into token boundaries. Each character is read a bounded number of times, so the time is linear in the code length. */
export function tokenizeJavaScript(code: string): TokenBounds {
  const bounds: TokenBounds = [];
  // Brace depth of each open template substitution; a `}` at depth 0 resumes the template.
  const substitutionDepths: number[] = [];
  let previousKind = kindNone;
  let previousEnd = 0;
  let index = 0;

  const push = (start: number, end: number, kind: number) => {
    bounds.push(start, end);
    previousKind = kind;
    previousEnd = end;
    index = end;
  };
  // Comments are tokens too, but a `/` after a comment is judged by the token before the comment.
  const pushComment = (start: number, end: number) => {
    bounds.push(start, end);
    index = end;
  };

  while (index < code.length) {
    const current = code.charCodeAt(index);
    const character = code[index] as string;
    const start = index;

    if (isWhitespace(current)) {
      index++;
    } else if (current === 0x2f && code.charCodeAt(index + 1) === 0x2f) {
      const lineEnd = code.indexOf("\n", index);
      pushComment(start, lineEnd === -1 ? code.length : lineEnd);
    } else if (current === 0x2f && code.charCodeAt(index + 1) === 0x2a) {
      const commentEnd = code.indexOf("*/", index + 2);
      pushComment(start, commentEnd === -1 ? code.length : commentEnd + 2);
    } else if (current === 0x2f && slashStartsRegularExpression(code, previousEnd, previousKind)) {
      push(start, scanRegularExpression(code, index), kindValue);
    } else if (current === 0x27 || current === 0x22) {
      push(start, scanQuoted(code, index, current), kindValue);
    } else if (current === 0x60) {
      const chunk = scanTemplateChunk(code, index + 1);
      if (chunk.opensSubstitution) substitutionDepths.push(0);
      push(start, chunk.end, chunk.opensSubstitution ? kindPunctuator : kindValue);
    } else if (
      current === 0x7d &&
      substitutionDepths.length > 0 &&
      substitutionDepths[substitutionDepths.length - 1] === 0
    ) {
      substitutionDepths.pop();
      const chunk = scanTemplateChunk(code, index + 1);
      if (chunk.opensSubstitution) substitutionDepths.push(0);
      push(start, chunk.end, chunk.opensSubstitution ? kindPunctuator : kindValue);
    } else if (isIdentifierCode(current)) {
      let end = index + 1;
      while (end < code.length && isIdentifierCode(code.charCodeAt(end))) end++;
      // A number such as `1.5e3` keeps its dot; an identifier followed by `.` does not.
      if (current >= 0x30 && current <= 0x39) {
        while (
          end < code.length &&
          (isIdentifierCode(code.charCodeAt(end)) || code.charCodeAt(end) === 0x2e)
        )
          end++;
      }
      const word = code.slice(index, end);
      push(start, end, keywordsBeforeExpression.has(word) ? kindKeyword : kindValue);
    } else if (operatorCharacters.has(character) || current === 0x2f) {
      let end = index + 1;
      while (
        end < code.length &&
        (operatorCharacters.has(code[end] as string) ||
          (code.charCodeAt(end) === 0x2f &&
            code.charCodeAt(end + 1) !== 0x2f &&
            code.charCodeAt(end + 1) !== 0x2a))
      )
        end++;
      push(start, end, kindOperator);
    } else {
      if (substitutionDepths.length > 0) {
        const top = substitutionDepths.length - 1;
        if (current === 0x7b) substitutionDepths[top] = (substitutionDepths[top] as number) + 1;
        else if (current === 0x7d)
          substitutionDepths[top] = (substitutionDepths[top] as number) - 1;
      }
      push(start, index + 1, singleCharacters.has(character) ? kindPunctuator : kindOperator);
    }
  }
  return bounds;
}

/** Returns how many tokens overlap the range [start, end), stopping once it reaches `limit`. */
export function countTokensOverlapping(
  bounds: TokenBounds,
  start: number,
  end: number,
  limit: number,
): number {
  // Binary search for the first token that ends after `start`; tokens are sorted and disjoint.
  let low = 0;
  let high = bounds.length / 2;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((bounds[middle * 2 + 1] as number) <= start) low = middle + 1;
    else high = middle;
  }

  let count = 0;
  for (let token = low; token * 2 < bounds.length; token++) {
    if ((bounds[token * 2] as number) >= end) break;
    count++;
    if (count >= limit) return count;
  }
  return count;
}
