import { normalizeHost } from "./host-names";
import { parseIPv4 } from "./ipv4";
import { parseIPv6, type IPv6Words } from "./ipv6";
import { inIPv4Prefix, inIPv6Prefix } from "./ranges";

type AllowEntry =
  | { kind: "name"; name: string }
  | { kind: "ipv4"; base: number; prefix: number }
  | { kind: "ipv6"; base: IPv6Words; prefix: number };

/**
 * Parses one allow-list entry: a host name (`billing.internal`), an IP address, or a CIDR block
 * (`10.1.0.0/16`, `fd12::/16`). Returns undefined when the entry is invalid.
 */
export function parseAllowEntry(raw: string): AllowEntry | undefined {
  const text = normalizeHost(raw.trim());
  if (text === "") return undefined;

  const [address = "", prefixText] = text.split("/", 2);
  const prefix = prefixText === undefined ? undefined : Number(prefixText);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;

  // Only the plain dotted form counts as an IPv4 entry, so a name such as `db1` stays a name.
  const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(address) ? parseIPv4(address) : undefined;
  if (ipv4 !== undefined) {
    if (prefix !== undefined && prefix > 32) return undefined;
    return { kind: "ipv4", base: ipv4, prefix: prefix ?? 32 };
  }

  const ipv6 = parseIPv6(address);
  if (ipv6 !== undefined) {
    if (prefix !== undefined && prefix > 128) return undefined;
    return { kind: "ipv6", base: ipv6, prefix: prefix ?? 128 };
  }

  if (prefix !== undefined || !/^[a-z\d_.-]+$/.test(address)) return undefined;
  return { kind: "name", name: address };
}

function addressAllowed(entries: readonly AllowEntry[], address: string): boolean {
  const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(address) ? parseIPv4(address) : undefined;
  const ipv6 = ipv4 === undefined ? parseIPv6(address) : undefined;

  return entries.some((entry) => {
    if (entry.kind === "ipv4" && ipv4 !== undefined)
      return inIPv4Prefix(ipv4, entry.base, entry.prefix);
    if (entry.kind === "ipv6" && ipv6 !== undefined)
      return inIPv6Prefix(ipv6, entry.base, entry.prefix);
    return false;
  });
}

/** Internal hosts that a user-chosen URL may reach. Cloud-metadata addresses are never allowed. */
export class AllowList {
  private readonly entries: readonly AllowEntry[];

  constructor(entries: readonly string[]) {
    this.entries = entries
      .map(parseAllowEntry)
      .filter((entry): entry is AllowEntry => entry !== undefined);
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** True when the host name is listed, or every address it resolved to lies in a listed address or block. */
  allows(hostname: string, addresses: readonly string[]): boolean {
    if (this.entries.length === 0) return false;

    const host = normalizeHost(hostname);
    if (this.entries.some((entry) => entry.kind === "name" && entry.name === host)) return true;
    if (addressAllowed(this.entries, host)) return true;
    return (
      addresses.length > 0 && addresses.every((address) => addressAllowed(this.entries, address))
    );
  }
}
