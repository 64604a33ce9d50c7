import type { Finding, UserInput } from "../types";
import { countTokensOverlapping, tokenizeJavaScript, type TokenBounds } from "./js-tokens";

/**
 * Maximum occurrences of one input examined in one code string, which bounds the time spent on an
 * input that repeats throughout the code. The inserted occurrence is missed only when the app's own
 * code repeats the input this often before the insertion point.
 */
const maxOccurrencesPerInput = 64;

/**
 * Judges JavaScript that MongoDB runs on the server (`$where`, `$function`, `$accumulator`). A user
 * string is an injection when one of its occurrences in the code covers two or more tokens: it then
 * added code (an operator, a call, a closing quote) beyond a single literal or name. A string that
 * stays inside one string literal, number or identifier is data.
 *
 * NOTE: occurrences are not traced back to where the app inserted the input. So an input that
 * equals two or more tokens of the app's own code (a user typing `this.name`) is reported too.
 */
export function findServerCodeInjection(
  code: string,
  inputs: readonly UserInput[],
): Finding | undefined {
  let bounds: TokenBounds | undefined;

  for (const input of inputs) {
    const value = input.value;
    if (value.length < 2) continue;

    let checked = 0;
    for (
      let offset = code.indexOf(value);
      offset !== -1 && checked < maxOccurrencesPerInput;
      offset = code.indexOf(value, offset + 1)
    ) {
      checked++;
      // Tokenize only once some input occurs, so code without user text costs one indexOf per input.
      bounds ??= tokenizeJavaScript(code);
      if (countTokensOverlapping(bounds, offset, offset + value.length, 2) >= 2) {
        return { input, offset, reason: "server-code-tokens" };
      }
    }
  }
  return undefined;
}
