import { parseIPv4 } from "./ipv4";

/** An IPv6 address as its eight 16-bit words. */
export type IPv6Words = readonly number[];

/**
 * Parses an IPv6 address: compressed (`::1`), with an embedded dotted IPv4 tail (`::ffff:127.0.0.1`),
 * in brackets, or with a zone id (`fe80::1%eth0`, `fe80::1%25eth0` in URLs). Returns the eight words,
 * or undefined when the text is not an IPv6 address.
 */
export function parseIPv6(text: string): IPv6Words | undefined {
  let host = text;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);

  const zone = host.indexOf("%");
  if (zone !== -1) host = host.slice(0, zone);
  if (host.length < 2 || host.length > 45 || !host.includes(":")) return undefined;

  const halves = host.split("::");
  if (halves.length > 2) return undefined;

  const head = parseWordList(halves[0] ?? "", halves.length === 1);
  const tail = halves.length === 2 ? parseWordList(halves[1] ?? "", true) : [];
  if (head === undefined || tail === undefined) return undefined;

  if (halves.length === 1) return head.length === 8 ? head : undefined;

  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Parses `a:b:c` or `a:b:1.2.3.4`; a dotted IPv4 tail is allowed only where the address ends. */
function parseWordList(text: string, endsAddress: boolean): number[] | undefined {
  if (text === "") return [];

  const pieces = text.split(":");
  const words: number[] = [];
  for (const [index, piece] of pieces.entries()) {
    const isLast = index === pieces.length - 1;
    if (isLast && endsAddress && piece.includes(".")) {
      const ipv4 = parseDottedQuad(piece);
      if (ipv4 === undefined) return undefined;
      words.push(Math.floor(ipv4 / 65536), ipv4 % 65536);
      continue;
    }
    if (!/^[0-9a-f]{1,4}$/i.test(piece)) return undefined;
    words.push(Number.parseInt(piece, 16));
  }
  return words;
}

/** Inside IPv6 only the plain four-part decimal form is valid. */
function parseDottedQuad(text: string): number | undefined {
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(text)) return undefined;
  if (text.split(".").some((part) => part.length > 1 && part.startsWith("0"))) return undefined;
  return parseIPv4(text);
}

/** Returns the IPv4 address that an IPv6 address carries in its low 32 bits. */
export function embeddedIPv4(words: IPv6Words): number {
  return (words[6] ?? 0) * 65536 + (words[7] ?? 0);
}
