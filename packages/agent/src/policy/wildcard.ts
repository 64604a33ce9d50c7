/**
 * Compiles a pattern where `*` matches any run of characters within one segment and `**` matches
 * across segments. `separator` is `/` for routes and `.` for input paths, so `body.*.note` matches
 * `body.items[0].note` but not `body.a.b.note`. Case matters.
 */
export function compileWildcard(pattern: string, separator: "/" | "."): RegExp {
  const segmentChars = separator === "/" ? "[^/]*" : "[^.]*";
  let source = "";
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === "*" && pattern[index + 1] === "*") {
      source += ".*";
      index++;
    } else if (char === "*") {
      source += segmentChars;
    } else {
      source += char.replace(/[\\^$.+?()[\]{}|/]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

/** Builds a matcher for a list of patterns; a pattern without `*` is compared as a string. */
export function compilePatterns(
  patterns: readonly string[],
  separator: "/" | ".",
): (text: string) => boolean {
  const exact = new Set(patterns.filter((pattern) => !pattern.includes("*")));
  const wildcards = patterns
    .filter((pattern) => pattern.includes("*"))
    .map((pattern) => compileWildcard(pattern, separator));
  return (text) => exact.has(text) || wildcards.some((regex) => regex.test(text));
}
