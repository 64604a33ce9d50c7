import { visitOccurrences } from "../sql/occurrences";
import type { Finding, UserInput } from "../types";
import { judgeOccurrence } from "./judge";
import { tokenize } from "./tokenizer";
import type { TokenList } from "./tokens";

/**
 * Returns the first occurrence of a user input that adds code to `code`, or undefined.
 *
 * Every occurrence of every input of two or more characters is judged. An occurrence is safe when:
 * - it lies within one token: between the quotes of a string, inside a template part, comment
 *   or regular expression, or inside or equal to one name, number or operator;
 * - it is a value expression made of literals and operators, such as `3 * 4` after `2 + `
 *   or `{"a": 1}` inside `(` and `)`. Its brackets are balanced, it makes no call or property
 *   access, and its only names are `true`, `false`, `null`, `undefined`, `NaN` and `Infinity`.
 * Anything else adds JavaScript: `1; fetch(x)`, `"); foo(); ("`, `${...}` in a template,
 * a comment opener that hides the application's code.
 *
 * The code is tokenized at most once, and only when some input occurs in it. Single characters
 * are skipped: one character cannot form a call or a statement.
 *
 * NOTE: a whole input that is one name is safe by the rule above, so `eval("process." + input + "()")`
 * with input `exit` is not flagged. An input that the application escaped before building the code
 * (`JSON.stringify`) is not found verbatim, and is judged safe.
 */
export function detectCodeInjection(
  code: string,
  inputs: Iterable<UserInput>,
): Finding | undefined {
  let tokens: TokenList | undefined;

  for (const input of inputs) {
    const value = input.value;
    if (value.length < 2) continue;

    const firstOffset = code.indexOf(value);
    if (firstOffset < 0) continue;

    tokens ??= tokenize(code);
    const finding = findCodeAddingOccurrence(code, tokens, input, firstOffset);
    if (finding !== undefined) return finding;
  }
  return undefined;
}

function findCodeAddingOccurrence(
  code: string,
  tokens: TokenList,
  input: UserInput,
  firstOffset: number,
): Finding | undefined {
  let finding: Finding | undefined;
  visitOccurrences(code, input.value, firstOffset, (offset) => {
    const reason = judgeOccurrence(code, tokens, offset, offset + input.value.length);
    if (reason !== undefined) finding = { input, offset, reason };
    return finding !== undefined;
  });
  return finding;
}
