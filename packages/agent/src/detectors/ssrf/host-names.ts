import type { AddressCategory } from "./ranges";

/** Names that reach a cloud metadata service on every instance of that cloud, whatever DNS says. */
const metadataNames = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
]);

/** Names that the resolver maps to the local host without asking DNS (RFC 6761 and /etc/hosts defaults). */
const loopbackNames = new Set([
  "localhost",
  "localhost.localdomain",
  "ip6-localhost",
  "ip6-loopback",
]);

/**
 * Normalizes a host as written in a URL or options object: lower case, no brackets around IPv6,
 * no trailing dot. Percent-decoding and IDNA are left to the URL parser.
 */
export function normalizeHost(host: string): string {
  let normalized = host.toLowerCase();
  if (normalized.startsWith("[") && normalized.endsWith("]")) normalized = normalized.slice(1, -1);
  while (normalized.endsWith(".")) normalized = normalized.slice(0, -1);
  return normalized;
}

/**
 * Returns the category of a host name that is internal by name alone (`localhost`, `*.localhost`,
 * `metadata.google.internal`), or undefined for a name that only DNS can place.
 */
export function classifyHostName(name: string): AddressCategory | undefined {
  const host = normalizeHost(name);
  if (metadataNames.has(host)) return "cloud-metadata";
  if (loopbackNames.has(host) || host.endsWith(".localhost")) return "loopback";
  return undefined;
}
