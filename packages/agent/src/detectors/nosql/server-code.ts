import { visitOccurrences } from "../sql/occurrences";
import type { Finding, UserInput } from "../types";
import { countTokensOverlapping, tokenizeJavaScript, type TokenBounds } from "./js-tokens";

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

    // Every occurrence is judged, overlapping ones included, so an insertion after many harmless
    // copies is still found. The search is linear (Knuth-Morris-Pratt for long inputs) and each
    // occurrence costs a binary search over the token bounds.
    let finding: Finding | undefined;
    visitOccurrences(code, value, 0, (offset) => {
      // Tokenize only once some input occurs, so code without user text costs one search per input.
      bounds ??= tokenizeJavaScript(code);
      if (countTokensOverlapping(bounds, offset, offset + value.length, 2) < 2) return false;

      finding = { input, offset, reason: "server-code-tokens" };
      return true;
    });
    if (finding !== undefined) return finding;
  }
  return undefined;
}
