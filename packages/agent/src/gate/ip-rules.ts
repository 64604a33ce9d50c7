import type net from "node:net";

let netModule: typeof net | undefined;

/** node:net, loaded when a policy first has IP lists: an agent without them need not load it. */
function loadNet(): typeof net {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  netModule ??= require("node:net") as typeof net;
  return netModule;
}

/** Compiled IP allow and deny lists. */
export interface IpRules {
  /** Returns "allow" when the allow list matches, "deny" when only the deny list does, else undefined. */
  judge(ip: string): "allow" | "deny" | undefined;
}

/** Verdicts remembered per address; the cache is emptied when it reaches this size. */
const maxCachedAddresses = 10_000;

/** An inclusive IPv4 range as unsigned 32-bit numbers. */
interface Ipv4Range {
  readonly first: number;
  readonly last: number;
}

/** Parses dotted IPv4 text (also after `::ffff:`) without allocating; returns -1 when it is not one. */
export function parseIpv4(text: string): number {
  const start = text.startsWith("::ffff:") ? 7 : 0;
  let value = 0;
  let octet = -1;
  let dots = 0;
  for (let index = start; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 46) {
      if (octet < 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = -1;
      dots++;
    } else if (code >= 48 && code <= 57) {
      octet = octet < 0 ? code - 48 : octet * 10 + code - 48;
      if (octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || octet < 0) return -1;
  return value * 256 + octet;
}

/**
 * One list of addresses and CIDR blocks. IPv4 entries are kept as number ranges, which are much
 * cheaper to test than Node's BlockList; IPv6 entries go to a BlockList.
 */
class AddressList {
  private readonly ipv4: Ipv4Range[] = [];
  private ipv6: net.BlockList | undefined;

  /** Adds `1.2.3.4`, `10.0.0.0/8`, `2001:db8::1` or `2001:db8::/32`; throws on anything else. */
  add(entry: string): void {
    const [address = "", prefixText, extra] = entry.trim().split("/");
    const family = loadNet().isIP(address);
    if (family === 0 || extra !== undefined)
      throw new Error(`invalid IP address or CIDR block in the gate policy: ${entry}`);

    const maxPrefix = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
    if (prefixText !== undefined && (!/^\d{1,3}$/.test(prefixText) || prefix > maxPrefix)) {
      throw new Error(`invalid prefix length in CIDR block in the gate policy: ${entry}`);
    }

    if (family === 4) {
      const size = 2 ** (32 - prefix);
      const first = Math.floor(parseIpv4(address) / size) * size;
      this.ipv4.push({ first, last: first + size - 1 });
      return;
    }
    this.ipv6 ??= new (loadNet().BlockList)();
    this.ipv6.addSubnet(address, prefix, "ipv6");
  }

  /** `ipv4` is the parsed address, or -1 for an IPv6 address. */
  contains(ip: string, ipv4: number): boolean {
    if (ipv4 >= 0) {
      for (const range of this.ipv4) if (ipv4 >= range.first && ipv4 <= range.last) return true;
      return false;
    }
    return this.ipv6 !== undefined && loadNet().isIP(ip) === 6 && this.ipv6.check(ip, "ipv6");
  }
}

function compileList(entries: readonly string[] | undefined): AddressList | undefined {
  if (entries === undefined || entries.length === 0) return undefined;

  const list = new AddressList();
  for (const entry of entries) list.add(entry);
  return list;
}

/** Compiles the lists; returns undefined when both are empty. Throws on an invalid entry. */
export function compileIpRules(
  allow: readonly string[] | undefined,
  deny: readonly string[] | undefined,
): IpRules | undefined {
  const allowList = compileList(allow);
  const denyList = compileList(deny);
  if (allowList === undefined && denyList === undefined) return undefined;

  const judgeUncached = (ip: string): "allow" | "deny" | "none" => {
    const ipv4 = parseIpv4(ip);
    if (allowList?.contains(ip, ipv4) === true) return "allow";
    if (denyList?.contains(ip, ipv4) === true) return "deny";
    return "none";
  };

  // Clients repeat, so verdicts are cached; a flood of new addresses only empties the cache.
  const cache = new Map<string, "allow" | "deny" | "none">();
  return {
    judge(ip) {
      let verdict = cache.get(ip);
      if (verdict === undefined) {
        verdict = judgeUncached(ip);
        if (cache.size >= maxCachedAddresses) cache.clear();
        cache.set(ip, verdict);
      }
      return verdict === "none" ? undefined : verdict;
    },
  };
}
