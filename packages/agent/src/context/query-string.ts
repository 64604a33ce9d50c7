/** Decodes one query-string component the way `qs` and `querystring` do: `+` is a space, bad escapes stay raw. */
export function decodeComponent(text: string): string {
  const spaced = text.includes("+") ? text.replace(/\+/g, " ") : text;
  if (!spaced.includes("%")) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * Splits a key such as `user[address][city]` or `ids[]` into path segments, as `qs` nests it.
 * An empty bracket pair becomes no segment, so repeated `ids[]` keys share one path.
 */
export function splitKey(key: string): string[] {
  const open = key.indexOf("[");
  if (open <= 0) return [key];

  const segments = [key.slice(0, open)];
  const pattern = /\[([^[\]]*)\]/g;
  pattern.lastIndex = open;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(key)) !== null) {
    if (match[1] !== undefined && match[1] !== "") segments.push(match[1]);
  }
  return segments;
}

/** One decoded `key=value` pair of a query string, with the key split into its nested path. */
export interface QueryPair {
  readonly key: string[];
  readonly value: string;
}

/** Parses a raw query string (without `?`) into decoded pairs; repeated keys stay separate pairs. */
export function parseQueryString(search: string): QueryPair[] {
  const pairs: QueryPair[] = [];
  for (const part of search.split("&")) {
    if (part === "") continue;

    const equals = part.indexOf("=");
    const rawKey = equals === -1 ? part : part.slice(0, equals);
    const rawValue = equals === -1 ? "" : part.slice(equals + 1);
    pairs.push({ key: splitKey(decodeComponent(rawKey)), value: decodeComponent(rawValue) });
  }
  return pairs;
}
