import { domainToUnicode } from "node:url";

import type { Finding, UserInput } from "../types";

/** Reason that a redirect counts as open. */
export type RedirectFindingReason = "user-controlled-host";

/** Inputs shorter than this (`a.b` is the shortest host with a dot) are not judged. */
const minInputLength = 3;

/** Hosts a redirect may target: the request's own host and the configured allow list. */
export interface RedirectPolicy {
  /** The request's `Host` header, with or without a port; undefined when the request had none. */
  readonly requestHost: string | undefined;
  /** Host names that are always allowed; `*.example.com` allows every subdomain of example.com. */
  readonly allowedHosts: readonly string[];
}

/** The last Host header and its host name, because a server serves one or a few host names. */
let lastHost: string | undefined;
let lastHostname: string | undefined;

function hostnameOf(host: string | undefined): string | undefined {
  if (host === undefined || host === "") return undefined;
  if (host === lastHost) return lastHostname;

  let hostname: string | undefined;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    hostname = undefined;
  }
  lastHost = host;
  lastHostname = hostname;
  return hostname;
}

function isAllowedHost(hostname: string, policy: RedirectPolicy): boolean {
  if (hostname === hostnameOf(policy.requestHost)) return true;

  return policy.allowedHosts.some((entry) => {
    const pattern = entry.trim().toLowerCase();
    if (pattern.startsWith("*.")) return hostname.endsWith(pattern.slice(1));
    return pattern !== "" && hostname === pattern;
  });
}

/** Resolves a Location value the way a browser does against the request's URL; undefined for non-HTTP targets. */
function resolveTarget(location: string, policy: RedirectPolicy): URL | undefined {
  const base = `http://${policy.requestHost ?? "localhost"}/`;
  let target: URL;
  try {
    target = new URL(location, base);
  } catch {
    return undefined;
  }
  return target.protocol === "http:" || target.protocol === "https:" ? target : undefined;
}

/**
 * True for a path-absolute Location (`/products`), which keeps the request's host. The URL parser
 * removes tabs and line breaks before it reads the value, so `/` followed by one of them, by `/` or
 * by `\` may still start a host (`/\t/evil.example`) and is left to the parser.
 */
function isPathAbsolute(location: string): boolean {
  if (location.charCodeAt(0) !== 0x2f) return false;
  if (location.length === 1) return true;

  const second = location.charCodeAt(1);
  return (
    second !== 0x2f && second !== 0x5c && second !== 0x09 && second !== 0x0a && second !== 0x0d
  );
}

/**
 * Returns the target of a redirect that leaves the request's host for a host that is not allowed,
 * or undefined for a redirect that stays on an allowed host or is not HTTP. It needs no inputs, so
 * a sink can skip collecting them for the common same-host redirect.
 */
export function offsiteRedirectTarget(location: string, policy: RedirectPolicy): URL | undefined {
  if (location === "" || isPathAbsolute(location)) return undefined;

  const target = resolveTarget(location, policy);
  if (target === undefined || isAllowedHost(target.hostname, policy)) return undefined;
  return target;
}

/**
 * True when the text before an input already fixes the redirect's host, so the input can only
 * change the path, query or fragment: a `?` or `#`, a complete `scheme://host/`, a path-absolute
 * `/x` or a relative `x/`. Leading spaces and control characters, tabs and line breaks are ignored,
 * as the URL parser ignores them.
 */
function prefixFixesHost(prefix: string): boolean {
  // eslint-disable-next-line no-control-regex
  const text = prefix.replace(/^[\u0000-\u0020]+/, "").replace(/[\t\n\r]/g, "");
  if (/[?#]/.test(text)) return true;
  if (/^(?:[a-z][a-z\d+.-]*:)?[\\/]{2}[^\\/]+[\\/]/i.test(text)) return true;
  if (/^[\\/][^\\/]/.test(text)) return true;
  return /^[^\\/:]+[\\/]/.test(text);
}

/** Returns the offset at which the input decides the host, or -1 when it does not. */
function hostControlOffset(location: string, value: string, hostnames: readonly string[]): number {
  const offset = location.indexOf(value);
  if (offset !== -1 && !prefixFixesHost(location.slice(0, offset))) return offset;

  // Encoders (Express's `res.location`) may rewrite the input, so also accept an input that
  // names the target host itself.
  const lowered = value.toLowerCase();
  if (hostnames.some((hostname) => hostname !== "" && lowered.includes(hostname)))
    return Math.max(offset, 0);
  return -1;
}

/**
 * Judges a `Location` header value. Returns a finding when the redirect leaves the request's own
 * host for a host that is not allowed, and a user input decides that host. The input decides it
 * when it names the host, or when it sits where the host is read (`//evil.example`,
 * `https:evil.example`, `/\evil.example`). Relative redirects, redirects to the request's host
 * and to allowed hosts return undefined. Never throws for string arguments.
 */
export function detectOpenRedirect(
  location: string,
  policy: RedirectPolicy,
  inputs: readonly UserInput[],
): Finding | undefined {
  if (inputs.length === 0) return undefined;

  const target = offsiteRedirectTarget(location, policy);
  if (target === undefined) return undefined;

  const hostnames = [target.hostname, domainToUnicode(target.hostname)];
  for (const input of inputs) {
    if (input.value.length < minInputLength) continue;

    const offset = hostControlOffset(location, input.value, hostnames);
    if (offset !== -1) return { input, offset, reason: "user-controlled-host" };
  }
  return undefined;
}
