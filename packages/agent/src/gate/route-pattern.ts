/**
 * Matches request paths against a route pattern: literal segments, `:name` for one segment, and a
 * trailing `*` for the rest of the path (`/admin/*` matches `/admin` and everything below). No
 * regular expressions are built, so a pattern cannot cause backtracking.
 */
export type PathMatcher = (path: string) => boolean;

/** Returns the request path without the query string or fragment, with a single trailing slash removed. */
export function requestPathOf(url: string | undefined): string {
  let end = (url ?? "/").length;
  const text = url ?? "/";
  const query = text.indexOf("?");
  if (query !== -1) end = query;
  const hash = text.indexOf("#");
  if (hash !== -1 && hash < end) end = hash;

  let path = text.slice(0, end);
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  return path;
}

export function compilePathMatcher(pattern: string): PathMatcher {
  const normalized = requestPathOf(pattern);
  const segments = normalized.split("/");
  const wildcardTail = segments[segments.length - 1] === "*";
  if (wildcardTail) segments.pop();

  const hasParams = segments.some((segment) => segment.startsWith(":"));
  if (!hasParams && !wildcardTail) return (path) => path === normalized;

  return (path) => {
    const parts = path.split("/");
    if (wildcardTail ? parts.length < segments.length : parts.length !== segments.length)
      return false;
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!;
      if (segment.startsWith(":")) {
        if (parts[index] === "") return false;
      } else if (segment !== parts[index]) {
        return false;
      }
    }
    return true;
  };
}

/** Returns a matcher for a method pattern: `*` or a method name, case-insensitive. */
export function compileMethodMatcher(
  method: string | undefined,
  fallback: string,
): (method: string | undefined) => boolean {
  const expected = (method ?? fallback).toUpperCase();
  if (expected === "*") return () => true;
  return (actual) => actual === expected;
}
