import type { IncomingHttpHeaders } from "node:http";

import { parseAddress, type CidrSet } from "./cidr";

/** Strips brackets and a port from one hop (`[2001:db8::1]:443`, `203.0.113.9:5000`, quoted forms). */
function hopAddress(raw: string): string | undefined {
  let text = raw.trim().replace(/^"(.*)"$/, "$1");
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    text = end === -1 ? "" : text.slice(1, end);
  } else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(text)) {
    text = text.slice(0, text.lastIndexOf(":"));
  }
  return parseAddress(text) === undefined ? undefined : text;
}

/** Returns the `for=` values of RFC 7239 Forwarded headers, in order (nearest proxy last). */
function forwardedHops(header: string): string[] {
  const hops: string[] = [];
  for (const element of header.split(",")) {
    for (const pair of element.split(";")) {
      const separator = pair.indexOf("=");
      if (separator === -1) continue;
      if (pair.slice(0, separator).trim().toLowerCase() === "for")
        hops.push(pair.slice(separator + 1));
    }
  }
  return hops;
}

function headerText(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(",") : value;
}

/**
 * Returns the client address of a request. Forwarding headers are read only when the peer is a
 * trusted proxy, and then from the nearest hop outwards. The first address that is not a trusted
 * proxy is the client. Entries that a client wrote into the header itself sit left of the hops
 * that the proxies appended, so the walk never reaches them. A malformed hop stops the walk at
 * the last trusted proxy, because nothing beyond it can be believed.
 */
export function resolveClientIp(
  peer: string | undefined,
  headers: IncomingHttpHeaders,
  proxies: CidrSet,
  headerName: "x-forwarded-for" | "forwarded",
): string | undefined {
  if (peer === undefined || !proxies.contains(peer)) return peer;

  const header = headerText(headers[headerName]);
  if (header === undefined) return peer;
  const hops = headerName === "forwarded" ? forwardedHops(header) : header.split(",");

  let client = peer;
  for (let index = hops.length - 1; index >= 0; index--) {
    const address = hopAddress(hops[index] ?? "");
    if (address === undefined) return client;

    client = address;
    if (!proxies.contains(address)) return address;
  }
  return client;
}
