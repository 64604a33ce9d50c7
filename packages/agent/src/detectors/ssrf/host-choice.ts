import type { UserInput } from "../types";
import { hostSpan, type RequestTarget } from "./target";

/** Inputs longer than this are not parsed as URLs in the fallback; a URL host fits easily. */
const maxParsedInputLength = 2048;

/**
 * True when an occurrence of `value` in the target text covers the whole host. An input that is
 * exactly the host text but also occurs after the host (`http://api.internal/search?q=api.internal`)
 * is taken to be the query value, not the host's source.
 */
function coversHost(target: RequestTarget, value: string): boolean {
  const hostLength = target.hostEnd - target.hostStart;

  // Two searches rather than a walk over every occurrence: an input that repeats at every offset
  // (a long run of one character) would otherwise cost its length for each of its occurrences.
  // An occurrence covers the host when it starts in [hostEnd - value.length, hostStart].
  const coverFrom = Math.max(0, target.hostEnd - value.length);
  const cover = target.text.indexOf(value, coverFrom);
  const covers = cover !== -1 && cover <= target.hostStart;
  if (!covers) return false;

  const alsoAfterHost = target.text.indexOf(value, target.hostEnd) !== -1;
  return !(alsoAfterHost && value.length === hostLength);
}

function parseAsUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

const defaultPorts: Readonly<Record<string, string>> = {
  "http:": "80",
  "https:": "443",
  "ws:": "80",
  "wss:": "443",
};

function effectivePort(url: URL): string {
  return url.port || (defaultPorts[url.protocol] ?? "");
}

const whitespace = /\s/;
const nonAscii = /[^\x21-\x7e]/;
const digit = /\d/;
const ipv4Literal = /^[\d.]+$/;
const pathStart = /[/?#]/;
const portOrDot = /(?::\d*|\.)$/;

/**
 * Cheap test run before a bare input is parsed as a URL: can its host part spell `hostname` in
 * another notation? An IP address needs a digit in any notation (`0x7f.1`, `2130706433`); a name
 * differs only in case, a trailing dot, percent-encoding or non-ASCII look-alikes. Most inputs
 * (`keep-alive`, `gzip`, route words) fail this without a URL parse, which costs a microsecond.
 */
function mayWriteHost(value: string, hostname: string): boolean {
  let host = value.startsWith("//") ? value.slice(2) : value;
  const end = host.search(pathStart);
  if (end !== -1) host = host.slice(0, end);

  if (nonAscii.test(host) || host.includes("%")) return true;
  // IPv6 forms always have a digit or a colon; IPv4 forms always have a digit.
  if (hostname.includes(":")) return digit.test(host) || host.includes(":");
  if (ipv4Literal.test(hostname)) return digit.test(host);

  return host.toLowerCase().replace(portOrDot, "").replace(portOrDot, "") === hostname;
}

/**
 * True when the input, read as a URL or as a bare host, names the target's host and port in
 * another notation than the target's text, for apps that parse the input before the request.
 * Only inputs that a parser would change are read this way: a full URL (`HTTP://127.0.0.1/`
 * becomes `http://127.0.0.1/`) or a host written in a non-canonical form (`0x7f.1`, upper case,
 * full-width digits). An input already in canonical form, such as a Host header of
 * `127.0.0.1:3000`, would have been found by the text search had the app used it.
 */
function namesHostInOtherForm(value: string, target: RequestTarget): boolean {
  if (value.length > maxParsedInputLength || whitespace.test(value)) return false;

  const hasScheme = hostSpan(value) !== undefined;
  if (!hasScheme && !mayWriteHost(value, target.hostname)) return false;
  const text = hasScheme ? value : value.startsWith("//") ? `http:${value}` : `http://${value}`;
  const span = hostSpan(text);
  const url = parseAsUrl(text);
  if (span === undefined || url === undefined) return false;

  let parsed = url.hostname.toLowerCase();
  if (parsed.startsWith("[")) parsed = parsed.slice(1, -1);
  if (parsed !== target.hostname) return false;

  const written = text.slice(span.start, span.end).replace(/^\[|\]$/g, "");
  if (!hasScheme && written === parsed) return false;

  const targetUrl = parseAsUrl(target.text);
  return (
    targetUrl === undefined || url.port === "" || effectivePort(url) === effectivePort(targetUrl)
  );
}

/**
 * Headers that browsers and proxies fill with the app's own public address. An app that calls its
 * own public URL would otherwise look as if these headers chose the host.
 * NOTE: this leaves Host-header SSRF (`fetch(\`http://${req.headers.host}/\`)`) unreported.
 */
const ownAddressHeaders = new Set([
  "headers.host",
  "headers.origin",
  "headers.referer",
  "headers.x-forwarded-host",
  "headers.forwarded",
]);

/**
 * True when the input cannot have chosen a host: an empty value, a header listed above, or a
 * path segment that is exactly the host. Route words such as `users` in `/api/users` are often
 * also the names of the services an app calls (`http://users:8080/`).
 */
function isExcluded(input: UserInput, hostLength: number): boolean {
  if (input.value.length === 0 || ownAddressHeaders.has(input.path)) return true;
  return input.source === "path" && input.value.length === hostLength;
}

/**
 * Returns the input that chose the target's host: one whose text covers the host where it is
 * written in the URL, else one that names the same host in another notation. Returns undefined
 * when the app chose the host, as in `http://api.internal/users/${id}`.
 */
export function findHostChooser(
  target: RequestTarget,
  inputs: readonly UserInput[],
): UserInput | undefined {
  if (target.hostEnd <= target.hostStart) return undefined;

  const hostLength = target.hostEnd - target.hostStart;
  for (const input of inputs) {
    if (isExcluded(input, hostLength)) continue;
    if (target.text.includes(input.value) && coversHost(target, input.value)) return input;
  }

  for (const input of inputs) {
    if (isExcluded(input, hostLength)) continue;
    if (namesHostInOtherForm(input.value, target)) return input;
  }
  return undefined;
}
