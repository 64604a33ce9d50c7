import { isLineTerminator, isWhitespace } from "./chars";
import { keywordsBeforeExpression, TokenKind, type TokenList } from "./tokens";

/** Names that evaluate to a constant and run no code: the literal keywords and three global constants. */
const constantNames = new Set(["true", "false", "null", "undefined", "NaN", "Infinity"]);

/** Operators that only compute a value from their operands; assignment, `.`, `;` and `=>` are not among them. */
const valueOperators = new Set([
  "+",
  "-",
  "*",
  "/",
  "%",
  "**",
  "!",
  "~",
  "<",
  ">",
  "<=",
  ">=",
  "==",
  "!=",
  "===",
  "!==",
  "&",
  "|",
  "^",
  "<<",
  ">>",
  ">>>",
  "&&",
  "||",
  "??",
  "?",
  ":",
  ",",
]);

const closingBracket: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/**
 * Judges one occurrence `[start, end)` of a user input in tokenized code. Returns the reason why
 * the occurrence changes the code, or undefined when it does not. Whitespace around the
 * occurrence is ignored.
 */
export function judgeOccurrence(
  code: string,
  tokens: TokenList,
  start: number,
  end: number,
): string | undefined {
  const from = skipSpaceForward(code, start, end);
  const to = skipSpaceBackward(code, from, end);
  if (from === to) return undefined;

  const first = tokens.firstEndingAfter(from);
  if (first >= tokens.count || tokens.start(first) >= to) return undefined;

  let last = first;
  while (last + 1 < tokens.count && tokens.start(last + 1) < to) last++;

  if (first === last) return judgeWithinToken(code, tokens, first, from, to);
  if (tokens.start(first) < from || tokens.end(last) > to) return "spans-tokens";
  return judgeValueExpression(code, tokens, first, last);
}

function skipSpaceForward(code: string, from: number, to: number): number {
  let index = from;
  while (index < to && isSpace(code.charCodeAt(index))) index++;
  return index;
}

function skipSpaceBackward(code: string, from: number, to: number): number {
  let index = to;
  while (index > from && isSpace(code.charCodeAt(index - 1))) index--;
  return index;
}

function isSpace(code: number): boolean {
  return isWhitespace(code) || isLineTerminator(code);
}

/**
 * Judges an occurrence within one token. It is safe when it is the whole token (one literal, name or
 * operator adds nothing beyond itself) or lies between the token's delimiters, such as inside
 * the quotes of a string. Touching a delimiter means the input opened or closed the token.
 */
function judgeWithinToken(
  code: string,
  tokens: TokenList,
  index: number,
  from: number,
  to: number,
): string | undefined {
  const kind = tokens.kind(index);
  const tokenStart = tokens.start(index);
  const tokenEnd = tokens.end(index);

  if (from <= tokenStart && to >= tokenEnd) {
    if (tokens.isUnterminated(index)) return "unterminated-literal";
    if (isSubstitutionPart(kind)) return "spans-tokens";
    // A template right after a value calls that value as a tag function.
    const tagged =
      kind === TokenKind.template && endsValue(code, tokens, previousCodeToken(tokens, index));
    return tagged ? "calls-or-accesses" : undefined;
  }

  const [contentStart, contentEnd] = contentBounds(code, tokens, index);
  return from >= contentStart && to <= contentEnd ? undefined : "spans-tokens";
}

function isSubstitutionPart(kind: TokenKind): boolean {
  return (
    kind === TokenKind.templateHead ||
    kind === TokenKind.templateMiddle ||
    kind === TokenKind.templateTail
  );
}

