import { normalizeHost } from "./host-names";

/** The URL of an outgoing request as the app wrote it, with the position of its host. */
export interface RequestTarget {
  /** URL string, URL object's href, or `protocol//host:port/path` rebuilt from an options object. */
  readonly text: string;
  /** Offsets in UTF-16 code units of the host as written in `text` (userinfo and port excluded). */
  readonly hostStart: number;
  readonly hostEnd: number;
  /** Host as the client connects to it: lower case, no brackets, percent-decoded by the URL parser. */
  readonly hostname: string;
  /**
   * Port as the URL parser read it, 0 for the scheme's default. Only `targetFromUrl` sets it, so
   * that a sink need not parse the URL again.
   */
  readonly port?: number;
}

const schemePattern = /^[a-z][a-z\d+.-]*:/i;

/** Returns the offsets of the host inside an absolute URL string, or undefined when it has none. */
export function hostSpan(text: string): { start: number; end: number } | undefined {
  const scheme = schemePattern.exec(text);
  if (scheme === null) return undefined;

  // The WHATWG parser accepts any run of slashes and backslashes after a special scheme.
  let start = scheme[0].length;
  while (text[start] === "/" || text[start] === "\\") start++;

  let authorityEnd = text.length;
  for (const delimiter of ["/", "\\", "?", "#"]) {
    const index = text.indexOf(delimiter, start);
    if (index !== -1 && index < authorityEnd) authorityEnd = index;
  }

  const at = text.lastIndexOf("@", authorityEnd - 1);
  if (at >= start) start = at + 1;

  let end = authorityEnd;
  if (text[start] === "[") {
    const close = text.indexOf("]", start);
    if (close !== -1 && close < authorityEnd) end = close + 1;
  } else {
    const colon = text.indexOf(":", start);
    if (colon !== -1 && colon < authorityEnd) end = colon;
  }
  return { start, end };
}

/** Parses a URL string with the WHATWG parser, as node:http, fetch and undici do. */
function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Builds the target of a URL string or a URL object's href; undefined when it is not an absolute URL. */
export function targetFromUrl(text: string): RequestTarget | undefined {
  const span = hostSpan(text);
  const url = parseUrl(text);
  if (span === undefined || url === undefined) return undefined;

  return {
    text,
    hostStart: span.start,
    hostEnd: span.end,
    hostname: normalizeHost(url.hostname),
    port: url.port === "" ? 0 : Number(url.port),
  };
}

/** Builds the target of an options object (`{ protocol, hostname, port, path }`) as text. */
export function targetFromParts(
  protocol: string,
  host: string,
  port: string | undefined,
  path: string | undefined,
): RequestTarget {
  const prefix = `${protocol}//`;
  // An IPv6 host in an options object has no brackets; adding them keeps the port apart.
  const written = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const portText = port === undefined || port === "" ? "" : `:${port}`;
  return {
    text: `${prefix}${written}${portText}${path ?? "/"}`,
    hostStart: prefix.length,
    hostEnd: prefix.length + written.length,
    hostname: normalizeHost(host),
  };
}
