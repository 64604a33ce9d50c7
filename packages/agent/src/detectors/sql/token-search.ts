import type { SqlToken } from "./tokens";

/**
 * Returns the index of the token that contains `offset`, by binary search. The tokens must cover the query
 * in order, as `tokenizeSql` returns them, and `offset` must lie inside the query.
 */
export function tokenIndexAt(tokens: readonly SqlToken[], offset: number): number {
  let low = 0;
  let high = tokens.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    const token = tokens[middle];
    if (token !== undefined && token.start <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}
