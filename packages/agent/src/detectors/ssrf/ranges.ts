import { formatIPv4, parseIPv4 } from "./ipv4";
import { embeddedIPv4, parseIPv6, type IPv6Words } from "./ipv6";

/**
 * What an address or host name reaches. Everything except `public` and `documentation` is internal:
 * a server-side request to it reaches the host itself, its network, or the cloud provider's services.
 */
export type AddressCategory =
  | "cloud-metadata"
  | "loopback"
  | "private"
  | "link-local"
  | "shared-address-space"
  | "unique-local"
  | "unspecified"
  | "benchmarking"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "documentation"
  | "public";

/** Categories that a user-chosen host must not reach. */
export function isInternalCategory(category: AddressCategory): boolean {
  return category !== "public" && category !== "documentation";
}

interface IPv4Range {
  /** First address of the range and its number of addresses. */
  readonly start: number;
  readonly size: number;
  readonly category: AddressCategory;
}

function ipv4Range(dotted: string, prefix: number, category: AddressCategory): IPv4Range {
  return { start: parseIPv4(dotted) ?? 0, size: 2 ** (32 - prefix), category };
}

/**
 * Cloud instance metadata and credential endpoints: AWS IMDS and GCP/Azure/OCI (169.254.169.254),
 * AWS ECS task metadata (169.254.170.2), AWS EKS Pod Identity (169.254.170.23), Alibaba Cloud
 * (100.100.100.200), Oracle Cloud Classic (192.0.0.192) and the Azure WireServer (168.63.129.16).
 */
const metadataIPv4 = new Set(
  [
    "169.254.169.254",
    "169.254.170.2",
    "169.254.170.23",
    "100.100.100.200",
    "192.0.0.192",
    "168.63.129.16",
  ].map((dotted) => parseIPv4(dotted) ?? 0),
);

/** AWS IMDS and EKS Pod Identity over IPv6 (fd00:ec2::254, fd00:ec2::23). */
const metadataIPv6 = ["fd00:ec2::254", "fd00:ec2::23"].map((text) => parseIPv6(text) ?? []);

// Most specific ranges first: the first match wins.
const ipv4Ranges: readonly IPv4Range[] = [
  ipv4Range("255.255.255.255", 32, "broadcast"),
  ipv4Range("0.0.0.0", 8, "unspecified"),
  ipv4Range("10.0.0.0", 8, "private"),
  ipv4Range("100.64.0.0", 10, "shared-address-space"),
  ipv4Range("127.0.0.0", 8, "loopback"),
  ipv4Range("169.254.0.0", 16, "link-local"),
  ipv4Range("172.16.0.0", 12, "private"),
  ipv4Range("192.0.0.0", 24, "reserved"),
  ipv4Range("192.0.2.0", 24, "documentation"),
  ipv4Range("192.168.0.0", 16, "private"),
  ipv4Range("198.18.0.0", 15, "benchmarking"),
  ipv4Range("198.51.100.0", 24, "documentation"),
  ipv4Range("203.0.113.0", 24, "documentation"),
  ipv4Range("224.0.0.0", 4, "multicast"),
  ipv4Range("240.0.0.0", 4, "reserved"),
];

/** True when `address` lies in `base/prefix`; both are unsigned 32-bit numbers. */
export function inIPv4Prefix(address: number, base: number, prefix: number): boolean {
  if (prefix === 0) return true;
  const size = 2 ** (32 - prefix);
  return Math.floor(address / size) === Math.floor(base / size);
}

/** Classifies an IPv4 address given as an unsigned 32-bit number. */
export function classifyIPv4(address: number): AddressCategory {
  if (metadataIPv4.has(address)) return "cloud-metadata";

  for (const range of ipv4Ranges) {
    if (address >= range.start && address - range.start < range.size) return range.category;
  }
  return "public";
}

/** True when the first `prefix` bits of two IPv6 addresses are equal. */
export function inIPv6Prefix(address: IPv6Words, base: IPv6Words, prefix: number): boolean {
  for (let word = 0; word < 8; word++) {
    const bits = Math.min(16, prefix - word * 16);
    if (bits <= 0) return true;

    const shift = 16 - bits;
    if ((address[word] ?? 0) >> shift !== (base[word] ?? 0) >> shift) return false;
  }
  return true;
}

function wordsEqual(a: IPv6Words, b: IPv6Words): boolean {
  return a.every((word, index) => word === b[index]);
}

function leadingZeroWords(words: IPv6Words, count: number): boolean {
  return words.slice(0, count).every((word) => word === 0);
}

/** Classifies an IPv6 address; IPv4-mapped, IPv4-compatible and NAT64 addresses by the IPv4 address they carry. */
export function classifyIPv6(words: IPv6Words): AddressCategory {
  if (metadataIPv6.some((metadata) => wordsEqual(words, metadata))) return "cloud-metadata";

  if (leadingZeroWords(words, 5)) {
    const low = embeddedIPv4(words);
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated but still parsed by some stacks).
    if (words[5] === 0xffff) return classifyIPv4(low);
    if (words[5] === 0) {
      if (low === 0) return "unspecified";
      if (low === 1) return "loopback";
      return classifyIPv4(low);
    }
  }

  const first = words[0] ?? 0;
  // 64:ff9b::/96 is the well-known NAT64 prefix: the gateway connects to the embedded IPv4 address.
  if (first === 0x64 && words[1] === 0xff9b && leadingZeroWords(words.slice(2), 4)) {
    return classifyIPv4(embeddedIPv4(words));
  }
  if (first === 0x64 && words[1] === 0xff9b && words[2] === 1) return "private";
  if (first === 0x100 && leadingZeroWords(words.slice(1), 3)) return "reserved";
  if (first === 0x2001 && words[1] === 0xdb8) return "documentation";
  if ((first & 0xfe00) === 0xfc00) return "unique-local";
  if ((first & 0xffc0) === 0xfe80) return "link-local";
  // fec0::/10, site-local, deprecated but routed inside some networks.
  if ((first & 0xffc0) === 0xfec0) return "private";
  if ((first & 0xff00) === 0xff00) return "multicast";
  return "public";
}

/** An IP literal with its category and canonical text (dotted decimal for IPv4). */
export interface ClassifiedAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly category: AddressCategory;
}

/** Returns the category of an IP literal in any notation, or undefined for a host name. */
export function categoryOfLiteral(host: string): AddressCategory | undefined {
  const ipv4 = parseIPv4(host);
  if (ipv4 !== undefined) return classifyIPv4(ipv4);

  if (!host.includes(":")) return undefined;
  const ipv6 = parseIPv6(host);
  return ipv6 === undefined ? undefined : classifyIPv6(ipv6);
}

/**
 * Classifies a host that is an IP literal in any notation (see `parseIPv4` and `parseIPv6`).
 * Returns undefined for a host name.
 */
export function classifyIpLiteral(host: string): ClassifiedAddress | undefined {
  const ipv4 = parseIPv4(host);
  if (ipv4 !== undefined) {
    return { address: formatIPv4(ipv4), family: 4, category: classifyIPv4(ipv4) };
  }

  const ipv6 = parseIPv6(host);
  if (ipv6 !== undefined) return { address: host, family: 6, category: classifyIPv6(ipv6) };
  return undefined;
}
