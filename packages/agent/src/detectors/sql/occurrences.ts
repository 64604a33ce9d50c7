/** Maximum pattern length searched with `indexOf`. Longer patterns use the Knuth-Morris-Pratt table. */
const shortPatternLength = 32;

/**
 * Calls `visit` with the offset of every occurrence of `pattern` in `text` that starts at or after `from`,
 * overlapping ones included, until `visit` returns true. The Knuth-Morris-Pratt search takes
 * O(text + pattern) time, whereas restarting `indexOf` after each overlapping match takes O(text × pattern)
 * on text such as a long run of quotes.
 */
export function visitOccurrences(
  text: string,
  pattern: string,
  from: number,
  visit: (offset: number) => boolean,
): void {
  if (pattern.length === 0) return;

  // Short patterns: the native search restarted one code unit after each match costs at most
  // text × 32 comparisons, linear with a small constant, and needs no table per input.
  if (pattern.length <= shortPatternLength) {
    for (let offset = text.indexOf(pattern, from); offset !== -1;) {
      if (visit(offset)) return;
      offset = text.indexOf(pattern, offset + 1);
    }
    return;
  }

  const fallback = buildFallbackTable(pattern);
  let matched = 0;
  for (let index = from; index < text.length; index++) {
    const code = text.charCodeAt(index);
    while (matched > 0 && code !== pattern.charCodeAt(matched))
      matched = fallback[matched - 1] ?? 0;
    if (code === pattern.charCodeAt(matched)) matched++;

    if (matched === pattern.length) {
      if (visit(index - pattern.length + 1)) return;
      matched = fallback[matched - 1] ?? 0;
    }
  }
}

/** Returns, for each prefix of `pattern`, the length of its longest proper prefix that is also its suffix. */
function buildFallbackTable(pattern: string): Int32Array {
  const fallback = new Int32Array(pattern.length);
  let length = 0;
  for (let index = 1; index < pattern.length; index++) {
    const code = pattern.charCodeAt(index);
    while (length > 0 && code !== pattern.charCodeAt(length)) length = fallback[length - 1] ?? 0;
    if (code === pattern.charCodeAt(length)) length++;
    fallback[index] = length;
  }
  return fallback;
}
