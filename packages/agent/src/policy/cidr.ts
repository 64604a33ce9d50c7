import { parseIPv4 } from "../detectors/ssrf/ipv4";
import { parseIPv6, type IPv6Words } from "../detectors/ssrf/ipv6";
import { inIPv4Prefix, inIPv6Prefix } from "../detectors/ssrf/ranges";

type Block =
  { family: 4; base: number; prefix: number } | { family: 6; base: IPv6Words; prefix: number };

/** A parsed IP address: IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) count as IPv4. */
type Address = { family: 4; value: number } | { family: 6; value: IPv6Words };

const dottedIPv4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Parses an IP address in its plain form; returns undefined for anything else (host names included). */
export function parseAddress(text: string): Address | undefined {
  const trimmed = text.trim();
  if (dottedIPv4.test(trimmed)) {
    const value = parseIPv4(trimmed);
    return value === undefined ? undefined : { family: 4, value };
  }

  const words = parseIPv6(trimmed);
  if (words === undefined) return undefined;
  const mapped = words.slice(0, 5).every((word) => word === 0) && words[5] === 0xffff;
  if (mapped) return { family: 4, value: (words[6] ?? 0) * 65_536 + (words[7] ?? 0) };
  return { family: 6, value: words };
}

/** Parses `10.0.0.0/8`, `fd00::/8` or a single address; undefined when invalid. */
export function parseCidr(text: string): Block | undefined {
  const [addressText = "", prefixText] = text.trim().split("/", 2);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;

  const address = parseAddress(addressText);
  if (address === undefined) return undefined;

  const maxPrefix = address.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (prefix > maxPrefix) return undefined;
  return address.family === 4
    ? { family: 4, base: address.value, prefix }
    : { family: 6, base: address.value, prefix };
}

/** A set of address blocks, parsed once when the policy loads. */
export class CidrSet {
  private readonly blocks: readonly Block[];

  /** Entries that do not parse are skipped; validation reports them before a policy gets here. */
  constructor(entries: readonly string[]) {
    this.blocks = entries.map(parseCidr).filter((block): block is Block => block !== undefined);
  }

  get size(): number {
    return this.blocks.length;
  }

  /** True when the address (any notation that parseAddress accepts) lies in one of the blocks. */
  contains(addressText: string | undefined): boolean {
    if (addressText === undefined) return false;

    const address = parseAddress(addressText);
    if (address === undefined) return false;
    return this.blocks.some((block) => {
      if (block.family === 4 && address.family === 4)
        return inIPv4Prefix(address.value, block.base, block.prefix);
      if (block.family === 6 && address.family === 6)
        return inIPv6Prefix(address.value, block.base, block.prefix);
      return false;
    });
  }
}
