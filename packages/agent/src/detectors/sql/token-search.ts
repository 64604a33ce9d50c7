import type { TokenBuffer } from "./token-buffer";

/**
 * Returns the index of the token that contains `offset`, by binary search. The tokens must cover the query
 * in order, as the lexer produces them, and `offset` must lie inside the query.
 */
export function tokenIndexAt(tokens: TokenBuffer, offset: number): number {
  let low = 0;
  let high = tokens.count - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (tokens.start(middle) <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}