/** Returns the offsets between a token's opening and closing delimiters; names and numbers have none. */
function contentBounds(code: string, tokens: TokenList, index: number): [number, number] {
  const start = tokens.start(index);
  const end = tokens.end(index);
  const open = tokens.isUnterminated(index);

  switch (tokens.kind(index)) {
    case TokenKind.string:
    case TokenKind.template:
    case TokenKind.templateTail:
      return [start + 1, open ? end : end - 1];
    case TokenKind.templateHead:
    case TokenKind.templateMiddle:
      return [start + 1, end - 2];
    case TokenKind.blockComment:
      return [start + 2, open ? end : end - 2];
    case TokenKind.lineComment:
      return [start + lineCommentOpenerLength(code, start), end];
    case TokenKind.regex:
      // The body and the flags are both content; only the opening `/` is a delimiter.
      return [start + 1, end];
    default:
      return [start, end];
  }
}

function lineCommentOpenerLength(code: string, start: number): number {
  if (code.startsWith("<!--", start)) return 4;
  if (code.startsWith("-->", start)) return 3;
  return 2;
}

/**
 * Judges an occurrence made of whole tokens. It is safe only as a value expression: literals,
 * constant names, value operators and balanced brackets, such as `(1 + 2) * 3` or `{"a": [1]}`.
 * A bracket or template right after a value is a call, a property access or a tagged template,
 * which reach code through strings alone (`""["constructor"]["constructor"]("...")()`).
 */
function judgeValueExpression(
  code: string,
  tokens: TokenList,
  first: number,
  last: number,
): string | undefined {
  const openBrackets: string[] = [];
  let afterValue = endsValue(code, tokens, previousCodeToken(tokens, first));

  for (let index = first; index <= last; index++) {
    const kind = tokens.kind(index);
    if (kind === TokenKind.lineComment || kind === TokenKind.blockComment) continue;
    if (tokens.isUnterminated(index)) return "unterminated-literal";

    const text = code.slice(tokens.start(index), tokens.end(index));
    const opensAccess = text === "(" || text === "[" || kind === TokenKind.template;
    if (opensAccess && afterValue) return "calls-or-accesses";

    const reason = trackToken(kind, text, openBrackets);
    if (reason !== undefined) return reason;
    afterValue = endsValue(code, tokens, index);
  }
  return openBrackets.length === 0 ? undefined : "unbalanced-brackets";
}

/** Updates the open brackets for one token of a value expression; returns a reason for a token that is not allowed. */
function trackToken(kind: TokenKind, text: string, openBrackets: string[]): string | undefined {
  switch (kind) {
    case TokenKind.number:
    case TokenKind.string:
    case TokenKind.template:
      return undefined;
    case TokenKind.identifier:
      return constantNames.has(text) ? undefined : "adds-code";
    case TokenKind.punctuator:
      return trackPunctuator(text, openBrackets);
    default:
      // Substitutions, regular expressions, private names and invalid characters.
      return "adds-code";
  }
}

function trackPunctuator(text: string, openBrackets: string[]): string | undefined {
  if (text === "(" || text === "[" || text === "{") {
    openBrackets.push(text);
    return undefined;
  }

  const opening = closingBracket[text];
  if (opening !== undefined)
    return openBrackets.pop() === opening ? undefined : "unbalanced-brackets";
  return valueOperators.has(text) ? undefined : "adds-code";
}

function previousCodeToken(tokens: TokenList, index: number): number {
  let previous = index - 1;
  while (previous >= 0) {
    const kind = tokens.kind(previous);
    if (kind !== TokenKind.lineComment && kind !== TokenKind.blockComment) return previous;
    previous--;
  }
  return -1;
}

/** True when the token can end an operand, so that `(`, `[` or a template after it applies to that operand. */
function endsValue(code: string, tokens: TokenList, index: number): boolean {
  if (index < 0) return false;

  switch (tokens.kind(index)) {
    case TokenKind.identifier:
      return !keywordsBeforeExpression.has(code.slice(tokens.start(index), tokens.end(index)));
    case TokenKind.privateName:
    case TokenKind.number:
    case TokenKind.string:
    case TokenKind.template:
    case TokenKind.templateTail:
    case TokenKind.regex:
      return true;
    case TokenKind.punctuator: {
      const text = code.slice(tokens.start(index), tokens.end(index));
      return text === ")" || text === "]" || text === "}";
    }
    default:
      return false;
  }
}
